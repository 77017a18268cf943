"""A web process runs at most HTTP_CONCURRENCY requests at once; the others wait their turn and are all answered."""

import asyncio
import threading

import pytest

from leadcrm.http_limit import HttpConcurrencyLimit


class SlowApp:
    """An ASGI app that answers after a pause and records how many requests were inside it at once."""

    def __init__(self) -> None:
        self.inside = self.most = 0

    async def __call__(self, scope, receive, send) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(0.01)
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})


async def call(app, path: str) -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app({"type": "http", "path": path}, receive, send)
    return sent


def on_a_fresh_loop(coroutine):
    """Run the coroutine on a new event loop in its own thread: the browser tests leave one running on this one."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join(30)
    assert result, "the coroutine raised or did not finish in 30 s"
    return result[0]


async def all_at_once(app, paths: list[str]) -> list[list[dict]]:
    return await asyncio.gather(*(call(app, path) for path in paths))


def test_requests_beyond_the_limit_wait_and_every_one_is_answered():
    inner = SlowApp()
    limited = HttpConcurrencyLimit(inner, limit=2)
    answers = on_a_fresh_loop(all_at_once(limited, [f"/{n}" for n in range(9)]))
    assert inner.most == 2
    assert [a[-1]["body"] for a in answers] == [f"/{n}".encode() for n in range(9)]


def test_a_request_that_fails_frees_its_place():
    async def broken(scope, receive, send):
        raise RuntimeError("view crashed")

    async def three_in_a_row() -> int:
        failed = 0
        for _ in range(3):  # each would wait forever if the first had kept the only place
            try:
                await asyncio.wait_for(call(limited, "/"), 5)
            except RuntimeError:
                failed += 1
        return failed

    limited = HttpConcurrencyLimit(broken, limit=1)
    assert on_a_fresh_loop(three_in_a_row()) == 3


def test_each_event_loop_has_its_own_places():
    inner = SlowApp()
    limited = HttpConcurrencyLimit(inner, limit=1)
    for _ in range(2):  # a semaphore bound to a finished loop must not be reused
        on_a_fresh_loop(call(limited, "/"))
    assert inner.most == 1


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="HTTP_CONCURRENCY must be at least 1"):
        HttpConcurrencyLimit(SlowApp(), limit=0)

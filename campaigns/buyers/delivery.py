"""HTTP to buyers with httpx: requests sent in parallel, each bounded by its own timeout, and the answers read.

How a buyer answers (ping or post), read by `answer_read`:
- 2xx accepts, unless the JSON body says otherwise: {"accepted": false}, {"success": false}, or a "status" /
  "result" / "decision" such as "rejected", "declined", "duplicate", "no_bid"; a plain-text body "reject(ed)"
  or "no" also refuses. A bid or price is read from "bid", "price", "amount" or "bid_amount"; a bid of 0 refuses.
  A "token", "ping_id" or "bid_id" in a ping's answer is passed back in the post ({{ ping_token }}).
- 3xx/4xx: a clear refusal, never retried.
- 5xx, or a connection that could not be made: an error that may be retried (the buyer did not take the lead).
- No answer in time, or a connection broken mid-answer: a timeout/error that is not retried for a post (the buyer
  may have taken it), so a buyer never receives the same lead twice by our retry.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import httpx

from campaigns.buyers.requests import HttpRequestSpec

RESPONSE_KEEP_CHARS = 2000
ACCEPT_WORDS = frozenset({"accepted", "accept", "ok", "success", "sold", "bid", "won", "yes", "true"})
REJECT_WORDS = frozenset({"rejected", "reject", "declined", "decline", "denied", "duplicate", "no_bid", "nobid",
                          "no", "error", "failed", "refused", "false"})
BID_KEYS = ("bid", "price", "amount", "bid_amount")
TOKEN_KEYS = ("token", "ping_id", "bid_id")
MAX_BID = Decimal("100000000")  # the price columns hold 10 digits, 2 after the point


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    text: str = ""
    latency_ms: int = 0
    failure: str = ""  # "", "connect" (nothing sent), "timeout" or "network" (broken mid-way)
    error: str = ""


@dataclass(frozen=True)
class Answer:
    outcome: str  # accepted, rejected, timeout or error
    retryable: bool = False
    bid: Decimal | None = None
    token: str = ""
    reason: str = ""


def _body_bytes(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


async def _send(client: httpx.AsyncClient, spec: HttpRequestSpec) -> HttpResult:
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        # wait_for bounds the whole exchange; httpx's own timeout only bounds each read or write.
        response = await asyncio.wait_for(
            client.post(spec.url, content=_body_bytes(spec.body), headers=dict(spec.headers),
                        timeout=httpx.Timeout(spec.timeout_s)),
            timeout=spec.timeout_s,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        return HttpResult(status=None, latency_ms=elapsed(), failure="connect", error=_error(exc))
    except (TimeoutError, httpx.TimeoutException) as exc:
        return HttpResult(status=None, latency_ms=elapsed(), failure="timeout",
                          error=f"no answer within {spec.timeout_s * 1000:.0f} ms" + _detail(exc))
    except (httpx.HTTPError, ValueError, TypeError) as exc:  # incl. a header value the protocol cannot carry
        return HttpResult(status=None, latency_ms=elapsed(), failure="network", error=_error(exc))
    return HttpResult(status=response.status_code, text=response.text[:RESPONSE_KEEP_CHARS], latency_ms=elapsed())


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _detail(exc: BaseException) -> str:
    return f" ({type(exc).__name__})" if isinstance(exc, httpx.TimeoutException) else ""


async def _send_all(specs: Sequence[HttpRequestSpec]) -> list[HttpResult]:
    limits = httpx.Limits(max_connections=max(10, len(specs)), max_keepalive_connections=0)
    async with httpx.AsyncClient(follow_redirects=False, limits=limits) as client:
        return list(await asyncio.gather(*(_send(client, spec) for spec in specs)))


def http_send_many(specs: Sequence[HttpRequestSpec]) -> list[HttpResult]:
    """POST every request at once; returns in order. Wall time is about the slowest timeout, not their sum.

    Never call inside a database transaction.
    """
    if not specs:
        return []
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_send_all(specs))
    # Called from async code: run the requests on a loop of their own in a helper thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _send_all(specs)).result()


def http_send(spec: HttpRequestSpec) -> HttpResult:
    """POST one request, bounded by its timeout. Never call inside a database transaction."""
    return http_send_many([spec])[0]


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite() or abs(number) >= MAX_BID:
            return None
        return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold() if isinstance(value, str) else ""


def answer_read(result: HttpResult) -> Answer:
    """What the buyer said: accepted (maybe with a bid), rejected, timeout or error; and whether a retry is safe."""
    if result.status is None:
        if result.failure == "connect":
            return Answer("error", retryable=True, reason=result.error)
        return Answer("timeout" if result.failure == "timeout" else "error", reason=result.error)
    if result.status >= 500:
        return Answer("error", retryable=True, reason=f"HTTP {result.status}")
    if result.status >= 300 or result.status < 200:
        return Answer("rejected", reason=f"HTTP {result.status}")
    try:
        body = json.loads(result.text) if result.text.strip() else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        word = result.text.strip().casefold()
        if word in REJECT_WORDS:
            return Answer("rejected", reason=f"answered {word!r}")
        return Answer("accepted")
    for key in ("accepted", "success"):
        if key in body and _word(body[key]) in REJECT_WORDS | {"false"}:
            return Answer("rejected", reason=str(body.get("reason") or body.get("message") or f"{key}: false")[:200])
    for key in ("status", "result", "decision"):
        if _word(body.get(key)) in REJECT_WORDS:
            return Answer("rejected", reason=str(body.get("reason") or body.get("message") or body[key])[:200])
    bid_key = next((k for k in BID_KEYS if k in body), None)
    bid = _decimal(body[bid_key]) if bid_key else None
    if bid_key and bid is None:
        return Answer("rejected", reason=f"unreadable {bid_key}: {str(body[bid_key])[:40]!r}")
    if bid is not None and bid <= 0:
        return Answer("rejected", reason="no bid")
    token = next((str(body[k])[:200] for k in TOKEN_KEYS if body.get(k) not in (None, "")), "")
    return Answer("accepted", bid=bid, token=token)

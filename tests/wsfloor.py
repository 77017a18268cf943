"""A floor of token-authenticated reps with open websockets, for multi-process tests and the latency bench.

`floor_prepare` migrates a database and creates a campaign, a supplier key, one catch-all rule with long offers
and N available 24/7 reps with tokens. `SocketHub` holds one `/ws/notifications/` socket per rep on its own
asyncio thread and records every message with its arrival time (time.monotonic, same clock as the caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path

from tests.liveserver import ROOT

CAMPAIGN = "floor"
FLOOR_SETUP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from assignments.models import Rep, RepLanguage, RoutingRule, WorkingHours
from campaigns.models import Campaign, Supplier
from campaigns.services import supplier_api_key_create
campaign = Campaign.objects.create(slug="floor", name="Floor")
supplier = Supplier.objects.create(name="Floor supplier", rate_limit_per_second=100000)
supplier.campaigns.add(campaign)
RoutingRule.objects.create(name="Everyone", order=10, strategy="least_busy", offer_timeout_seconds=3600)
tokens = {}
for n in range(REPS):
    user = get_user_model().objects.create_user(f"rep{n:03d}", password="leadcrm-demo")
    rep = Rep.objects.create(user=user, status="available", capacity=CAPACITY)
    RepLanguage.objects.bulk_create(RepLanguage(rep=rep, code=code) for code in ("en", "es", "de", "fr", "it"))
    WorkingHours.objects.bulk_create(WorkingHours(rep=rep, weekday=d, starts=dt.time(0), ends=dt.time(0))
                                     for d in range(7))
    tokens[rep.pk] = Token.objects.create(user=user).key
print("FLOOR " + json.dumps({"key": supplier_api_key_create(supplier=supplier, name="floor").raw_key,
                             "tokens": tokens}))
"""


@dataclass
class Floor:
    key: str
    tokens: dict[int, str]  # rep id -> DRF token


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def floor_prepare(env: dict, *, reps: int, capacity: int) -> Floor:
    """Migrate env's database and create the floor (no demo data: every rep and rule here is the test's)."""
    manage(env, "migrate", "-v0")
    script = f"REPS, CAPACITY = {int(reps)}, {int(capacity)}\n" + FLOOR_SETUP
    line = next(x for x in manage(env, "shell", "-c", script).splitlines() if x.startswith("FLOOR "))
    data = json.loads(line[len("FLOOR "):])
    return Floor(key=data["key"], tokens={int(pk): token for pk, token in data["tokens"].items()})


def lead_body(n: int, tag: str = "") -> dict:
    """A valid, unique lead for the floor campaign."""
    return {"campaign": CAMPAIGN, "first_name": "Multi", "last_name": f"Proc{n}", "country": "US", "language": "en",
            "email": f"lead{n}{tag}@example.com", "phone": f"+1{202 + n // 10000}555{n % 10000:04d}"}


# --- processes -------------------------------------------------------------------------------------------------

def spawn(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    """Start a process in its own session (so its whole tree can be signalled), output to log."""
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def signal_tree(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def stop(process: subprocess.Popen, *, grace: float = 10) -> None:
    """SIGTERM the process group, SIGKILL it after grace seconds."""
    signal_tree(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        signal_tree(process, signal.SIGKILL)
        process.wait()
    signal_tree(process, signal.SIGKILL)  # stragglers of the group (e.g. qcluster workers)


def descendants(pid: int) -> list[int]:
    """Every process below pid (children first level first)."""
    found, todo = [], [pid]
    while todo:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(todo.pop(0))], capture_output=True, text=True)
        kids = [int(p) for p in out.stdout.split()]
        found += kids
        todo += kids
    return found


def peak_rss_kib(pid: int) -> int:
    """VmHWM of a live process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- websockets ------------------------------------------------------------------------------------------------

@dataclass
class RepSocket:
    rep_id: int
    base_url: str
    messages: list[tuple[float, dict]] = field(default_factory=list)
    synced: asyncio.Event | None = None
    pongs: asyncio.Queue | None = None
    ws: object = None


class SocketHub:
    """Rep websockets on one background event loop; messages are recorded as (monotonic arrival, message)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="socket-hub", daemon=True)
        self.thread.start()
        self.sockets: dict[int, RepSocket] = {}
        self._readers: list[asyncio.Task] = []

    def run(self, coro: Coroutine, timeout: float | None = None):
        """Run a coroutine on the hub's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self, assignments: dict[int, tuple[str, str]], timeout: float = 30) -> None:
        """Open a socket for each rep id -> (server base URL, token); returns once every one has synced."""
        self.run(self._connect_all(assignments), timeout)

    async def _connect_all(self, assignments: dict[int, tuple[str, str]]) -> None:
        await asyncio.gather(*(self._connect(rep_id, url, token) for rep_id, (url, token) in assignments.items()))

    async def _connect(self, rep_id: int, url: str, token: str) -> None:
        from websockets.asyncio.client import connect

        sock = RepSocket(rep_id=rep_id, base_url=url, synced=asyncio.Event(), pongs=asyncio.Queue())
        ws_url = url.replace("http", "ws", 1) + f"/ws/notifications/?token={token}"
        sock.ws = await connect(ws_url, origin=url, open_timeout=20, max_size=2**22, ping_interval=None)
        self.sockets[rep_id] = sock
        self._readers.append(asyncio.get_running_loop().create_task(self._read(sock)))
        await asyncio.wait_for(sock.synced.wait(), 20)

    async def _read(self, sock: RepSocket) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in sock.ws:
                arrived = time.monotonic()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "pong":
                    sock.pongs.put_nowait(arrived)
                    continue
                sock.messages.append((arrived, message))
                if kind == "sync.done":
                    sock.synced.set()
        except ConnectionClosed:
            pass

    def ping_round_trips(self, rep_id: int, count: int) -> list[float]:
        """Sequential `ping` -> `pong` round trips on one rep's socket, in milliseconds."""
        return self.run(self._pings(self.sockets[rep_id], count), 60)

    @staticmethod
    async def _pings(sock: RepSocket, count: int) -> list[float]:
        out = []
        for _ in range(count):
            started = time.monotonic()
            await sock.ws.send('{"type": "ping"}')
            arrived = await asyncio.wait_for(sock.pongs.get(), 10)
            out.append((arrived - started) * 1000)
        return out

    def offers(self) -> dict[int, list[tuple[float, dict]]]:
        """rep id -> the `assignment.offered` messages its socket received after its resync."""
        result = {}
        for rep_id, sock in self.sockets.items():
            done = next(i for i, (_, m) in enumerate(sock.messages) if m["type"] == "sync.done")
            result[rep_id] = [(t, m) for t, m in sock.messages[done + 1:] if m["type"] == "assignment.offered"]
        return result

    def close(self) -> None:
        async def _close():
            for sock in self.sockets.values():
                with contextlib.suppress(Exception):
                    await sock.ws.close()
            for reader in self._readers:
                reader.cancel()
            await asyncio.gather(*self._readers, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.run(_close(), 20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

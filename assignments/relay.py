"""Embedded mode: push outbox rows written by any process through this web process's in-memory channel layer.

The in-memory layer does not cross processes, so a django-q2 worker's offer reaches browsers only through
this relay: an asyncio task that polls rows newer than the last one it pushed. It starts at the newest row
(a browser that connects resyncs its open assignments, so nothing older is needed) and survives database
errors. Started by the ASGI lifespan, or by the first websocket when the server has no lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer
from django.db import connection

from assignments import events
from assignments.messages import ServerMessage
from assignments.selectors_live import outbox_max_id, outbox_rows
from leadcrm.db import files_stamp, sqlite_files
from leadcrm.doorbell import Doorbell

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
# On a SQLite file the relay looks at the database files every poll (a stat, microseconds) and queries only when
# they changed, or at least this often: an idle `make run` then costs a query a second, not twenty.
IDLE_QUERY_SECONDS = 1.0
# There, between looks, it sleeps on the doorbell that every outbox write rings once committed (events.py), and
# looks on its own at least this often (a lost ring costs this long, never a message).
DOORBELL_IDLE_SECONDS = 2.0
BATCH = 500
ERROR_BACKOFF_SECONDS = 0.5
# A row id seen missing (a writer that committed later than a higher id) is looked for this long.
GAP_WAIT_SECONDS = 2.0
MAX_GAP_IDS = 1000


def _close_connection() -> None:
    """Close this thread's database connection (resolved on the relay's own thread, not the caller's)."""
    connection.close()


class OutboxRelay:
    """One polling loop bound to the event loop that started it; its queries run on its own thread."""

    def __init__(self, *, poll_seconds: float = POLL_SECONDS, layer=None):
        self.poll_seconds = poll_seconds
        self.layer = layer
        self.last_id: int | None = None
        self.missing: dict[int, float] = {}
        self.pushed = 0
        self.errors = 0
        self.ready = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.queries = 0
        self._files: list[str] = []
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._queried_at = 0.0
        self._doorbell: Doorbell | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-relay")

    def running_on(self, loop: asyncio.AbstractEventLoop) -> bool:
        """True while the polling task is alive in this event loop."""
        return self.task is not None and not self.task.done() and self.task.get_loop() is loop

    async def start(self) -> None:
        """Start polling; returns once the starting row id is known (or the first attempt failed)."""
        self.layer = self.layer or get_channel_layer()
        self.task = asyncio.get_running_loop().create_task(self._run(), name="outbox-relay")
        await self.ready.wait()

    async def stop(self) -> None:
        """Cancel the loop and close its database connection."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        try:
            await self._db(_close_connection)
        finally:
            self.release()

    def release(self) -> None:
        """Let go of the thread and the doorbell (without touching the event loop, which may be gone)."""
        self._executor.shutdown(wait=False)
        if self._doorbell is not None:
            self._doorbell.close()

    async def _db(self, func, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: func(*args, **kwargs))

    async def _run(self) -> None:
        streak = 0
        while True:
            try:
                if self.last_id is None:
                    self._files = await self._db(sqlite_files)
                    self._doorbell = Doorbell.listen(events.OUTBOX_DOORBELL) if self._files else None
                    self.last_id = await self._db(outbox_max_id)
                    self.ready.set()
                full = await self.poll_once() if self._worth_a_query() else False
                if streak:
                    log.info("outbox relay: recovered after %d failed polls", streak)
                    streak = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked or vanished database must not end live delivery; retry shortly
                self.errors += 1
                streak += 1
                if streak == 1:
                    log.exception("outbox relay: poll failed, retrying every %.1fs", ERROR_BACKOFF_SECONDS)
                elif streak % 100 == 0:
                    log.warning("outbox relay: still failing (%d attempts in a row)", streak)
                self.ready.set()
                try:
                    await self._db(_close_connection)
                except Exception:
                    log.exception("outbox relay: could not reset the database connection")
                await asyncio.sleep(ERROR_BACKOFF_SECONDS)
                continue
            if not full:
                await self._sleep()

    async def _sleep(self) -> None:
        """Until the next look: poll_seconds, or on the doorbell until rung (at most DOORBELL_IDLE_SECONDS; every
        poll_seconds while late rows are awaited)."""
        if self._doorbell is None or self.missing:
            await asyncio.sleep(self.poll_seconds)
            return
        loop, rung = asyncio.get_running_loop(), asyncio.Event()
        loop.add_reader(self._doorbell.fileno(), rung.set)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rung.wait(), DOORBELL_IDLE_SECONDS)
        finally:
            loop.remove_reader(self._doorbell.fileno())
        self._doorbell.drain()

    def _worth_a_query(self) -> bool:
        """Whether this poll should query: the database files changed, gaps wait for late rows, or a second went
        by (the stamp is taken before the query, so a commit during it is seen at the next poll)."""
        stamp = files_stamp(self._files)
        now = time.monotonic()
        if stamp is None or stamp != self._stamp or self.missing or now - self._queried_at >= IDLE_QUERY_SECONDS:
            self._stamp, self._queried_at = stamp, now
            return True
        return False

    async def poll_once(self) -> bool:
        """Push every new row (and late rows filling earlier gaps); True when a whole batch came back."""
        if self.last_id is None:
            raise RuntimeError("outbox relay: polled before its starting row id is known")
        rows: list[tuple[int, str, ServerMessage]] = await self._db(
            outbox_rows, after_id=self.last_id, also_ids=tuple(self.missing), limit=BATCH)
        self.queries += 1
        now = time.monotonic()
        for pk, group, payload in rows:
            if pk > self.last_id:
                gap = range(self.last_id + 1, pk)
                if len(gap) <= MAX_GAP_IDS:
                    self.missing.update((missing, now + GAP_WAIT_SECONDS) for missing in gap)
                self.last_id = pk
            else:
                self.missing.pop(pk, None)
            await self.layer.group_send(group, events.layer_message(outbox_id=pk, message=payload))
            self.pushed += 1
        self.missing = {pk: deadline for pk, deadline in self.missing.items() if deadline > now}
        return len(rows) >= BATCH


_relay: OutboxRelay | None = None


async def relay_ensure_started() -> OutboxRelay:
    """The relay of the running event loop, started if needed (first websocket, or the ASGI lifespan)."""
    global _relay
    loop = asyncio.get_running_loop()
    if _relay is not None and _relay.running_on(loop):
        await _relay.ready.wait()
        return _relay
    if _relay is not None:
        # Its event loop is gone (a test server that stopped): drop it without touching that loop.
        _relay.release()
    _relay = relay = OutboxRelay()
    await relay.start()
    log.info("outbox relay started at outbox id %s", relay.last_id)
    return relay


async def relay_stop() -> None:
    """Stop the running relay, if any (ASGI lifespan shutdown, tests)."""
    global _relay
    relay, _relay = _relay, None
    if relay is not None:
        if relay.task is not None and relay.task.get_loop() is not asyncio.get_running_loop():
            relay.release()
            return
        await relay.stop()

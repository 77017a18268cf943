"""How many HTTP requests a web process runs at once; the rest wait their turn on the event loop.

Under ASGI every in-flight request to a sync view runs on a thread of its own, and all of them and the event loop
share one GIL. The event loop is what pushes offers down the reps' websockets; with two dozen requests in flight it
waited behind every one of them at each step of a push. Measured with `make soak` at 20 leads/s on 2 cores (2 web
processes, reps accepting, calling and closing through the API): without a limit offers reached the sockets 30 s
late and half expired in the channel layer; with 4 per process none was lost and the p50 was about 2 s. Requests
beyond the limit are not refused: they wait, costing nothing but a place in the queue.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any


class HttpConcurrencyLimit:
    """ASGI middleware: at most `limit` HTTP requests of this process in the wrapped app at once (per event loop)."""

    def __init__(self, app: Any, *, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"HTTP_CONCURRENCY must be at least 1 (got {limit})")
        self.app, self.limit = app, limit
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        async with semaphore:
            await self.app(scope, receive, send)

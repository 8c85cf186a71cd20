"""The key revocation counter, read per request without a database round trip per request.

Why: a revoked key must stop on every instance at once, not when a cache expires. Every request
needs the counter as it was when the request arrived, so each request waits for a read that
started after it arrived; requests arriving together share one read (one worker-thread hop per
wave of requests, not one per request).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import anyio


class RevocationWatch:
    """`await current()`: the store's revocation counter, read no earlier than the call."""

    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read
        self._task: asyncio.Future[int] | None = None
        self._started = 0.0

    async def current(self) -> int:
        arrived = time.monotonic()
        while True:
            task = self._task
            if task is not None and task.get_loop() is not asyncio.get_running_loop():
                task = None  # a read on another event loop (a test client's thread) cannot be awaited here
            if task is not None and self._started >= arrived:
                return await asyncio.shield(task)  # a read that began after this request arrived
            if task is None or task.done():
                self._started = time.monotonic()
                self._task = task = asyncio.ensure_future(anyio.to_thread.run_sync(self._read))
                return await asyncio.shield(task)
            # a read from before this request is in flight: let it finish, then start or join the next;
            # its error is not this request's (the next read raises it to its own caller)
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

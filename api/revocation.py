"""The key revocation counter, read per request without a database round trip per request.

Why: a revoked key must stop on every instance at once, not when a cache expires. Every request
needs the counter as it was when the request arrived, so each request waits for a read that
started after it arrived; requests arriving together share one read (one worker-thread hop per
wave of requests, not one per request). A deployment that accepts a bound instead of "at once"
(DISCRETION_REVOCATION_MAX_AGE = s) lets a request use a read begun at most s seconds before it
arrived: no wait, so no tail of latency from the waves (README, "Decisions").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import anyio


class RevocationWatch:
    """`await current()`: the store's revocation counter, read no earlier than the call."""

    def __init__(self, read: Callable[[], int], max_age: float = 0.0) -> None:
        self._read = read
        self._task: asyncio.Future[int] | None = None
        self._started = 0.0
        self.max_age = max_age
        self._last: tuple[float, int] | None = None  # (when the last finished read began, its value)

    async def current(self) -> int:
        arrived = time.monotonic()
        last = self._last
        if self.max_age > 0 and last is not None and arrived - last[0] <= self.max_age:
            return last[1]  # a read begun at most max_age before this request: the bound the deployment chose
        while True:
            task = self._task
            if task is not None and task.get_loop() is not asyncio.get_running_loop():
                task = None  # a read on another event loop (a test client's thread) cannot be awaited here
            if task is not None and self._started >= arrived:
                return await asyncio.shield(task)  # a read that began after this request arrived
            if task is None or task.done():
                self._started = started = time.monotonic()
                self._task = task = asyncio.ensure_future(anyio.to_thread.run_sync(self._read))
                value = await asyncio.shield(task)
                if self._last is None or self._last[0] < started:
                    self._last = (started, value)
                return value
            # a read from before this request is in flight: let it finish, then start or join the next;
            # its error is not this request's (the next read raises it to its own caller)
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

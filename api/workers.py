"""Worker threads for heavy work (imports, uploads, compiles, verify, diff, impact), a few at a time, with a
bounded queue; and evaluations on the event loop only when all their work is cached (discretion/warmth.py).

Why: the event loop must stay free for evaluations; a heavy request waits for a worker (its
sender waits, nobody else does) instead of starting a tenth concurrent compile on two cores. The
heavy work has its own limiter, and evaluations of cold cells theirs (COLD_WORKERS), so neither waits
behind the other. Beyond DISCRETION_HEAVY_WORKERS running and DISCRETION_HEAVY_QUEUE waiting, a
heavy request is refused at once with 503 and Retry-After rather than piling up memory and threads.

verify, diff and impact go one step further (api/review.py): the thread only waits while a child
process does the work, off the server's GIL.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TypeVar
from collections.abc import Callable

import anyio
from fastapi import HTTPException

from discretion.settings import load_settings
from discretion.warmth import ColdWork, warm_only

from . import heap

T = TypeVar("T")

_settings = load_settings()
#: heavy requests running at once per process (DISCRETION_HEAVY_WORKERS; default 2)
HEAVY_WORKERS = _settings.heavy_workers
#: heavy requests waiting for a worker, per process, before more are refused (DISCRETION_HEAVY_QUEUE; default 8)
HEAVY_QUEUE = _settings.heavy_queue
#: seconds a refused heavy request is told to wait before trying again
RETRY_AFTER = 5
#: evaluations of cold cells running at once per process (a first case of a cell: milliseconds of CPU)
COLD_WORKERS = 4


class HeavyPool:
    """At most `workers` heavy calls run at once; up to `queue` more wait their turn; more are refused."""

    def __init__(self, workers: int, queue: int) -> None:
        self.limiter = anyio.CapacityLimiter(workers)
        self.capacity = workers + queue
        self.admitted = 0  # running + waiting (only the event loop's thread changes it)

    async def run(self, fn: Callable[[], T]) -> T:
        if self.admitted >= self.capacity:
            raise HTTPException(
                503,
                detail=[
                    {
                        "loc": ["request"],
                        "msg": f"the service is busy with {self.admitted} heavy requests (verify, diff, impact, "
                        f"uploads, imports); try again in {RETRY_AFTER} s",
                        "type": "busy",
                    }
                ],
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        self.admitted += 1
        try:
            return await anyio.to_thread.run_sync(fn, limiter=self.limiter)
        finally:
            self.admitted -= 1


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HeavyPool] = weakref.WeakKeyDictionary()


def heavy_pool() -> HeavyPool:
    """The running event loop's pool (one per loop: test clients each run their own)."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = HeavyPool(HEAVY_WORKERS, HEAVY_QUEUE)
    return pool


async def in_worker(fn: Callable[[], T]) -> T:
    """Run `fn` in a worker thread, at most HEAVY_WORKERS at once, HEAVY_QUEUE more waiting (else 503)."""
    return await heavy_pool().run(fn)


_cold: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


async def warm_inline(fn: Callable[[], T]) -> T:
    """Run an evaluation `fn` on the event loop when every step of it is cached (tens of
    microseconds, less than a thread hand-off), else in a worker thread (at most COLD_WORKERS)."""
    try:
        with warm_only():
            return fn()
    except ColdWork:
        pass
    loop = asyncio.get_running_loop()
    limiter = _cold.get(loop)
    if limiter is None:
        limiter = _cold[loop] = anyio.CapacityLimiter(COLD_WORKERS)
    try:
        return await anyio.to_thread.run_sync(fn, limiter=limiter)
    finally:
        heap.settle()  # the cells' caches grew: keep full collections from scanning them (api/heap.py)

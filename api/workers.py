"""Worker threads for heavy work (imports, uploads, compiles, cold evaluations), a few at a time.

Why: the event loop must stay free for evaluations; a heavy request waits for a worker (its
sender waits, nobody else does) instead of starting a tenth concurrent compile on two cores.
An evaluation runs on the loop only when all its work is cached (discretion/warmth.py).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TypeVar
from collections.abc import Callable

import anyio

from discretion.settings import load_settings
from discretion.warmth import ColdWork, warm_only

T = TypeVar("T")

#: heavy requests running at once per process (DISCRETION_HEAVY_WORKERS; default 2)
HEAVY_WORKERS = load_settings().heavy_workers
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()
#: evaluations of cold cells running at once per process (their own limit: they never wait behind an import)
COLD_WORKERS = 4
_cold: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


async def in_worker(fn: Callable[[], T]) -> T:
    """Run `fn` in a worker thread, at most HEAVY_WORKERS at once (the rest wait their turn)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(HEAVY_WORKERS)
    return await anyio.to_thread.run_sync(fn, limiter=limiter)


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
    return await anyio.to_thread.run_sync(fn, limiter=limiter)

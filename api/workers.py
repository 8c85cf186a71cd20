"""Worker threads for heavy work (imports, uploads, compiles), a few at a time.

Why: the event loop must stay free for evaluations; a heavy request waits for a worker (its
sender waits, nobody else does) instead of starting a tenth concurrent compile on two cores.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TypeVar
from collections.abc import Callable

import anyio

from discretion.settings import load_settings

T = TypeVar("T")

#: heavy requests running at once per process (DISCRETION_HEAVY_WORKERS; default 2)
HEAVY_WORKERS = load_settings().heavy_workers
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


async def in_worker(fn: Callable[[], T]) -> T:
    """Run `fn` in a worker thread, at most HEAVY_WORKERS at once (the rest wait their turn)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(HEAVY_WORKERS)
    return await anyio.to_thread.run_sync(fn, limiter=limiter)

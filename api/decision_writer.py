"""Group commit for POST /v1/decisions: the decisions that arrive while a batch is being written are
written together in the next one, one transaction for all (each request still answers only once its
decision is committed). One writer per event loop; its batches run in a worker thread."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine

from discretion.decisions.record import Pending, Stored, store_decisions

#: the most decisions written in one transaction
MAX_BATCH = 64


class DecisionWriter:
    """Queues checked decisions and writes them in batches, one batch at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: asyncio.Queue[tuple[Pending, asyncio.Future[Stored]]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def store(self, pending: Pending) -> Stored:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((pending, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while not self.queue.empty():
            batch = [self.queue.get_nowait()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                results: list[Any] = await run_in_threadpool(store_decisions, self.engine, [p for p, _ in batch])
            except Exception as e:  # noqa: BLE001 - every request of the batch gets the error
                results = [e] * len(batch)
            for (_, future), r in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(r, BaseException):
                    future.set_exception(r)
                else:
                    future.set_result(r)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DecisionWriter] = weakref.WeakKeyDictionary()


def writer_for(engine: Engine) -> DecisionWriter:
    """The running loop's writer for `engine` (a test client may run each request on a new loop)."""
    loop = asyncio.get_running_loop()
    w = _writers.get(loop)
    if w is None or w.engine is not engine:
        w = _writers[loop] = DecisionWriter(engine)
    return w

"""Whether a cached key may still be used: PostgreSQL LISTEN/NOTIFY, else the counter read per request.

Why: a revoked key must stop on every instance at once, not when a cache expires. On PostgreSQL a served
instance listens for the notification the revoking transaction sends (`Revocations`): a request compares
an in-memory counter and reads nothing. Otherwise (SQLite, the listener not connected,
DISCRETION_REVOCATION_NOTIFY=0) every request needs the store's counter as it was when the request
arrived (`RevocationWatch`), so each request waits for a read that started after it arrived; requests
arriving together share one read (one worker-thread hop per wave of requests, not one per request). A
deployment that accepts a bound instead of "at once" (DISCRETION_REVOCATION_MAX_AGE = s) lets a request
use a read begun at most s seconds before it arrived: no wait, so no tail of latency from the waves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
from sqlalchemy.engine import Engine

from discretion.store.keys import CHANNEL

log = logging.getLogger(__name__)


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


class Revocations:
    """What a request compares to know whether its cached key may still be used: `await current()` gives a
    token that changes whenever a key stops working.

    On PostgreSQL with `notify` (the default, DISCRETION_REVOCATION_NOTIFY), a thread of the served
    instance LISTENs on the store's revocation channel (store/keys.note_revocation notifies it in the
    revoking transaction): each notification moves an in-memory counter, so a request compares two
    integers and reads nothing. A key revoked through this instance is dropped from its cache by the
    revoking route itself (at once); on the other instances it is refused once PostgreSQL has delivered
    the notification (milliseconds after the commit). Until the listener is connected, whenever its
    connection is lost, and on SQLite, every request waits for the read of `watch` (RevocationWatch:
    strictly at once, at the latency it costs). A reconnected listener starts a new token, so keys cached
    before are looked up again (a notification may have been missed meanwhile). The listener notifies itself
    before it goes live and every `health_every` seconds: a connection lost without a word, or a channel
    that does not deliver (LISTEN through a pooler in transaction mode), is noticed within two periods.
    """

    def __init__(self, watch: RevocationWatch, engine: Engine | None = None, *, health_every: float = 5.0) -> None:
        self.watch = watch
        self.engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self.health_every = health_every
        self.generation = 0  # moved by the listener thread only
        self.live = False  # True while the listener is connected and listening
        self.backend_pid: int | None = None  # the listener's PostgreSQL backend (tests cut it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def current(self) -> tuple[str, int]:
        if self.live:
            return ("notified", self.generation)
        return ("read", await self.watch.current())

    def current_nowait(self) -> tuple[str, int]:
        """The token as the listener has it now (only while `live`)."""
        return ("notified", self.generation)

    def start(self) -> None:
        """Start listening (a served instance's startup); a no-op on SQLite or when already started."""
        if self.engine is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="discretion-revocations", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self.health_every + 1)

    def _ping(self, conn: Any, ping: str) -> None:
        """Notify this listener itself and wait up to `health_every` for it, counting the revocations that
        come meanwhile; raises when it does not come back (the caller then reads per request)."""
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ping))
        for note in conn.notifies(timeout=self.health_every):
            if note.payload == ping:
                return
            self._heard(note.payload)
        raise ConnectionError(f"the listener's own notification did not come back in {self.health_every} s")

    def _heard(self, payload: str) -> None:
        if payload == "":  # a revocation (another instance's ping is none)
            self.generation += 1

    def _listen(self) -> None:
        assert self.engine is not None
        backoff = 0.5
        while not self._stop.is_set():
            raw = None
            try:
                raw = self.engine.raw_connection()
                conn: Any = raw.driver_connection  # a psycopg Connection (the engine is postgresql+psycopg)
                raw.detach()  # this connection is the listener's for good, never back in the pool
                conn.rollback()
                conn.autocommit = True
                conn.execute(f"LISTEN {CHANNEL}")
                self.backend_pid = conn.info.backend_pid
                ping = f"ping:{self.backend_pid}"
                self._ping(conn, ping)  # the channel delivers (it would not through a pooler in transaction mode)
                self.generation += 1  # before this moment a notification may have been missed
                self.live = True
                backoff = 0.5
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=self.health_every):
                        self._heard(note.payload)
                    self._ping(conn, ping)  # a connection or channel lost without a word is noticed here
            except Exception:  # noqa: BLE001 - logged; requests read the counter until connected again
                log.warning("revocation listener: connection lost; requests read the counter meanwhile", exc_info=True)
            finally:
                self.live = False
                if raw is not None:
                    with contextlib.suppress(Exception):
                        raw.close()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)

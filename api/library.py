"""The published rulesets as one compiled library, rebuilt only when the live set changes."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio

from sqlalchemy.engine import Engine
from sqlmodel import Session

from discretion.loader import RulesetLibrary
from discretion.store.lifecycle import live_signature, live_texts

from . import heap


class LibraryCache:
    """Compiled library of published/superseded versions; other workers' publishes show within `ttl` s.

    A department whose live versions do not compile or overlap is left out (its evaluations
    answer with the reason); every other department goes on."""

    def __init__(self, engine: Engine, ttl: float = 1.0) -> None:
        self.engine, self.ttl = engine, ttl
        self._lock = threading.Lock()
        self._library: RulesetLibrary | None = None
        self._signature: tuple[Any, ...] | None = None
        self._checked = 0.0

    def get(self) -> RulesetLibrary:
        now = time.monotonic()
        if self._library is not None and now - self._checked < self.ttl:
            return self._library
        with self._lock:
            if self._library is not None and time.monotonic() - self._checked < self.ttl:
                return self._library
            with Session(self.engine) as session:
                sig = live_signature(session)
                if sig != self._signature or self._library is None:
                    replaced = self._library is not None
                    self._library = RulesetLibrary.from_texts(live_texts(session), tolerant=True)
                    self._signature = sig
                    # the compiled library lives long: out of the collector's full scans (api/heap.py)
                    if replaced:
                        heap.refreeze()
                    else:
                        heap.freeze()
            self._checked = time.monotonic()
            return self._library

    async def aget(self) -> RulesetLibrary:
        """`get` for async routes: the cached library at once when fresh, or while another request
        refreshes it; otherwise the refresh (a database read, maybe a compile) in a worker thread."""
        library = self._library
        if library is not None and (time.monotonic() - self._checked < self.ttl or self._lock.locked()):
            return library
        return await anyio.to_thread.run_sync(self.get)

    def invalidate(self) -> None:
        self._checked = 0.0

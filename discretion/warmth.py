"""Which evaluations may run on the service's event loop: those whose every step is cached.

Why: an evaluation of a warm cell is tens of microseconds of CPU, less than handing it to a thread,
but the first case of a cell compiles the item, asks durable_rules and plans the path: milliseconds
that must not hold the event loop while other requests wait (issue 10). A caller on the loop
evaluates under `warm_only()`; the first step that would do uncached work raises `ColdWork` before
doing it, and the caller evaluates again in a worker thread, where nothing is refused. What the
refused attempt did before it stopped is pure (validation, cache reads), so repeating it is safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_WARM_ONLY: ContextVar[bool] = ContextVar("discretion_warm_only", default=False)


class ColdWork(Exception):
    """The evaluation needs work that is not cached (a compile, a durable_rules answer, a plan):
    run it in a worker thread. Never reaches a caller that did not ask for `warm_only()`."""


@contextmanager
def warm_only() -> Iterator[None]:
    """Within this block (in this task or thread), uncached evaluation work raises ColdWork."""
    token = _WARM_ONLY.set(True)
    try:
        yield
    finally:
        _WARM_ONLY.reset(token)


def refuse_cold() -> None:
    """Called by each cache on a miss, before the work: raises ColdWork inside `warm_only()`."""
    if _WARM_ONLY.get():
        raise ColdWork

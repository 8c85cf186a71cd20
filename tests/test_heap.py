"""A served instance's long-lived heap is frozen out of full collections (api/heap.py); nothing is frozen
in a process that did not ask (tests make and drop many apps)."""

from __future__ import annotations

import gc

import pytest

from api import heap


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    threshold = gc.get_threshold()
    monkeypatch.setattr(heap, "_enabled", False)
    monkeypatch.setattr(heap, "_last", 0.0)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_nothing_is_frozen_unless_enabled(restored) -> None:  # type: ignore[no-untyped-def]
    gc.unfreeze()
    heap.freeze()
    heap.settle()
    heap.refreeze()
    assert gc.get_freeze_count() == 0


def test_enabled_the_heap_is_frozen_young_collections_are_rarer_and_settle_waits(restored) -> None:  # type: ignore[no-untyped-def]
    gc.unfreeze()
    heap.enable()
    frozen = gc.get_freeze_count()
    assert frozen > 0 and gc.get_threshold()[0] == heap.YOUNG
    kept = [[i] for i in range(1000)]  # new long-lived objects
    heap.settle()  # frozen a moment ago: not again before FREEZE_EVERY
    # the new objects stay unfrozen (not ==: another thread of the test process, e.g. a large catalogue's
    # load, may freeze a few objects of its own meanwhile; a freeze here would add all 1,000)
    assert gc.get_freeze_count() < frozen + len(kept)
    heap._last -= heap.FREEZE_EVERY
    heap.settle()
    assert gc.get_freeze_count() >= frozen + len(kept)
    heap.refreeze()  # thawed, collected, frozen again
    assert gc.get_freeze_count() > 0

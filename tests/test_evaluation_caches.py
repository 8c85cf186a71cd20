"""The evaluator's per-cell caches (evaluation/cells.py): bounded, least recently used, and asked once per cell."""

from __future__ import annotations

from decimal import Decimal

import pytest

from discretion.evaluation import cells
from discretion.evaluation.cells import LRU, caches


def test_lru_keeps_what_was_put() -> None:
    lru: LRU[str, int] = LRU(3)
    lru.put("a", 1)
    lru.put("b", 2)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, 2, None)
    assert len(lru) == 2


def test_lru_holds_exactly_its_size_and_forgets_the_least_recently_used() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert len(lru) == 2  # full, nothing forgotten yet
    assert lru.get("a") == 1  # "a" is now the most recently used
    lru.put("c", 3)
    assert len(lru) == 2
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    lru.put("a", 4)  # a second put replaces, and does not grow
    assert len(lru) == 2 and lru.get("a") == 4
    lru.clear()
    assert len(lru) == 0 and lru.get("a") is None


@pytest.fixture
def f124(food, monkeypatch: pytest.MonkeyPatch):
    """F-124 of the fixture library with its caches emptied and durable_rules' answers counted."""
    ci = food.compiled["food/2024"].items["F-124"]
    caches(ci).clear()
    asked: list[dict] = []
    real = ci.match

    def spy(facts):
        asked.append(dict(facts))
        return real(facts)

    monkeypatch.setattr(ci, "match", spy)
    yield ci, asked
    caches(ci).clear()


def _facts(goods: str, harm: str = "minor") -> dict:
    return {"goods_value": Decimal(goods), "harm": harm, "illegal_gain": Decimal(0)}


def test_durable_rules_is_asked_once_per_cell_and_the_answer_kept_under_the_cell_key(f124) -> None:
    """Two cases in one cell of fact space (the same conditions hold): one answer, asked once."""
    ci, asked = f124
    a, b = _facts("8000.01"), _facts("8000.02")
    assert ci.cell_key(a) == ci.cell_key(b)
    first = cells.match(ci, a)
    assert first == ci.match_reference(a) and first
    assert cells.match(ci, b) == first
    assert len(asked) == 1
    assert caches(ci).matched.get(ci.cell_key(a)) == first


def test_another_cell_is_asked_again_and_kept_apart(f124) -> None:
    ci, asked = f124
    a, c = _facts("8000.01"), _facts("8000.01", harm="serious")
    assert ci.cell_key(a) != ci.cell_key(c)
    ra, rc = cells.match(ci, a), cells.match(ci, c)
    assert len(asked) == 2
    assert (ra, rc) == (ci.match_reference(a), ci.match_reference(c)) and ra != rc
    assert cells.match(ci, a) == ra and cells.match(ci, c) == rc
    assert len(asked) == 2

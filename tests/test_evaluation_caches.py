"""The evaluator's per-cell caches (evaluation/cells.py): bounded, least recently used, and asked once per cell."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discretion.evaluation import cells
from discretion.evaluation.cells import LRU, caches
from discretion.keys import RuleKey

from .strategies import facts_for


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
    real = ci.match_conditions

    def spy(facts):
        asked.append(dict(facts))
        return real(facts)

    monkeypatch.setattr(ci, "match_conditions", spy)
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


def test_a_new_cell_of_circumstances_each_seen_before_is_answered_without_durable_rules(f124) -> None:
    """Each condition's answer depends only on the facts it reads: 从重 (F-AG-1 reads repeat_within_2y) seen
    in one cell and 减轻 (GEN-32-1 reads eliminated_harm) in another answer the cell with both, exactly as
    the reference predicates do, without asking durable_rules again."""
    ci, asked = f124
    aggravated = {**_facts("8000.01"), "repeat_within_2y": True, "eliminated_harm": False}
    mitigated = {**_facts("8000.01"), "repeat_within_2y": False, "eliminated_harm": True}
    both = {**_facts("8000.01"), "repeat_within_2y": True, "eliminated_harm": True}
    assert len({ci.cell_key(aggravated), ci.cell_key(mitigated), ci.cell_key(both)}) == 3
    cells.match(ci, aggravated)
    cells.match(ci, mitigated)
    assert len(asked) == 2
    got = cells.match(ci, both)
    assert len(asked) == 2  # not asked: every condition's part of this cell was answered before
    assert got == ci.match_reference(both)
    assert RuleKey.entry("F-AG-1") in got and RuleKey.entry("GEN-32-1") in got


def test_a_cell_with_a_circumstance_never_seen_is_asked(f124) -> None:
    ci, asked = f124
    cells.match(ci, {**_facts("8000.01"), "repeat_within_2y": False})
    got = cells.match(ci, {**_facts("8000.01"), "repeat_within_2y": True})
    assert len(asked) == 2 and RuleKey.entry("F-AG-1") in got


def test_counted_entries_are_decided_per_cell_from_the_answers(bundled) -> None:
    """A count (第十七条 of 中国人民银行令〔2024〕第6号) is worked out from what holds in the cell, whether the
    answers came from durable_rules or from the answers remembered per condition."""
    crs = next(c for c in bundled.compiled.values() if any(i.counting for i in c.items.values()))
    ci = next(i for i in crs.items.values() if i.counting)
    caches(ci).clear()

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        facts = data.draw(facts_for(ci))
        assert cells.match(ci, facts) == ci.match_reference(facts)

    check()
    caches(ci).clear()

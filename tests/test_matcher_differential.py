"""durable_rules (production matcher) and the reference predicates agree on generated facts,
for every condition of every bundled ruleset and of the test fixtures."""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from discretion import FactError, engine
from discretion.evaluation.cells import match
from discretion.facts import validate_facts
from discretion.keys import RuleKey

from . import libraries
from .strategies import facts_for

LIBS = {"bundled": libraries.bundled(), "fixtures": libraries.fixtures()}
ITEMS = libraries.items("bundled", "fixtures")


def test_there_is_something_to_compare() -> None:
    assert len(ITEMS) >= 10


@pytest.mark.parametrize("lib, ref, code", ITEMS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_durable_rules_agrees_with_reference(lib: str, ref: str, code: str, data: st.DataObject) -> None:
    ci = LIBS[lib].compiled[ref].items[code]
    raw = data.draw(facts_for(ci, evaluable=False))  # a base absent is a cell too
    try:
        facts = validate_facts(raw, ci.schema, ci.derived)
    except FactError:
        reject()  # e.g. a value outside a declared minimum/maximum: not an example, hypothesis draws another
    # the conditions alike; then the counts of circumstances (when_count) read from those keys alike
    assert ci.matcher.match(facts) == frozenset(k for k, c in ci.conditions.items() if c.holds(facts))
    assert ci.match(facts) == ci.match_reference(facts)
    # the per-cell cache answers the same as asking durable_rules afresh
    assert match(ci, facts) == ci.match_reference(facts)


# ---------------------------------------------------------------- the cell hypothesis found (SC-PRICE-13-1)

#: the cell of scjg/2025 SC-PRICE-13-1 on which durable_rules once missed `statutory:base` and
#: `list:SC-L-PRICE-17-5` in a full run: durable_rules' Host ran pending actions from its own timer
#: threads, outside the matcher's lock, so an action could fire after the match had read what fired
PRICE_CELL = {
    "age": 0,
    "eliminated_harm": True,
    "evidence_destroyed": True,
    "harm": "minor",
    "price_refund_refused": True,
    "price_repeat_after_inspection": True,
}


def test_no_durable_rules_thread_runs_actions_beside_the_matcher() -> None:
    """Every action runs inside assert_fact under the matcher's lock: the host starts no dispatcher."""
    ci = LIBS["bundled"].compiled["scjg/2025"].items["SC-PRICE-13-1"]
    ci.matcher.match(validate_facts(PRICE_CELL, ci.schema, ci.derived))  # the host exists now
    dispatchers = [
        t
        for t in threading.enumerate()
        if getattr(getattr(t, "function", None), "__name__", "") in ("dispatch_ruleset", "dispatch_timers")
    ]
    assert dispatchers == []


def test_the_price_cell_matches_alike_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """《价格违法行为行政处罚规定》第十七条第二款第（五）项 on the cell found: thousands of matches, each the
    reference's answer, and no action of durable_rules run by a thread other than the caller's."""
    ci = LIBS["bundled"].compiled["scjg/2025"].items["SC-PRICE-13-1"]
    facts = validate_facts(PRICE_CELL, ci.schema, ci.derived)
    expected = ci.match_reference(facts)
    assert {RuleKey.statutory("base"), RuleKey.entry("SC-L-PRICE-17-5")} <= expected
    callers: set[threading.Thread] = set()
    plain = engine._action

    def recording(rule: RuleKey):
        run = plain(rule)

        def wrapped(c) -> None:
            callers.add(threading.current_thread())
            run(c)

        return wrapped

    monkeypatch.setattr(engine, "_action", recording)
    probe = engine.DurableMatcher(f"probe_{uuid.uuid4().hex}", ci.conditions, ci.types)  # built with `recording`
    for _ in range(3000):
        assert probe.match(facts) == expected
    assert callers == {threading.current_thread()}


def test_conditions_that_together_read_more_than_one_message_holds_are_asked_in_groups() -> None:
    """durable_rules 2.0.28 refuses a message of 255 properties and fails past its alpha stack (~220 distinct
    facts; an item with that many facts was an error, a 500): the matcher asks groups of conditions, each with
    the facts it reads, and the answer equals the reference predicates'."""
    from discretion.conditions import parse_condition
    from discretion.engine import MAX_PROPERTIES, DurableMatcher
    from discretion.keys import RuleKey, RuleKind
    from discretion.ruleset import FactSpec

    schema = {f"f{i}": FactSpec(type="integer", label=f"f{i}") for i in range(300)}
    schema["gain"] = FactSpec(type="money", label="gain", required=False)
    conds = {
        RuleKey(RuleKind.LIST, f"E{i}"): parse_condition(f"f{i} > 1 and f{i + 150} < 5", schema) for i in range(150)
    }
    conds[RuleKey(RuleKind.LIST, "G")] = parse_condition("not given(gain) and f1 > 1", schema)
    matcher = DurableMatcher("test_wide_item", conds, {n: s.type for n, s in schema.items()})
    assert len(matcher._groups) > 1 and all(len(g.facts) + len(g.flags) + 3 <= MAX_PROPERTIES for g in matcher._groups)
    facts = {f"f{i}": (3 if i % 3 else 0) for i in range(300)}
    expected = frozenset(k for k, c in conds.items() if c.holds(facts))
    assert 0 < len(expected) < len(conds) and RuleKey(RuleKind.LIST, "G") in expected
    assert matcher.match(facts) == expected
    assert matcher.match({**facts, "gain": 5}) == expected - {RuleKey(RuleKind.LIST, "G")}


def test_a_condition_reading_more_facts_than_a_message_holds_is_refused_at_load_time() -> None:
    from discretion import ConditionError
    from discretion.conditions import MAX_FACTS, parse_condition
    from discretion.ruleset import FactSpec

    schema = {f"f{i}": FactSpec(type="bool", label=f"f{i}") for i in range(MAX_FACTS + 1)}
    parse_condition(" and ".join(f"f{i}" for i in range(MAX_FACTS)), schema)  # at the bound: fine
    with pytest.raises(ConditionError, match=f"reads {MAX_FACTS + 1} facts") as e:
        parse_condition(" and ".join(f"f{i}" for i in range(MAX_FACTS + 1)), schema, field="lists[0].when")
    assert e.value.field == "lists[0].when"

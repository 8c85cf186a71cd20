"""durable_rules (production matcher) and the reference predicates agree on generated facts,
for every condition of every bundled ruleset and of the test fixtures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from discretion import FactError
from discretion.evaluation.cells import match
from discretion.facts import validate_facts

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
    assert ci.matcher.match(facts) == ci.match_reference(facts)
    # the per-cell cache answers the same as asking durable_rules afresh
    assert match(ci, facts) == ci.match_reference(facts)

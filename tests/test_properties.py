"""Legal invariants as hypothesis properties, over every item of the bundled rulesets and fixtures."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from discretion import EvaluationRequest, FactError, RulesetDefect, evaluate

from . import libraries
from .strategies import facts_for, reads_only_lists

LIBS = {"bundled": libraries.bundled(), "fixtures": libraries.fixtures()}
ITEMS = libraries.items("bundled", "fixtures")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def _evaluate(lib: str, ref: str, code: str, facts: dict):
    library = LIBS[lib]
    crs = library.compiled[ref]
    start, end = library.period(crs)
    day = start + dt.timedelta(days=1)
    try:
        return evaluate(
            library,
            EvaluationRequest(department=crs.department, item=code, facts=facts, act_date=day, decision_date=day),
        )
    except (FactError, RulesetDefect):
        return None


@pytest.mark.parametrize("lib, ref, code", ITEMS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fact_strategy_draws_facts_the_evaluator_accepts(lib: str, ref: str, code: str, data) -> None:
    """The properties assume a drawn case is valid: a strategy that draws facts the evaluator refuses
    (a fine's base left out where the law has no range for an unknown base) makes them vacuous."""
    library = LIBS[lib]
    crs = library.compiled[ref]
    facts = data.draw(facts_for(crs.items[code]))
    start, _ = library.period(crs)
    day = start + dt.timedelta(days=1)
    request = EvaluationRequest(department=crs.department, item=code, facts=facts, act_date=day, decision_date=day)
    # a RulesetDefect is a documented gap of a published table (verify reports it), not a fact drawn wrong
    with contextlib.suppress(RulesetDefect):
        evaluate(library, request)


def _draw(data: st.DataObject, lib: str, ref: str, code: str):
    ci = LIBS[lib].compiled[ref].items[code]
    facts = data.draw(facts_for(ci))
    rec = _evaluate(lib, ref, code, facts)
    assume(rec is not None)
    return ci, facts, rec


@pytest.mark.parametrize("lib, ref, code", ITEMS)
@SETTINGS
@given(data=st.data())
def test_fine_stays_in_the_law(lib: str, ref: str, code: str, data: st.DataObject) -> None:
    """Never above the statutory maximum; below the minimum only by 减轻, never below its floor."""
    _, facts, rec = _draw(data, lib, ref, code)
    assert rec.model_dump_json() == _evaluate(lib, ref, code, dict(reversed(list(facts.items())))).model_dump_json()
    if rec.outcome in ("no_penalty", "exemption"):
        assert rec.fine is None
        return
    f = rec.fine
    if f is None:
        return
    assert f.min <= f.suggested <= f.max <= f.statutory_max
    if f.placement == "减轻":
        assert f.min >= LIBS[lib].compiled[ref].placement.mitigated_floor or f.min == f.statutory_min
        assert f.max <= f.statutory_min
    else:
        assert f.min >= f.statutory_min
    for o in rec.options:
        if o.fine is not None:
            assert o.fine.max <= f.statutory_max


@pytest.mark.parametrize("lib, ref, code", ITEMS)
@SETTINGS
@given(data=st.data())
def test_every_step_that_changed_the_result_is_cited(lib: str, ref: str, code: str, data: st.DataObject) -> None:
    _, _, rec = _draw(data, lib, ref, code)
    for step in rec.trace:
        assert step.citation.startswith("《"), step
    assert rec.ruleset.hash and len(rec.ruleset.hash) == 64


#: how heavy an outcome is: 不予处罚 < 免予处罚 < 给予行政处罚
SEVERITY = {"no_penalty": 0, "exemption": 1, "penalty": 2}


def _monotone(kinds: set[str], direction: int):
    """Flipping a bool fact that only such list entries read moves the outcome, and the fine where both
    evaluations have one, one way only (items whose statute provides no fine are checked on the outcome)."""
    items = [
        (lib, ref, code) for lib, ref, code in ITEMS if reads_only_lists(LIBS[lib].compiled[ref].items[code], kinds)
    ]

    @pytest.mark.parametrize("lib, ref, code", items)
    @SETTINGS
    @given(data=st.data())
    def check(lib: str, ref: str, code: str, data: st.DataObject) -> None:
        ci = LIBS[lib].compiled[ref].items[code]
        flags = reads_only_lists(ci, kinds)
        facts = data.draw(facts_for(ci))
        flag = data.draw(st.sampled_from(flags))
        before = _evaluate(lib, ref, code, {**facts, flag: False})
        after = _evaluate(lib, ref, code, {**facts, flag: True})
        assume(before is not None and after is not None)
        moved = SEVERITY[after.outcome] - SEVERITY[before.outcome]
        assert moved * direction >= 0, (flag, before.outcome, after.outcome)
        if before.fine and after.fine:
            assert (after.fine.suggested - before.fine.suggested) * direction >= 0, (flag, before.fine, after.fine)

    return check


test_adding_an_aggravating_fact_never_lowers_the_fine = _monotone({"aggravated"}, +1)
test_adding_a_lenient_fact_never_raises_the_fine = _monotone({"lenient", "mitigated"}, -1)

"""Legal invariants of the language constructs as hypothesis properties (issue 9 §5).

Over every item of the bundled rulesets, the test fixtures and the language examples:
a discretionary penalty (可以并处 / 可以吊销) is never imposed; the direction's band is respected;
absent never equals zero where the ruleset distinguishes them; a displaced entry never acts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from discretion import EvaluationRequest, FactError, RulesetDefect, RulesetLibrary, evaluate
from discretion.conditions import given_facts
from discretion.keys import Direction, RuleKey
from discretion.wording import DIRECTION_LABELS

from .conftest import FIXTURES
from .strategies import facts_for

LIBS = {
    "bundled": RulesetLibrary.load(),
    "fixtures": RulesetLibrary.load(FIXTURES),
    "language": RulesetLibrary.load(Path(__file__).parent.parent / "examples" / "language" / "rulesets"),
}
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _items(keep) -> list[tuple[str, str, str]]:
    return sorted(
        (lib, ref, code)
        for lib, library in LIBS.items()
        for ref, c in library.compiled.items()
        for code, ci in c.items.items()
        if keep(ci)
    )


def _may(ci) -> bool:
    owners = [*ci.item.statutory, *ci.item.tiers]
    return any(o.fine is not None and o.fine.may for o in owners) or any(
        m.may for o in [*owners, *ci.entries] for m in o.measures
    )


def _evaluate(lib: str, ref: str, code: str, facts: dict, days: int = 1):
    library = LIBS[lib]
    crs = library.compiled[ref]
    start, _ = library.period(crs)
    day = start + dt.timedelta(days=days)
    try:
        return evaluate(
            library,
            EvaluationRequest(department=crs.department, item=code, facts=facts, act_date=day, decision_date=day),
        )
    except (FactError, RulesetDefect):
        return None


MAY = _items(_may)
BANDED = _items(lambda ci: any(t.bands or t.direction for t in ci.item.tiers))
GIVEN = _items(lambda ci: any(given_facts(c.node, set()) for c in ci.conditions.values()))
DISPLACING = _items(lambda ci: bool(ci.displaced))


def test_every_construct_has_items_to_check() -> None:
    assert MAY and BANDED and GIVEN and DISPLACING
    assert any(lib == "bundled" for lib, _, _ in DISPLACING)  # GEN-33-3 in scjg


@pytest.mark.parametrize("item", MAY, ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_a_discretionary_penalty_is_never_imposed_and_never_dropped(item, data) -> None:
    ci = LIBS[item[0]].compiled[item[1]].items[item[2]]
    rec = _evaluate(*item, data.draw(facts_for(ci)))
    assume(rec is not None and any(s.step == "statutory" for s in rec.trace))
    clause = next(c for c in ci.item.statutory if any(s.rule == str(RuleKey.statutory(c.id)) for s in rec.trace))
    if clause.fine is not None and clause.fine.may:
        assert rec.fine is None
        assert any(o.id == f"may:statutory:{clause.id}:fine" and o.fine is not None for o in rec.options)
    only_may = {m.code for m in clause.measures if m.may} - {m.code for m in clause.measures if not m.may}
    assert not only_may & {m.code for m in rec.measures}
    for m in clause.measures:
        if m.may and (
            not m.when
            or ci.conditions[RuleKey.measure(RuleKey.statutory(clause.id), clause.measures.index(m))].holds(
                rec.trace[0].facts
            )
        ):
            assert any(o.id == f"may:statutory:{clause.id}:{m.code}" for o in rec.options)


@pytest.mark.parametrize("item", BANDED, ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_the_directions_band_is_respected(item, data) -> None:
    ci = LIBS[item[0]].compiled[item[1]].items[item[2]]
    rec = _evaluate(*item, data.draw(facts_for(ci)))
    assume(rec is not None and rec.fine is not None and rec.fine.tier is not None)
    direction = next(d for d, label in DIRECTION_LABELS.items() if label == rec.fine.placement)
    tier = next(t for t in ci.item.tiers if t.label == rec.fine.tier)
    bands = {b.direction: b.fine.range for b in tier.bands or [] if b.fine.range is not None}
    if tier.direction is not None and tier.fine is not None and tier.fine.range is not None:
        bands[tier.direction] = tier.fine.range
    if direction in bands:
        lo, hi = bands[direction]
        assert lo <= rec.fine.min <= rec.fine.max <= hi
        if direction is Direction.MITIGATED:
            assert rec.fine.max <= rec.fine.statutory_min
        else:
            assert rec.fine.statutory_min <= rec.fine.min and rec.fine.max <= rec.fine.statutory_max


@pytest.mark.parametrize("item", GIVEN, ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_absent_never_equals_zero_where_the_ruleset_distinguishes_them(item, data) -> None:
    """Where a rule tests given(fact) without saying that an unknown value counts like a known one, 无法确定 and 0
    reach different rules and different statutory clauses. A rule that says so — `not given(f) or …`: 粤环发〔2021〕7号
    第五条 "无法查明的按最低档次"; 价格违法行为行政处罚规定第十八条 via 第十一条 for individuals — treats them alike on
    purpose and is left out of the comparison (it is the ruleset's statement, not the evaluator's confusion)."""
    ci = LIBS[item[0]].compiled[item[1]].items[item[2]]
    facts = dict(data.draw(facts_for(ci)))
    defaults = {n: spec.default for n, spec in ci.schema.items() if spec.default is not None and not spec.derived}
    for fact in sorted({f for c in ci.conditions.values() for f in given_facts(c.node, set())}):
        absent = set(ci.match_reference({**_typed(ci, {**defaults, **facts}), fact: None}))
        zero = set(ci.match_reference({**_typed(ci, {**defaults, **facts}), fact: Decimal(0)}))
        equating = {k for k, c in ci.conditions.items() if _equates(c.node, fact)}
        testing = {k for k, c in ci.conditions.items() if fact in given_facts(c.node, set())} - equating
        assert absent & testing != zero & testing or not (absent | zero) & testing
        a = _evaluate(*item, {k: v for k, v in facts.items() if k != fact})
        z = _evaluate(*item, {**facts, fact: 0})
        clause_a = [s.rule for s in a.trace if s.step == "statutory"] if a is not None else []
        clause_z = [s.rule for s in z.trace if s.step == "statutory"] if z is not None else []
        apart = {str(k) for k in testing}  # the rules that tell 无法确定 from 0
        if clause_a and clause_z and set(clause_a) & apart:
            assert clause_a != clause_z  # both reached a clause that tells them apart: 无法确定 and 0 never share it


def _equates(node, fact: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether a condition says an unknown `fact` counts like a known one: a disjunction with `not given(fact)`."""
    from discretion.conditions import AllOf, AnyOf, Given

    if isinstance(node, AnyOf):
        if any(isinstance(p, Given) and p.fact == fact and not p.present for p in node.parts):
            return True
        return any(_equates(p, fact) for p in node.parts)
    if isinstance(node, AllOf):
        return any(_equates(p, fact) for p in node.parts)
    return False


def _typed(ci, facts: dict) -> dict:
    out = {}
    for k, v in facts.items():
        spec = ci.schema[k]
        out[k] = Decimal(str(v)) if spec.type in ("money", "number") and v is not None else v
    return out


@pytest.mark.parametrize("item", DISPLACING, ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_a_displaced_entry_never_acts(item, data) -> None:
    ci = LIBS[item[0]].compiled[item[1]].items[item[2]]
    facts = data.draw(facts_for(ci))
    for (
        entry,
        _,
    ) in ci.displaced:  # make the displaced entry's condition hold where a bool fact decides it
        for f in ci.conditions[RuleKey.entry(entry.id)].facts:
            if ci.schema[f].type == "bool" and data.draw(st.booleans()):
                facts[f] = True
    rec = _evaluate(*item, facts, days=data.draw(st.integers(min_value=1, max_value=60)))
    assume(rec is not None)
    displaced = {e.id for e, _ in ci.displaced}
    for s in rec.trace:
        assert s.rule not in displaced or s.step == "displaced"
    assert not displaced & {o.id.split(":")[0] for o in rec.options}
    held = {s.rule for s in rec.trace if s.step == "displaced"}
    assert held <= displaced

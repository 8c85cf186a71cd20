"""Every case file in examples/cases: legal expectations the bundled rulesets must meet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import discretion
from discretion import evaluate
from discretion.evaluation.casefile import Case, load_cases

from . import libraries

CASES = load_cases(Path(__file__).parent.parent / "examples" / "cases")
LIB = libraries.bundled()


def test_at_least_thirty_cases_across_three_departments() -> None:
    assert len(CASES) >= 30
    assert len({c.department for c in CASES}) >= 3


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.name}" for c in CASES])
def test_case(case: Case) -> None:
    if case.expect_error is not None:
        err_type = getattr(discretion, case.expect_error.type)
        with pytest.raises(err_type) as e:
            evaluate(LIB, case.request())
        if case.expect_error.field:
            assert e.value.field == case.expect_error.field
        return
    assert case.expect is not None, "a case expects a result or an error"
    rec = evaluate(LIB, case.request())
    exp = case.expect
    assert rec.outcome == exp.outcome
    if exp.version is not None:
        assert rec.ruleset.version == exp.version
    if exp.fine is None:
        # `fine: null` says no fine (a warning only, or no penalty); an absent `fine` says nothing
        if "fine" in exp.model_fields_set or exp.outcome != "penalty":
            assert rec.fine is None
    else:
        assert rec.fine is not None
        assert (rec.fine.min, rec.fine.max) == (Decimal(exp.fine.min), Decimal(exp.fine.max))
        if exp.fine.suggested is not None:
            assert rec.fine.suggested == Decimal(exp.fine.suggested)
    if exp.statutory is not None:
        assert rec.fine is not None
        assert (rec.fine.statutory_min, rec.fine.statutory_max) == (exp.statutory.min, exp.statutory.max)
    if exp.tier is not None:
        assert rec.fine is not None and rec.fine.tier == exp.tier
    if exp.measures is not None:
        assert sorted(m.code for m in rec.measures) == sorted(exp.measures)
    if exp.options is not None:
        assert sorted(o.id for o in rec.options) == sorted(exp.options)

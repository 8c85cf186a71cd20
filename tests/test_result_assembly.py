"""The evaluator's fast paths against the slow ones they replace (differential tests).

Results are assembled without validation (`result.assemble`), planned once per cell (`plan.py`) and
their amounts formatted in one step (`money.yuan_text`); each must give what the plain way gives.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from discretion.evaluation.cells import caches
from discretion.evaluation.result import Recommendation, TraceStep, assemble
from discretion.money import normalise, yuan_text

from .test_properties import ITEMS, SETTINGS, _draw, _evaluate


@pytest.mark.parametrize("item", ITEMS[:: max(1, len(ITEMS) // 12)], ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_assembled_result_is_what_validation_gives(item, data):
    _, _, rec = _draw(data, *item)
    dumped = rec.model_dump()
    validated = Recommendation.model_validate(dumped)
    assert validated.model_dump_json() == rec.model_dump_json()
    assert validated.model_dump() == dumped
    for step in rec.trace:  # every field present, as validation would set it
        assert set(step.__dict__) == set(TraceStep.model_fields)
        assert step.model_fields_set == set(TraceStep.model_fields)


def test_assemble_requires_nothing_pydantic_would_fill_in():
    """`assemble` skips defaults, so the evaluator must pass every field: pin that on each output model."""
    step = assemble(TraceStep, step="x", rule="r", effect="e", citation="c", condition=None, facts={})
    assert step == TraceStep(step="x", rule="r", effect="e", citation="c")
    assert step.model_dump_json() == TraceStep(step="x", rule="r", effect="e", citation="c").model_dump_json()
    assert step.model_copy(update={"rule": "s"}).rule == "s"


@pytest.mark.parametrize("item", ITEMS[1 :: max(1, len(ITEMS) // 12)], ids=lambda t: f"{t[1]}:{t[2]}")
@given(data=st.data())
@SETTINGS
def test_a_plan_built_by_another_case_serves_this_one_as_its_own_would(item, data):
    """Plans are per cell: whichever case of the cell built the plan, the result is the same."""
    ci, facts, warm = _draw(data, *item)  # the plan may come from an earlier example
    caches(ci).plans.clear()
    cold = _evaluate(*item, facts)  # the plan is built from this very case
    assert cold is not None and cold.model_dump_json() == warm.model_dump_json()


@given(st.decimals(min_value=0, max_value=Decimal("1e15"), places=2, allow_nan=False, allow_infinity=False))
def test_yuan_text_is_the_normalised_amount(amount):
    assert yuan_text(amount) == f"{normalise(amount):,}元"


@given(st.integers(min_value=0, max_value=10**15))
def test_yuan_text_of_whole_yuan(n):
    assert yuan_text(Decimal(n)) == f"{n:,}元"
    assert yuan_text(Decimal(n).quantize(Decimal("0.01"))) == f"{n:,}元"

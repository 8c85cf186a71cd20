"""Facts are validated two ways: row by row (validate_facts, the evaluator) and column by column
(validate_columns, the sweep). They must accept the same rows with the same values, and refuse the
same rows with the same error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion import FactError
from discretion.consistency.keys import validate_columns
from discretion.facts import validate_facts

from . import libraries

LIB = libraries.bundled()
ITEMS = sorted((ref, code) for ref, c in LIB.compiled.items() for code in c.items)[::5]

ODD = st.sampled_from(
    [
        None,
        -1,
        0,
        1,
        1.5,
        -0.0,
        "12.5",
        "abc",
        "",
        True,
        False,
        "none",
        "minor",
        "serious",
        [1],
        {"a": 1},
        10000,
        9999.99,
        "10000.001",
        2**70,
    ]
)


def _raw(ci) -> st.SearchStrategy[dict]:
    names = [n for n, s in ci.schema.items() if not s.derived] + ["not_a_fact"]
    return st.dictionaries(st.sampled_from(names), ODD, max_size=len(names))


@pytest.mark.parametrize("ref, code", ITEMS)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_row_and_column_validation_agree(ref: str, code: str, data: st.DataObject) -> None:
    ci = LIB.compiled[ref].items[code]
    raws = data.draw(st.lists(_raw(ci), min_size=1, max_size=6))
    columns, errors = validate_columns(raws, ci.schema, ci.derived)
    for i, raw in enumerate(raws):
        try:
            expected = validate_facts(raw, ci.schema, ci.derived)
        except FactError as e:
            assert i in errors and str(errors[i]) == str(e)
            continue
        assert i not in errors
        got = columns[i]
        assert dict(got.items()) == expected
        for k, v in expected.items():  # the same types too (1 == Decimal(1) == True must not hide a difference)
            assert type(got[k]) is type(v), (k, got[k], v)
            if isinstance(v, Decimal):
                assert str(got[k]) == str(v)

"""The condition language: whitelist parsing, positions of errors, negation normal form, encoding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from discretion import ConditionError
from discretion.conditions import AllOf, Cmp, encode_number, parse_condition
from discretion.ruleset import FactSpec

SCHEMA = {
    "gain": FactSpec(type="money", label="违法所得"),
    "ratio": FactSpec(type="number", label="比例"),
    "times": FactSpec(type="integer", label="次数"),
    "harm": FactSpec(type="enum", label="危害后果", values=["none", "minor", "serious"]),
    "first": FactSpec(type="bool", label="初次违法"),
}


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("__import__('os').system('id')", 1, "Call is not allowed"),
        ("gain.real > 1", 1, "Attribute is not allowed"),
        ("gain[0] < 1", 1, "Subscript is not allowed"),
        ("(lambda: 1)() == 1", 1, "not allowed"),
        ("[x for x in y] == 1", 1, "ListComp is not allowed"),
        ("harm > 3", 1, "ordering comparison '>' on enum fact 'harm'"),
        ("harm == 'bad'", 9, "'bad' is not a value of 'harm'"),
        ("gain < 10 and price < 3", 15, "'price' is not a declared fact"),
        ("gain < ratio", 8, "comparing two facts"),
        ("first == 1", 10, "compares with True or False"),
        ("gain < 0.001", 8, "at most 2 decimals"),
        ("times == 1.5", 10, "fraction"),
        ("gain <", 7, "syntax error"),
    ],
)
def test_rejected_at_load_time_with_position(text: str, column: int, words: str) -> None:
    with pytest.raises(ConditionError) as e:
        parse_condition(text, SCHEMA)
    assert words in str(e.value)
    assert e.value.position == column


def test_chained_comparison_is_a_conjunction() -> None:
    c = parse_condition("1000 <= gain < 5000", SCHEMA)
    assert c.node == AllOf((Cmp("gain", ">=", Decimal(1000)), Cmp("gain", "<", Decimal(5000))))


def test_negation_is_pushed_to_comparisons() -> None:
    c = parse_condition("not (gain < 10 or harm in ['none', 'minor'])", SCHEMA)
    assert c.node == AllOf((Cmp("gain", ">=", Decimal(10)), Cmp("harm", "!=", "none"), Cmp("harm", "!=", "minor")))


def test_absent_fact_makes_every_comparison_false_even_negated() -> None:
    c = parse_condition("not (gain < 10)", SCHEMA)
    assert not c.holds({})
    assert c.holds({"gain": Decimal(10)})


def test_boundaries_follow_the_text() -> None:
    le = parse_condition("gain <= 10000", SCHEMA)
    lt = parse_condition("gain < 10000", SCHEMA)
    assert le.holds({"gain": Decimal(10000)}) and not lt.holds({"gain": Decimal(10000)})


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=9, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False),
)
def test_number_encoding_preserves_every_comparison(v: Decimal, c: Decimal) -> None:
    ev, ec = encode_number(v), encode_number(c)
    assert (ev < ec) == (v < c)
    assert (ev <= ec) == (v <= c)
    assert (ev == ec) == (v == c)

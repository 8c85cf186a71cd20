"""Two readers of the decided-case format exist (the store's import, pydantic; the sweep's, fast):
they must accept and refuse the same rows."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion.consistency.reading import read_cases
from discretion.store.cases import DecidedCaseIn, parse_rows

VALUES = {
    "case_id": st.sampled_from(["A1", "B2", "", None, 7]),
    "department": st.sampled_from(["food", "", None]),
    "item": st.sampled_from(["F-124", None]),
    "facts": st.sampled_from([{"harm": "none"}, {}, [], "x", None]),
    "act_date": st.sampled_from(["2024-03-01", "2024-13-01", "", None, 20240301]),
    "decision_date": st.sampled_from(["2024-04-01", "2024-02-01", None]),
    "unit": st.sampled_from(["一所", "", None]),
    "officer": st.sampled_from(["甲", None]),
    "outcome": st.sampled_from(["penalty", "no_penalty", "exemption", "fine", None]),
    "fine": st.sampled_from(["57500", "57500.5", "1.234", "-1", "abc", 100, 1.5, None, True]),
    "penalties": st.sampled_from([[], ["警告"], "警告", [1], None]),
}


def _store_accepts(row: dict) -> bool:
    try:
        DecidedCaseIn.model_validate(row)
        return True
    except Exception:  # noqa: BLE001
        return False


VALID = {"case_id": "A1", "department": "food", "item": "F-124", "facts": {"harm": "none"}, "act_date": "2024-03-01",
         "decision_date": "2024-04-01", "unit": "一所", "officer": "甲", "outcome": "penalty", "fine": "57500",
         "penalties": ["警告"]}


def _mutated() -> st.SearchStrategy[dict]:
    """A valid row with one to three fields changed (or dropped: None)."""
    return st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: VALUES[n] for n in names}).map(lambda changes: {**VALID, **changes}))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_mutated())
def test_both_readers_agree_on_every_row(row: dict) -> None:
    row = {k: v for k, v in row.items() if v is not None}
    line = json.dumps(row, ensure_ascii=False)
    sweep_ok = len(read_cases("x", text=line)) == 1 if line.startswith("{") else False
    store_rows = list(parse_rows(line, "jsonl"))
    store_ok = bool(store_rows) and not isinstance(store_rows[0][1], str) and _store_accepts(store_rows[0][1])
    assert sweep_ok == store_ok, json.dumps(row, ensure_ascii=False)

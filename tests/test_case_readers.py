"""Two readers of the decided-case format exist (the store's import, pydantic; the sweep's, fast):
they must accept and refuse the same rows."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion.cases.reading import read_cases
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


VALID = {
    "case_id": "A1",
    "department": "food",
    "item": "F-124",
    "facts": {"harm": "none"},
    "act_date": "2024-03-01",
    "decision_date": "2024-04-01",
    "unit": "一所",
    "officer": "甲",
    "outcome": "penalty",
    "fine": "57500",
    "penalties": ["警告"],
}


def _mutated() -> st.SearchStrategy[dict]:
    """A valid row with one to three fields changed (or dropped: None)."""
    return st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: VALUES[n] for n in names}).map(lambda changes: {**VALID, **changes})
    )


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_mutated())
def test_both_readers_agree_on_every_row(row: dict) -> None:
    row = {k: v for k, v in row.items() if v is not None}
    line = json.dumps(row, ensure_ascii=False)
    sweep_ok = len(read_cases("x", text=line)) == 1 if line.startswith("{") else False
    store_rows = list(parse_rows(line, "jsonl"))
    store_ok = bool(store_rows) and not isinstance(store_rows[0][1], str) and _store_accepts(store_rows[0][1])
    assert sweep_ok == store_ok, json.dumps(row, ensure_ascii=False)


HEADER = "case_id,department,item,facts,act_date,decision_date,unit,officer,outcome,fine,penalties\r\n"
GOOD = 'c1,food,F-124,"{""goods_value"": 1}",2024-05-01,2024-06-01,u,o,penalty,100,fine\r\n'


def test_a_record_csv_cannot_read_ends_both_readers_with_its_line_and_reason() -> None:
    """A field beyond csv's size limit (or any record the csv module refuses) cannot be skipped: the
    readers stop there and say so, rather than fail with a traceback (found by schemathesis)."""
    text = HEADER + GOOD + 'c2,food,F-124,"' + "x" * 200_000 + '",2024-05-01,2024-06-01,u,o,penalty,1,\r\n' + GOOD
    stored = list(parse_rows(text, "csv"))
    assert stored[0][0] == 2 and isinstance(stored[0][1], dict)
    assert stored[1][0] == 3 and "not CSV" in stored[1][1] and len(stored) == 2
    swept = read_cases("x.csv", text=text)
    assert len(swept) == 1 and [(r.line, r.reason) for r in swept.rejected] == [(3, stored[1][1])]


def test_carriage_returns_alone_end_csv_lines() -> None:
    rows = list(parse_rows((HEADER + GOOD).replace("\r\n", "\r"), "csv"))
    assert [(n, r["case_id"]) for n, r in rows] == [(2, "c1")]  # type: ignore[index]

"""Consistency sweeps: recall on injected inconsistencies, no false flags, invariances, bad rows."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from discretion.cli import app
from discretion.cases.reading import CaseFormatError, read_cases
from discretion.consistency.sweep import sweep
from discretion.consistency.synth import generate

from . import libraries
from .libraries import FIXTURES

BUNDLED = libraries.bundled()
FOOD = libraries.fixtures()


def _text(cases: list[dict]) -> str:
    return "\n".join(json.dumps(c, ensure_ascii=False) for c in cases)


def _findings(report) -> set[tuple[str, tuple[str, ...]]]:
    return {(f.kind, tuple(f.cases)) for f in report.findings}


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(300, 900), seed=st.integers(0, 10_000), k=st.integers(1, 3))
def test_every_injected_inconsistency_is_found_and_nothing_else(n: int, seed: int, k: int) -> None:
    cases, injected = generate(BUNDLED, n, seed, k)
    report = sweep(BUNDLED, read_cases("generated", text=_text(cases)))
    kinds_of: dict[str, set[str]] = {}
    for f in report.findings:
        for c in f.cases:
            kinds_of.setdefault(c, set()).add(f.kind)
    for inj in injected:
        if inj["kind"] == "unit":
            if inj["cases"]:
                assert any(u.name == inj["unit"] and u.flagged for u in report.units), report.units[:3]
            continue
        for c in inj["cases"]:
            assert c in kinds_of, (inj, c)
        assert any(inj["kind"] in kinds_of[c] for c in inj["cases"]), inj
    touched = {c for inj in injected for c in inj["cases"]}
    false = [f for f in report.findings if not set(f.cases) & touched]
    assert false == []
    assert [u.name for u in report.units if u.flagged] in ([], ["偏差执法中队"])


def test_shuffling_the_cases_changes_no_finding() -> None:
    cases, _ = generate(BUNDLED, 600, 11, 2)
    a = sweep(BUNDLED, read_cases("a", text=_text(cases)))
    random.Random(1).shuffle(cases)
    b = sweep(BUNDLED, read_cases("b", text=_text(cases)))
    assert _findings(a) == _findings(b)
    assert [(u.name, u.flagged, u.cases) for u in a.units] == [(u.name, u.flagged, u.cases) for u in b.units]


def _case(cid: str, facts: dict, fine: str | None = "57500", outcome: str = "penalty", **over) -> dict:
    row = {
        "case_id": cid,
        "department": "food",
        "item": "F-124",
        "facts": facts,
        "act_date": "2024-03-01",
        "decision_date": "2024-04-01",
        "unit": "一所",
        "officer": "甲",
        "outcome": outcome,
        "fine": fine,
        "penalties": [],
    }
    row.update(over)
    return row


def _keys(report_rows: list[dict]) -> dict[str, int]:
    """Which key each case lands in (via the sweep's own grouping, read back from an injected spread)."""
    from discretion.consistency.keys import item_keys
    from discretion.facts import validate_facts

    ci = FOOD.compiled["food/2024"].items["F-124"]
    facts = [validate_facts(r["facts"], ci.schema, ci.derived) for r in report_rows]
    keys = item_keys(ci, facts)
    return {r["case_id"]: int(k) for r, k in zip(report_rows, keys.key_of_case, strict=True)}


def test_values_no_condition_separates_share_a_key_and_thresholds_follow_the_text() -> None:
    rows = [
        _case("a", {"goods_value": 12000, "harm": "general"}),
        _case("b", {"goods_value": 13000, "harm": "general"}),
        _case("c", {"goods_value": "9999.99", "harm": "general"}),
        _case("d", {"goods_value": 10000, "harm": "general"}),
    ]
    k = _keys(rows)
    assert k["a"] == k["b"]  # 12,000 and 13,000: no condition separates them
    assert k["d"] == k["a"]  # exactly 10,000 meets `goods_value >= 10000`
    assert k["c"] != k["d"]  # 9,999.99 meets `goods_value < 10000`


def test_a_fact_no_condition_reads_does_not_split_a_group(make_library) -> None:
    text = (
        (FIXTURES / "food" / "2024.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "    touches_safety: true\n",
            "    touches_safety: true\n    facts: {colour: {type: enum, label: 包装颜色, values: [red, blue]}}\n",
        )
    )
    lib = make_library(food__2024=text)
    rows = [
        _case("a", {"goods_value": 12000, "harm": "general", "colour": "red"}),
        _case("b", {"goods_value": 12000, "harm": "general", "colour": "blue"}, fine="300000"),
    ]
    report = sweep(lib, read_cases("x", text=_text(rows)))
    assert report.summary.keys == 1
    assert any(f.kind in ("fine_spread", "outside_range") and "b" in f.cases for f in report.findings)


def test_bad_rows_are_counted_with_line_and_reason_and_the_sweep_goes_on() -> None:
    good = _case("ok", {"goods_value": 8000, "harm": "minor"})
    lines = [
        json.dumps(good),
        json.dumps(_case("u1", {}, department="nope")),
        json.dumps(_case("u2", {}, item="F-999")),
        json.dumps(_case("f1", {"goods_value": -1, "harm": "minor"})),
        json.dumps(_case("d1", {"goods_value": 1, "harm": "minor"}, decision_date="2024-01-01")),
        json.dumps(_case("m1", {"goods_value": 1, "harm": "minor"}, fine="abc")),
        json.dumps(_case("ok", {"goods_value": 8001, "harm": "minor"})),
        "{broken",
    ]
    report = sweep(FOOD, read_cases("x", text="\n".join(lines)))
    reasons = {r.line: r.reason for r in report.rejected}
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 8}
    assert "nope" in reasons[2] and "F-999" in reasons[3] and "facts.goods_value" in reasons[4]
    assert "decision_date" in reasons[5] and reasons[6].startswith("fine") and "repeats line 1" in reasons[7]
    assert report.summary.cases_swept == 1


def test_mandatory_no_penalty_ignored_and_outside_range_are_found() -> None:
    rows = [
        _case("np", {"goods_value": 8000, "harm": "none", "minor_violation": True, "corrected_in_time": True}),
        _case("hi", {"goods_value": 8000, "harm": "minor"}, fine="99000"),
        _case("law", {"goods_value": 8000, "harm": "minor"}, fine="150000"),
    ]
    report = sweep(FOOD, read_cases("x", text=_text(rows)))
    by = {(f.kind, f.severity): f for f in report.findings}
    assert by[("mandatory_list_ignored", "high")].cases == ["np"]
    assert "第三十三条第一款" in by[("mandatory_list_ignored", "high")].detail
    assert by[("outside_range", "critical")].cases == ["law"]
    assert by[("outside_range", "medium")].cases == ["hi"]
    assert by[("outside_range", "medium")].rules  # the rules and citations behind the group


def test_cli_sweep_refuses_a_file_that_is_not_cases(tmp_path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("hello world\n")
    r = CliRunner().invoke(app, ["sweep", "--cases", str(p)])
    assert r.exit_code == 2 and "not JSON lines" in r.stderr
    with pytest.raises(CaseFormatError):
        read_cases("x", text="a;b;c\n")


def test_cli_synth_and_sweep_json(tmp_path) -> None:
    out = tmp_path / "c.jsonl"
    r = CliRunner().invoke(
        app, ["synth", "--cases", "300", "--seed", "3", "--inconsistent-groups", "1", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c.jsonl.injected.json").exists()
    r = CliRunner().invoke(app, ["sweep", "--cases", str(out), "--json", "--csv", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["summary"]["cases_swept"] >= 300 and report["findings"]
    assert (tmp_path / "csv" / "findings.csv").read_text(encoding="utf-8").count("\n") == len(report["findings"]) + 1


def test_a_case_the_evaluator_refuses_is_a_rejected_row_not_a_crash(make_library) -> None:
    text = """
department: demo
department_name: 测试
version: "1"
effective_from: 2024-01-01
source: [测试夹具]
extends: [general/2021]
placement: {shape: range}
facts:
  gain: {type: money, label: 违法所得, required: false}
items:
  - code: X
    name: 倍数罚款（无兜底幅度）
    legal_basis: [{law: 测试法, article: 1}]
    penalty_basis: [{law: 测试法, article: 2}]
    statutory: {fine: {multiple_of: gain, times: [1, 3]}}
"""
    lib = make_library(demo__1=text)
    rows = [
        _case("ok", {"gain": 1000, "harm": "none"}, fine="2000", department="demo", item="X"),
        _case("nogain", {"harm": "none"}, fine="2000", department="demo", item="X"),
    ]
    report = sweep(lib, read_cases("x", text=_text(rows)))
    assert [(r.case_id, "facts.gain" in r.reason) for r in report.rejected] == [("nogain", True)]
    assert report.summary.cases_swept == 1


# ---------------------------------------------------------------- 可以并处: a discretionary fine is an option


def _row(cid: str, item: str, dept: str, facts: dict, fine: str | None, outcome: str, penalties: list) -> dict:
    return {
        "case_id": cid,
        "department": dept,
        "item": item,
        "facts": facts,
        "act_date": "2025-11-01",
        "decision_date": "2025-12-01",
        "unit": "一所",
        "officer": "甲",
        "outcome": outcome,
        "fine": fine,
        "penalties": penalties,
    }


def test_a_discretionary_fine_imposed_in_some_cases_and_not_others_is_no_finding_by_itself() -> None:
    """价格法第四十二条 "可以并处五千元以下的罚款" (SC-PRICE-13-1): with or without the fine is the officer's
    choice; 互联网上网服务营业场所管理条例第三十一条 "给予警告，可以并处15000元以下的罚款" (WH-SW-31-2): a
    warning with or without the fine is not a different kind of penalty."""
    rows = [
        _row("p1", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "2500", "penalty", []),
        _row("p2", "SC-PRICE-13-1", "scjg", {"harm": "none"}, None, "no_penalty", []),
        _row("p3", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "3000", "penalty", []),
        _row("w1", "WH-SW-31-2", "whsc", {"harm": "minor"}, "7000", "penalty", ["warning"]),
        _row("w2", "WH-SW-31-2", "whsc", {"harm": "minor"}, None, "penalty", ["warning"]),
    ]
    report = sweep(BUNDLED, read_cases("may", text=_text(rows)))
    kinds = {f.kind for f in report.findings}
    assert not kinds & {"different_outcome", "different_penalty_types", "mandatory_list_ignored"}, report.findings


def test_a_mandatory_fine_imposed_in_some_cases_and_not_others_is_still_found() -> None:
    """市场主体登记管理条例第四十三条 "拒不改正的，处1万元以上10万元以下的罚款" (SC-REG-43-1): not optional."""
    facts = {"harm": "none", "refused_to_correct": True}
    rows = [
        _row("r1", "SC-REG-43-1", "scjg", facts, "50000", "penalty", []),
        _row("r2", "SC-REG-43-1", "scjg", facts, None, "no_penalty", []),
        _row("r3", "SC-REG-43-1", "scjg", facts, "60000", "penalty", []),
    ]
    report = sweep(BUNDLED, read_cases("must", text=_text(rows)))
    assert {"different_outcome", "mandatory_list_ignored"} <= {f.kind for f in report.findings}, report.findings

"""The columnar sweep (discretion.consistency) against the row-by-row one it replaced (tests/reference):
the same report, finding for finding, on generated cases with injected inconsistencies and bad rows,
from JSON lines, CSV and the store."""

from __future__ import annotations

import csv
import io
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion.cases.fields import COLUMNS
from discretion.cases.reading import read_cases
from discretion.consistency.sources import from_engine
from discretion.consistency.sweep import sweep
from discretion.consistency.synth import generate
from discretion.store import make_engine, migrate
from discretion.store.cases import import_cases, parse_rows

from . import libraries
from .reference import reading as ref_reading
from .reference import sweep as ref_sweep

BUNDLED = libraries.bundled()


def _spoil(cases: list[dict], rnd: random.Random) -> list[str]:
    """JSON lines of the cases with bad rows mixed in: every kind the sweep must reject and go on."""
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    c = cases[0]
    bad = [
        {**c, "case_id": "X-dept", "department": "nope"},
        {**c, "case_id": "X-item", "item": "NO-SUCH-ITEM"},
        {**c, "case_id": "X-facts", "facts": {**c["facts"], "not_a_fact": 1}},
        {**c, "case_id": "X-facts2", "facts": [1]},
        {**c, "case_id": "X-dates", "decision_date": "2000-01-01"},
        {**c, "case_id": "X-date", "act_date": "2024-13-01"},
        {**c, "case_id": "X-fine", "fine": "abc"},
        {**c, "case_id": "X-fine2", "fine": True},
        {**c, "case_id": "X-fine3", "fine": 1.234},
        {**c, "case_id": "X-fine4", "fine": 1500},
        {**c, "case_id": "X-pen", "penalties": "警告"},
        {**c, "case_id": "X-outcome", "outcome": "fine"},
        {**c, "case_id": ""},
        {**c, "case_id": 12345},
        {**c, "unit": 7, "case_id": "X-unit"},
        {k: v for k, v in c.items() if k != "facts"} | {"case_id": "X-nofacts"},
        {**cases[1], "case_id": c["case_id"]},  # a repeated id, other content
        dict(c),  # a repeated id, same content
    ]
    lines += [json.dumps(b, ensure_ascii=False) for b in bad] + ["{broken", "[1, 2]", "", "   "]
    rnd.shuffle(lines)
    return lines


def _charts_in_one_order(groups: list[dict]) -> list[dict]:
    """The charted keys in a fixed order: the sweep lists them in its internal key numbering
    (bucket order), the reference in order of first case; which keys and what they hold must agree."""
    return sorted(
        groups, key=lambda g: (g["department"], g["item"], g["version"], g["key"], [c["case_id"] for c in g["cases"]])
    )


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    da, db = a.model_dump(), b.model_dump()
    assert da.keys() == db.keys()
    da["groups"], db["groups"] = _charts_in_one_order(da["groups"]), _charts_in_one_order(db["groups"])
    for k in da:
        assert da[k] == db[k], k


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(200, 700), seed=st.integers(0, 10_000), k=st.integers(1, 3), crlf=st.booleans())
def test_the_columnar_sweep_gives_the_row_by_row_report(n: int, seed: int, k: int, crlf: bool) -> None:
    cases, _ = generate(BUNDLED, n, seed, k)
    text = ("\r\n" if crlf else "\n").join(_spoil(cases, random.Random(seed)))
    new = sweep(BUNDLED, read_cases("x", text=text))
    old = ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text))
    _same(new, old)
    assert new.rejected and new.findings


def test_scoped_sweeps_agree() -> None:
    cases, _ = generate(BUNDLED, 500, 7, 2)
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    import datetime as dt

    scope = {"department": "scjg", "since": dt.date(2022, 1, 1), "until": dt.date(2025, 6, 30)}
    _same(
        sweep(BUNDLED, read_cases("x", text=text), **scope),  # type: ignore[arg-type]
        ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text), **scope),
    )  # type: ignore[arg-type]


def test_csv_gives_the_row_by_row_report() -> None:
    cases, _ = generate(BUNDLED, 400, 3, 2)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for c in cases:
        w.writerow(
            [
                c["case_id"],
                c["department"],
                c["item"],
                json.dumps(c["facts"], ensure_ascii=False),
                c["act_date"],
                c["decision_date"],
                c["unit"],
                c["officer"],
                c["outcome"],
                c["fine"] or "",
                ";".join(c["penalties"]),
            ]
        )
    w.writerow(["B1", "scjg", "x", "{not json", "2024-01-01", "2024-02-01", "", "", "penalty", "1", ""])
    w.writerow(["B2", "scjg"])
    text = out.getvalue()
    _same(sweep(BUNDLED, read_cases("x", text=text)), ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text)))


def test_the_store_and_the_file_give_the_same_findings(tmp_path) -> None:
    cases, _ = generate(BUNDLED, 400, 9, 2)
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(engine)
    report = import_cases(engine, parse_rows(text, "jsonl"), BUNDLED)
    assert report.accepted == len(cases), report
    db = sweep(BUNDLED, from_engine(engine))
    engine.dispose()
    by_id = sorted(cases, key=lambda c: c["case_id"])  # the store reads in case id order
    file = sweep(BUNDLED, read_cases("x", text="\n".join(json.dumps(c, ensure_ascii=False) for c in by_id)))
    _same(db, file)


def test_ranges_fitted_on_a_base_agree_evaluation_for_evaluation() -> None:
    """Enough cases that keys hold three or more distinct bases (货值金额 …): the affine fit and its check."""
    cases, _ = generate(BUNDLED, 4000, 21, 2)
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    new = sweep(BUNDLED, read_cases("x", text=text))
    _same(new, ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text)))
    assert new.summary.evaluations > new.summary.keys  # some keys were evaluated more than once


def test_a_file_read_in_two_halves_is_the_file_read_in_one(tmp_path) -> None:
    from discretion.cases.reading import _json_lines_in_halves

    cases, _ = generate(BUNDLED, 600, 13, 2)
    spoilt = _spoil(cases, random.Random(2))
    distinct = [ln for ln in spoilt if cases[0]["case_id"] not in ln]  # no case id twice
    for name, body, joined in (
        ("distinct ids", distinct, True),
        ("an id in both halves", [spoilt[0], *distinct, spoilt[0]], False),
        ("crlf", ["\r\n".join(distinct)], False),
    ):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        assert (_json_lines_in_halves(path) is not None) == joined, name
        _same(sweep(BUNDLED, read_cases(path, halves=True)), sweep(BUNDLED, read_cases(path, halves=False)))


def test_discretionary_fines_give_the_row_by_row_report() -> None:
    """可以并处 (SC-PRICE-13-1, WH-SW-31-2) beside a fine that is not optional (SC-REG-43-1 拒不改正): both
    sweeps leave the officer's choice unflagged and still find the mandatory fine left out."""
    from .test_consistency import _row

    rows = [
        _row("p1", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "2500", "penalty", []),
        _row("p2", "SC-PRICE-13-1", "scjg", {"harm": "none"}, None, "no_penalty", []),
        _row("p3", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "3000", "penalty", []),
        _row("w1", "WH-SW-31-2", "whsc", {"harm": "minor"}, "7000", "penalty", ["warning"]),
        _row("w2", "WH-SW-31-2", "whsc", {"harm": "minor"}, None, "penalty", ["warning"]),
        _row("r1", "SC-REG-43-1", "scjg", {"harm": "none", "refused_to_correct": True}, "50000", "penalty", []),
        _row("r2", "SC-REG-43-1", "scjg", {"harm": "none", "refused_to_correct": True}, None, "no_penalty", []),
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    new = sweep(BUNDLED, read_cases("x", text=text))
    _same(new, ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text)))
    flagged = {c for f in new.findings for c in f.cases}
    assert flagged == {"r1", "r2"}, new.findings


def test_an_imposed_discretionary_fine_outside_its_options_range_is_found_by_both_sweeps() -> None:
    """可以并处 fines imposed outside the option's range: 价格法第四十二条 "可以并处五千元以下的罚款"
    (SC-PRICE-13-1, option 1,500–3,500 yuan with no circumstance) and 城乡规划法第六十四条 "可以并处建设工程造价
    百分之十以下的罚款" (CG-GH-64, the option's range grows with the cost: fitted on the base). The decision check
    already measured such a fine against the option (decisions/check.py); the sweeps now do, and both agree."""
    from .test_consistency import _row

    def gh(cid: str, cost: int, fine: str | None) -> dict:
        facts = {"rectifiability": "not_demolishable", "construction_cost": cost, "harm": "general"}
        return _row(cid, "CG-GH-64", "cgzf", facts, fine, "penalty", [])

    rows = [
        _row("in", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "3500", "penalty", []),
        _row("low", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "1000", "penalty", []),
        _row("high", "SC-PRICE-13-1", "scjg", {"harm": "none"}, "5000", "penalty", []),
        _row("none", "SC-PRICE-13-1", "scjg", {"harm": "none"}, None, "no_penalty", []),
        gh("g1", 100000, "5000"),  # option 3,000–7,000
        gh("g2", 200000, "14000"),  # option 6,000–14,000: at its top
        gh("g3", 300000, None),  # not imposed
        gh("g4", 1000000, "70001"),  # option 30,000–70,000: one yuan above
        gh("g5", 300000, "8999"),  # option 9,000–21,000: one yuan below
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    new = sweep(BUNDLED, read_cases("x", text=text))
    _same(new, ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text)))
    outside = [f for f in new.findings if f.kind == "outside_range"]
    assert {c for f in outside for c in f.cases} == {"low", "high", "g4", "g5"}, new.findings
    assert all(f.severity == "medium" and f.detail == "罚款不在可以并处罚款的建议幅度内" for f in outside)
    # an option has no statutory maximum in the result: the chart does not invent one
    charted = {c["case_id"]: c for g in new.model_dump()["groups"] for c in g["cases"]}
    assert charted["high"]["rec_min"] == 1500 and charted["high"]["rec_max"] == 3500
    assert charted["high"]["stat_max"] is None
    assert charted["g4"]["rec_max"] == 70000


def test_absent_and_zero_gains_and_weighted_groups_are_apart_in_both_sweeps() -> None:
    """价格违法行为行政处罚规定第十八条 (SC-PRICE-7): 违法所得无法确定 (left out) and 没有违法所得 (0) reach different
    clauses, so a sweep keeps them in different keys even where the range is the same; 粤环发〔2021〕7号 附件1 §2.7.1
    (GD-WAT-83-2): a factor left out counts at its lowest degree (第五条), the same key as that degree given."""
    from .test_consistency import _row

    def gd(cid: str, facts: dict, fine: str) -> dict:
        row = _row(
            cid, "GD-WAT-83-2", "gdsthj", {"harm": "minor", "exceedance": "up_to_3x", **facts}, fine, "penalty", []
        )
        return {**row, "act_date": "2024-03-01", "decision_date": "2024-05-01"}

    rows = [
        _row("zero", "SC-PRICE-7", "scjg", {"harm": "none", "illegal_gain": "0"}, "275000", "penalty", []),
        _row("unknown", "SC-PRICE-7", "scjg", {"harm": "none"}, "275000", "penalty", []),
        _row("far", "SC-PRICE-7", "scjg", {"harm": "none"}, "600000", "penalty", []),
        gd("g-unknown", {}, "120000"),
        gd("g-low", {"daily_wastewater_t": 10}, "120000"),
        gd("g-mid", {"daily_wastewater_t": 50}, "150000"),
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    new = sweep(BUNDLED, read_cases("x", text=text))
    _same(new, ref_sweep.sweep(BUNDLED, ref_reading.read_cases("x", text=text)))
    key_of = {c: f.key for f in new.findings for c in f.cases}
    assert {(f.kind, tuple(f.cases)) for f in new.findings} == {
        ("outside_range", ("far",)),  # 600,000 is above the statutory maximum 500,000
        ("fine_spread", ("far", "unknown")),  # the same key: both gains unknown
    }
    assert "zero" not in key_of  # 0 is its own key (no finding): not merged with the unknown gain
    assert (
        "第十八条" in key_of["far"]
        and next(f for f in new.findings if f.kind == "outside_range").severity == "critical"
    )
    assert new.summary.keys == 4, new.summary  # zero | unknown + far | g-unknown + g-low | g-mid

"""Decision checks (事中预警) as legal expectations: each names what the law or the benchmark says
and what the officer decided; the check must find exactly that, with its rule and article."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.decisions import DecisionMade, check

D = dt.date
MEASURES = frozenset({"order_correction", "confiscate_goods"})
ACT, DECIDED = D(2024, 5, 1), D(2024, 6, 1)


def made(
    facts: dict,
    outcome: str = "penalty",
    fine: str | None = "55000",
    measures=MEASURES,
    reason: str | None = "",
    act: dt.date = ACT,
    decided: dt.date = DECIDED,
    discovery: dt.date | None = None,
) -> DecisionMade:
    req = EvaluationRequest(
        department="food",
        item="F-124",
        facts=facts,
        act_date=act,
        decision_date=decided,
        discovery_date=discovery,
    )
    return DecisionMade(req, outcome, None if fine is None else Decimal(fine), measures, reason=reason)


SMALL = {
    "goods_value": 8000,
    "harm": "minor",
}  # tier 从轻: 50,000–65,000; recommended 54,500–60,500


def kinds(food: RulesetLibrary, m: DecisionMade) -> list[tuple[str, str]]:
    return [(f.kind, f.severity) for f in check(food, m).findings]


def test_a_decision_inside_the_recommended_range_with_its_measures_raises_nothing(food) -> None:
    r = check(food, made(SMALL, fine="56000"))
    assert r.findings == [] and not r.reason_required


def test_fine_above_the_statutory_maximum_is_critical_and_cites_the_article(food) -> None:
    r = check(food, made(SMALL, fine="100000.01", reason="情节特别严重"))
    [f] = r.findings
    assert (f.kind, f.severity) == ("outside_range", "critical")
    assert "第一百二十四条" in f.citation and f.rule == "statutory:base"
    assert "100,000.01元超过法定最高额100,000元" in f.message


def test_fine_below_the_statutory_minimum_without_mitigation_is_critical(food) -> None:
    assert kinds(food, made(SMALL, fine="49999", reason="x")) == [("outside_range", "critical")]


@pytest.mark.parametrize(
    "fine, severity",
    [("61000", "low"), ("64000", "medium"), ("68000", "high"), ("52000", "medium")],
)
def test_outside_the_recommended_range_severity_grows_with_the_distance(food, fine: str, severity: str) -> None:
    # the range is 54,500–60,500 (width 6,000): 500 over is 8% of it, 3,500 over 58%, 7,500 over 125%
    r = check(food, made(SMALL, fine=fine, reason="理由"))
    [f] = r.findings
    assert (f.kind, f.severity) == ("outside_range", severity)
    assert "基准建议幅度54,500元至60,500元" in f.message


def test_a_deviation_without_a_reason_is_itself_a_finding(food) -> None:
    r = check(food, made(SMALL, fine="64000", reason=""))
    assert [f.kind for f in r.findings] == ["outside_range", "no_reason"]
    assert "国办发〔2022〕27号" in r.findings[1].citation and r.reason_required


def test_penalised_after_the_limitation_period_is_critical_citing_article_36(food) -> None:
    # harm none: two years from the act (第三十六条); discovered after them
    m = made({"goods_value": 8000, "harm": "none"}, act=D(2024, 1, 2), decided=D(2026, 3, 1), reason="x")
    [f] = check(food, m).findings
    assert (f.kind, f.severity) == ("limitation_ignored", "critical")
    assert "第三十六条" in f.citation


def test_penalised_where_a_mandatory_no_penalty_entry_holds(food) -> None:
    facts = {
        "goods_value": 8000,
        "harm": "none",
        "minor_violation": True,
        "corrected_in_time": True,
    }
    r = check(food, made(facts, reason="x", measures=frozenset({"education"})))
    assert r.recommendation.outcome == "no_penalty"
    [f] = r.findings
    assert f.kind == "mandatory_list_ignored" and f.severity == "high" and "第三十三条" in f.citation
    assert check(food, made(facts, outcome="no_penalty", fine=None, measures=frozenset({"education"}))).findings == []


def test_not_penalised_without_any_basis_is_found(food) -> None:
    [f, g] = check(food, made(SMALL, outcome="no_penalty", fine=None, measures=frozenset())).findings
    assert (f.kind, g.kind) == ("different_outcome", "no_reason")


def test_a_discretionary_exemption_taken_needs_a_reason_only(food) -> None:
    facts = {
        **SMALL,
        "purchase_checked": True,
    }  # 食品安全法第一百三十六条: 可以免予处罚, 但应当没收
    keep = frozenset({"confiscate_goods"})
    assert (
        check(
            food,
            made(facts, outcome="exemption", fine=None, measures=keep, reason="如实说明进货来源"),
        ).findings
        == []
    )
    r = check(food, made(facts, outcome="exemption", fine=None, measures=keep, reason=""))
    assert [f.kind for f in r.findings] == ["no_reason"] and "第一百三十六条" in r.findings[0].message
    missing = check(food, made(facts, outcome="exemption", fine=None, measures=frozenset(), reason="x")).findings
    assert [f.kind for f in missing] == ["mandatory_measure_missing"] and "没收" in missing[0].message


def test_another_kind_of_penalty_and_a_missing_measure(food) -> None:
    r = check(food, made(SMALL, measures=frozenset({"order_correction", "revoke_licence"}), reason="x"))
    assert sorted(f.kind for f in r.findings) == [
        "different_penalty_types",
        "mandatory_measure_missing",
    ]
    assert any("吊销" in f.message for f in r.findings)


def test_imported_cases_are_checked_on_their_penalties_only(food) -> None:
    req = EvaluationRequest(
        department="food",
        item="F-124",
        facts=SMALL,
        act_date=D(2024, 5, 1),
        decision_date=D(2024, 6, 1),
    )
    ok = DecisionMade(req, "penalty", Decimal(56000), None, frozenset({"没收违法生产经营的物品"}), reason=None)
    assert check(food, ok).findings == []  # 责令改正 is not in the import format: not reported missing
    lacking = DecisionMade(req, "penalty", Decimal(70000), None, frozenset(), reason=None)
    assert sorted(f.kind for f in check(food, lacking).findings) == [
        "mandatory_measure_missing",
        "outside_range",
    ]


@settings(max_examples=60, deadline=None)
@given(
    goods=st.integers(0, 150_000),
    harm=st.sampled_from(["none", "minor", "general", "serious"]),
    at=st.fractions(0, 1),
)
def test_any_fine_inside_the_recommended_range_with_its_measures_is_never_flagged(
    food, goods: int, harm: str, at
) -> None:
    req = EvaluationRequest(
        department="food",
        item="F-124",
        facts={"goods_value": goods, "harm": harm},
        act_date=D(2024, 5, 1),
        decision_date=D(2024, 6, 1),
    )
    rec = evaluate(food, req)
    assert rec.outcome == "penalty" and rec.fine is not None
    fine = (rec.fine.min + (rec.fine.max - rec.fine.min) * Decimal(at.numerator) / Decimal(at.denominator)).quantize(
        Decimal("0.01")
    )
    fine = min(max(fine, rec.fine.min), rec.fine.max)
    r = check(food, DecisionMade(req, "penalty", fine, frozenset(m.code for m in rec.measures), reason=""))
    assert r.findings == []
    over = check(
        food,
        DecisionMade(
            req,
            "penalty",
            rec.fine.statutory_max + Decimal("0.01"),
            frozenset(m.code for m in rec.measures),
            reason="x",
        ),
    )
    assert [(f.kind, f.severity) for f in over.findings] == [("outside_range", "critical")]


# ---------------------------------------------------------------- 可以并处: the fine is the officer's choice


def _bundled(item: str, dept: str, facts: dict, fine: str | None, outcome: str, measures, reason: str = ""):
    req = EvaluationRequest(
        department=dept, item=item, facts=facts, act_date=D(2025, 11, 1), decision_date=D(2025, 12, 1)
    )
    return DecisionMade(req, outcome, None if fine is None else Decimal(fine), frozenset(measures), reason=reason)


def test_a_discretionary_fine_imposed_or_not_is_no_deviation(bundled) -> None:
    """价格法第四十二条 "责令改正，没收违法所得，可以并处五千元以下的罚款" (SC-PRICE-13-1, no illegal gain): the
    recommendation is no penalty with the fine as an option (一般 1,500–3,500); fining inside it takes the
    option (a reason is asked), not fining is no finding, fining outside it is outside the option's range."""
    price = ("SC-PRICE-13-1", "scjg", {"harm": "none"})
    assert check(bundled, _bundled(*price, None, "no_penalty", ["order_correction"])).findings == []
    taken = check(bundled, _bundled(*price, "2500", "penalty", ["order_correction"], reason="拒不改正前科"))
    assert taken.findings == [] and taken.reason_required
    unreasoned = check(bundled, _bundled(*price, "2500", "penalty", ["order_correction"]))
    assert [f.kind for f in unreasoned.findings] == ["no_reason"]
    [far, _] = check(bundled, _bundled(*price, "4800", "penalty", ["order_correction"])).findings
    assert far.kind == "outside_range" and "1,500元至3,500元" in far.message


def test_a_warning_with_or_without_the_discretionary_fine(bundled) -> None:
    """互联网上网服务营业场所管理条例第三十一条 "给予警告，可以并处15000元以下的罚款" (WH-SW-31-2)."""
    net = ("WH-SW-31-2", "whsc", {"harm": "minor"})
    assert check(bundled, _bundled(*net, None, "penalty", ["warning"])).findings == []
    assert check(bundled, _bundled(*net, "7000", "penalty", ["warning"], reason="多次接纳")).findings == []
    [missing] = check(bundled, _bundled(*net, None, "penalty", [], reason="x")).findings
    assert missing.kind == "mandatory_measure_missing" and "警告" in missing.message


def test_a_decision_and_a_sweep_hold_an_imposed_discretionary_fine_to_the_same_range(bundled) -> None:
    """城乡规划法第六十四条 "没收实物或者违法收入，可以并处建设工程造价百分之十以下的罚款" (CG-GH-64, cannot be
    demolished): the decision check and the consistency sweep read the range of an imposed 可以并处 fine from one
    function (imposed_fine_range); at each edge of the option's range both say the same."""
    import json

    from discretion.cases.reading import read_cases
    from discretion.consistency.sweep import sweep

    facts = {"rectifiability": "not_demolishable", "construction_cost": 1000000, "harm": "general"}
    for fine, outside in [("30000", False), ("70000", False), ("29999.99", True), ("70000.01", True)]:
        got = check(bundled, _bundled("CG-GH-64", "cgzf", facts, fine, "penalty", [], reason="不能拆除"))
        found = [f for f in got.findings if f.kind == "outside_range"]
        assert bool(found) == outside, (fine, got.findings)
        assert all(
            f.severity == "medium" and "不在可以并处罚款的建议幅度30,000元至70,000元内" in f.message for f in found
        )
        row = {
            "case_id": "c",
            "department": "cgzf",
            "item": "CG-GH-64",
            "facts": facts,
            "act_date": "2025-11-01",
            "decision_date": "2025-12-01",
            "outcome": "penalty",
            "fine": fine,
            "penalties": [],
        }
        report = sweep(bundled, read_cases("x", text=json.dumps(row)))
        assert bool([f for f in report.findings if f.kind == "outside_range"]) == outside, (fine, report.findings)

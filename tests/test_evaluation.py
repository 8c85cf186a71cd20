"""The evaluation order, one test per step, named after the article it applies.

Uses the food fixture (食品安全法第一百二十四条 ranges) and small ad-hoc rulesets.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from discretion.evaluation import fines
from discretion.evaluation.fines import Span, StatutoryFine
from discretion.ruleset import FineSpec

from discretion import (
    DateError,
    EvaluationRequest,
    FactError,
    RulesetDefect,
    RulesetLibrary,
    UnknownDepartment,
    UnknownItem,
    VersionNotInForce,
    evaluate,
)

D = dt.date


def run(
    lib: RulesetLibrary,
    facts: dict[str, Any],
    *,
    item: str = "F-124",
    dept: str = "food",
    act: dt.date = dt.date(2024, 5, 1),
    decision: dt.date = dt.date(2024, 6, 1),
    **dates: Any,
):
    return evaluate(
        lib, EvaluationRequest(department=dept, item=item, facts=facts, act_date=act, decision_date=decision, **dates)
    )


def ids(rec) -> set[str]:
    return {s.rule for s in rec.trace}


# ------------------------------------------------------------------ facts


def test_missing_fact_is_named(food: RulesetLibrary) -> None:
    with pytest.raises(FactError) as e:
        run(food, {"goods_value": 8000})
    assert e.value.field == "facts.harm"


def test_undeclared_fact_is_named(food: RulesetLibrary) -> None:
    with pytest.raises(FactError) as e:
        run(food, {"goods_value": 8000, "harm": "minor", "colour": "red"})
    assert e.value.field == "facts.colour"


@pytest.mark.parametrize(
    "facts, field",
    [
        ({"goods_value": -1, "harm": "minor"}, "facts.goods_value"),
        ({"goods_value": "abc", "harm": "minor"}, "facts.goods_value"),
        ({"goods_value": 8000, "harm": "huge"}, "facts.harm"),
        ({"goods_value": 8000, "harm": "minor", "first_offence": "yes"}, "facts.first_offence"),
        ({"goods_value": "1.234", "harm": "minor"}, "facts.goods_value"),
    ],
)
def test_mistyped_fact_is_named(food: RulesetLibrary, facts: dict, field: str) -> None:
    with pytest.raises(FactError) as e:
        run(food, facts)
    assert e.value.field == field


def test_unknown_department_and_item(food: RulesetLibrary) -> None:
    with pytest.raises(UnknownDepartment):
        run(food, {}, dept="nope")
    with pytest.raises(UnknownItem):
        run(food, {}, item="F-999")


def test_act_after_decision_is_refused(food: RulesetLibrary) -> None:
    with pytest.raises(DateError):
        run(food, {"goods_value": 1, "harm": "none"}, act=D(2024, 7, 1), decision=D(2024, 6, 1))


# ------------------------------------------------------------------ 第三十六条


def test_art36_two_years_then_no_penalty(food: RulesetLibrary) -> None:
    facts = {"goods_value": 8000, "harm": "none"}
    inside = run(food, facts, act=D(2024, 1, 1), discovery_date=D(2026, 1, 1), decision=D(2026, 2, 1))
    assert inside.outcome == "penalty"
    late = run(food, facts, act=D(2024, 1, 1), discovery_date=D(2026, 1, 2), decision=D(2026, 2, 1))
    assert late.outcome == "no_penalty" and late.fine is None
    assert any("第三十六条" in s.citation for s in late.trace if s.step == "limitation")


def test_art36_five_years_when_health_touched_and_harm_occurred(food: RulesetLibrary) -> None:
    rec = run(
        food,
        {"goods_value": 8000, "harm": "minor"},
        act=D(2024, 1, 1),
        discovery_date=D(2028, 12, 31),
        decision=D(2029, 1, 5),
    )
    assert rec.outcome == "penalty"
    late = run(
        food,
        {"goods_value": 8000, "harm": "minor"},
        act=D(2024, 1, 1),
        discovery_date=D(2029, 1, 2),
        decision=D(2029, 1, 5),
    )
    assert late.outcome == "no_penalty"


def test_art36_continuous_act_counts_from_its_end(food: RulesetLibrary) -> None:
    rec = run(
        food,
        {"goods_value": 8000, "harm": "none"},
        act=D(2024, 1, 1),
        act_end_date=D(2025, 1, 1),
        discovery_date=D(2026, 6, 1),
        decision=D(2026, 7, 1),
    )
    assert rec.outcome == "penalty"


# ------------------------------------------------------------------ 第三十条、第三十一条、第三十三条


def test_art30_under_fourteen_no_penalty_guardian_disciplines(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 8000, "harm": "general", "age": 13})
    assert rec.outcome == "no_penalty" and rec.fine is None
    assert [m.code for m in rec.measures] == ["guardian_discipline"]
    assert "第三十条" in rec.trace[-1].citation


def test_art30_fourteen_to_eighteen_lenient_and_mitigated_option(food: RulesetLibrary) -> None:
    base = run(food, {"goods_value": 8000, "harm": "general"})
    minor = run(food, {"goods_value": 8000, "harm": "general", "age": 16})
    assert minor.fine.placement == "从轻" and minor.fine.suggested < base.fine.suggested
    mitigated = [o for o in minor.options if o.id == "GEN-30-2:mitigated"]
    assert mitigated and mitigated[0].fine.max <= minor.fine.statutory_min


def test_art31_no_capacity_no_penalty_partial_is_an_option(food: RulesetLibrary) -> None:
    assert run(food, {"goods_value": 8000, "harm": "general", "mental_capacity": "none"}).outcome == "no_penalty"
    partial = run(food, {"goods_value": 8000, "harm": "general", "mental_capacity": "partial"})
    base = run(food, {"goods_value": 8000, "harm": "general"})
    assert partial.fine == base.fine  # 可以: not applied silently
    assert {"GEN-31-2", "GEN-31-2:mitigated"} <= {o.id for o in partial.options}


def test_art32_mandatory_lenient_is_applied(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 8000, "harm": "general", "confessed_unknown_violation": True})
    assert rec.fine.placement == "从轻"
    assert (rec.fine.min, rec.fine.max) == (Decimal(65000), Decimal(71000))  # lower 30% of 65,000–85,000
    assert any("第三十二条第（三）项" in s.citation for s in rec.trace)


def test_art33_1_minor_corrected_without_harm_no_penalty_with_education(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 8000, "harm": "none", "minor_violation": True, "corrected_in_time": True})
    assert rec.outcome == "no_penalty" and [m.code for m in rec.measures] == ["education"]


def test_art33_1_first_offence_is_offered_not_applied(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 8000, "harm": "minor", "first_offence": True, "corrected_in_time": True})
    assert rec.outcome == "penalty"
    opt = [o for o in rec.options if o.id == "GEN-33-2"]
    assert opt and opt[0].outcome == "no_penalty" and "第三十三条第一款" in opt[0].citation


def test_art33_2_no_fault_no_penalty(food: RulesetLibrary) -> None:
    assert run(food, {"goods_value": 8000, "harm": "serious", "no_fault_proven": True}).outcome == "no_penalty"


# ------------------------------------------------------------------ exemption (食品安全法第一百三十六条)


def test_discretionary_exemption_is_an_option_keeping_confiscation(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 8000, "harm": "minor", "purchase_checked": True})
    assert rec.outcome == "penalty"
    opt = [o for o in rec.options if o.id == "F-EX-136"][0]
    assert opt.outcome == "exemption" and "没收" in opt.effect


# ------------------------------------------------------------------ statutory range and tiers


def test_fallback_range_below_threshold_and_multiple_above(food: RulesetLibrary) -> None:
    small = run(food, {"goods_value": Decimal("9999.99"), "harm": "general"})
    assert (small.fine.statutory_min, small.fine.statutory_max) == (50000, 100000)
    large = run(food, {"goods_value": 10000, "harm": "general"})
    assert (large.fine.statutory_min, large.fine.statutory_max) == (100000, 200000)
    assert large.fine.tier == "一般" and (large.fine.min, large.fine.max) == (Decimal(142000), Decimal(158000))


def test_tier_measure_and_conditional_measure(food: RulesetLibrary) -> None:
    rec = run(food, {"goods_value": 20000, "harm": "serious", "illegal_gain": 100})
    assert {m.code for m in rec.measures} == {
        "order_correction",
        "confiscate_illegal_gain",
        "confiscate_goods",
        "revoke_licence",
    }
    no_gain = run(food, {"goods_value": 20000, "harm": "serious"})
    assert "confiscate_illegal_gain" not in {m.code for m in no_gain.measures}


def test_aggravated_and_lenient_offset(food: RulesetLibrary) -> None:
    base = run(food, {"goods_value": 8000, "harm": "general"})
    both = run(food, {"goods_value": 8000, "harm": "general", "repeat_within_2y": True, "eliminated_harm": True})
    heavy = run(food, {"goods_value": 8000, "harm": "general", "repeat_within_2y": True})
    assert both.fine == base.fine and "conflict:offset" in ids(both)
    assert heavy.fine.placement == "从重" and heavy.fine.max == 85000


def test_result_is_byte_identical(food: RulesetLibrary) -> None:
    facts = {"goods_value": 12345, "harm": "general", "eliminated_harm": True, "purchase_checked": True}
    assert run(food, facts).model_dump_json() == run(food, dict(reversed(facts.items()))).model_dump_json()


DEPT = """
department: demo
department_name: 测试部门
version: "{version}"
effective_from: {start}
source: [测试夹具]
extends: [general/2021]
placement: {{shape: {shape}, rounding: 100, conflict: {conflict}, tier_overlap: {overlap}, mitigated_floor: {floor}}}
facts:
  gain: {{type: money, label: 违法所得, required: false}}
  investment: {{type: money, label: 总投资额, default: 0}}
  serious: {{type: bool, label: 情节严重, default: false}}
  repeat: {{type: bool, label: 再次违法, default: false}}
  remote: {{type: bool, label: 偏远地区, default: false}}
items:
{items}
lists:
  - {{id: D-AG, list: aggravated, label: 再次违法, mandatory: true, applies_to: ["*"], when: repeat, basis: {{law: 测试夹具}}, tier_up: {tier_up}}}
  - {{id: D-EX, list: exemption, label: 法定免罚, mandatory: true, applies_to: ["X-EX"], when: remote, measures: [confiscate_goods], basis: {{law: 测试夹具}}}}
"""  # noqa: E501 - YAML test data: one list entry a line, as the rulesets write them

ITEM_GAIN = """
  - code: X-GAIN
    name: 倍数罚款
    legal_basis: [{law: 测试法, article: 1}]
    penalty_basis: [{law: 测试法, article: 2}]
    statutory:
      - id: base
        when: "not serious"
        fine: {multiple_of: gain, times: [1, 3], fallback: {when: "gain < 1000", range: [10000, 50000]}, ceiling: 100000}
      - id: serious
        when: serious
        basis: [{law: 测试法, article: 2, paragraph: 2}]
        fine: {range: [100000, 500000]}
    tiers:
      - {id: low, label: 较轻, when: "harm in ['none', 'minor']", fine: {share: [0, 0.5]}}
      - {id: high, label: 较重, when: "harm in ['general', 'serious']", fine: {share: [0.5, 1]}}
  - code: X-EX
    name: 免罚事项
    legal_basis: [{law: 测试法, article: 3}]
    penalty_basis: [{law: 测试法, article: 4}]
    statutory: {fine: {range: [1000, 5000]}}
    shape: range
  - code: X-W
    name: 权重累加
    legal_basis: [{law: 测试法, article: 5}]
    penalty_basis: [{law: 测试法, article: 6}]
    shape: weighted
    statutory: {fine: {multiple_of: investment, times: [0.01, 0.05]}}
    weighted:
      start: 0.2
      factors:
        - {id: harm, label: 有危害后果, when: "harm != 'none'", weight: 0.3}
        - {id: big, label: 投资大, when: "investment >= 1000000", weight: 0.6}
"""  # noqa: E501 - YAML test data: one statutory fine a line, as the rulesets write them


def demo(
    make_library,
    *,
    shape="tiers",
    conflict="offset",
    overlap="defect",
    floor=0,
    tier_up="false",
    items=ITEM_GAIN,
    extra=None,
):
    docs = {
        "demo__2024": DEPT.format(
            version="2024",
            start="2024-01-01",
            shape=shape,
            conflict=conflict,
            overlap=overlap,
            floor=floor,
            items=items,
            tier_up=tier_up,
        )
    }
    docs.update(extra or {})
    return make_library(**docs)


def test_escalation_clause_replaces_the_range(make_library) -> None:
    lib = demo(make_library)
    rec = run(lib, {"gain": 2000, "harm": "general", "serious": True}, dept="demo", item="X-GAIN")
    assert (rec.fine.statutory_min, rec.fine.statutory_max) == (100000, 500000)
    assert "第二条第二款" in [s for s in rec.trace if s.step == "statutory"][0].citation


def test_unknown_base_uses_the_fallback_and_ceiling_caps(make_library) -> None:
    lib = demo(make_library)
    unknown = run(lib, {"harm": "general"}, dept="demo", item="X-GAIN")
    assert (unknown.fine.statutory_min, unknown.fine.statutory_max) == (10000, 50000)
    capped = run(lib, {"gain": 80000, "harm": "general"}, dept="demo", item="X-GAIN")
    assert (capped.fine.statutory_min, capped.fine.statutory_max) == (80000, 100000)


def test_mandatory_exemption_keeps_its_measures(make_library) -> None:
    rec = run(demo(make_library), {"harm": "none", "remote": True}, dept="demo", item="X-EX")
    assert rec.outcome == "exemption" and rec.fine is None and [m.code for m in rec.measures] == ["confiscate_goods"]


@pytest.mark.parametrize(
    "item, facts, effect, statutory",
    [
        ("X-EX", {"harm": "none"}, "法定罚款幅度1,000元至5,000元", (1000, 5000)),
        ("X-GAIN", {"gain": 2000}, "违法所得2,000元的1倍至3倍：2,000元至6,000元", (2000, 6000)),
        (
            "X-GAIN",
            {"gain": 80000},
            "违法所得80,000元的1倍至3倍：80,000元至240,000元，最高不超过100,000元",
            (80000, 100000),
        ),
        ("X-GAIN", {"gain": 500}, "违法所得为500元，适用法定罚款幅度10,000元至50,000元", (10000, 50000)),
        ("X-GAIN", {"gain": 0}, "违法所得为0元，适用法定罚款幅度10,000元至50,000元", (10000, 50000)),
        ("X-GAIN", {}, "违法所得无法确定，适用法定罚款幅度10,000元至50,000元", (10000, 50000)),
    ],
)
def test_the_statutory_step_states_the_range_the_law_gives_and_how_it_follows_from_the_base(
    make_library, item, facts, effect, statutory
) -> None:
    """The statutory range is the basis of every placement (行政处罚法 第四十四条 告知依据): the trace states it
    as the law writes it: a fixed range; N倍 of the base with the amounts; 最高不超过 where a ceiling caps it;
    the fixed fallback range, saying whether the base is small, zero or unknown."""
    rec = run(demo(make_library), {"harm": "general", **facts}, dept="demo", item=item)
    (step,) = [s for s in rec.trace if s.step == "statutory"]
    assert step.effect == effect
    assert (rec.fine.statutory_min, rec.fine.statutory_max) == statutory


def test_a_multiple_without_a_fixed_fallback_needs_its_base(make_library) -> None:
    """A fine of N倍 the base with no fixed range for an unknown base (no 无法计算的 clause) cannot be placed
    without the base: a clear error naming the fact, never a guess."""
    items = ITEM_GAIN.replace(', fallback: {when: "gain < 1000", range: [10000, 50000]}', "")
    with pytest.raises(FactError) as e:
        run(demo(make_library, items=items), {"harm": "general"}, dept="demo", item="X-GAIN")
    assert e.value.field == "facts.gain"
    assert e.value.message == "the fine is a multiple of 违法所得, which must be given"


def test_range_shape_places_over_the_statutory_range(make_library) -> None:
    rec = run(demo(make_library), {"harm": "none", "repeat": True}, dept="demo", item="X-EX")
    assert (rec.fine.min, rec.fine.max, rec.fine.suggested) == (Decimal(3800), Decimal(5000), Decimal(4400))


def test_weighted_sum_times_statutory_maximum(make_library) -> None:
    lib = demo(make_library)
    rec = run(lib, {"harm": "general", "investment": 2000000}, dept="demo", item="X-W")
    # 20% + 30% + 60% capped at 100% × (5% × 2,000,000) = 100,000
    assert rec.fine.suggested == 100000 and rec.fine.max == 100000
    small = run(lib, {"harm": "general", "investment": 500000}, dept="demo", item="X-W")
    # 50% × 25,000 = 12,500
    assert small.fine.suggested == 12500 and small.fine.min == 5000


def test_tier_gap_is_reported_as_a_defect(make_library) -> None:
    items = ITEM_GAIN.replace("when: \"harm in ['general', 'serious']\"", "when: \"harm == 'serious'\"")
    with pytest.raises(RulesetDefect) as e:
        run(demo(make_library, items=items), {"gain": 2000, "harm": "general"}, dept="demo", item="X-GAIN")
    assert "exactly one tier" in str(e.value)


def test_a_tier_in_multiples_of_the_base_is_a_defect_where_the_fixed_fallback_range_applies(make_library) -> None:
    """食品安全法 第一百二十四条 pattern: 货值金额不足一万元的, a fixed range (五万元以上十万元以下), not the
    multiple. A tier written as a multiple of the base cannot divide that fixed range: the ruleset
    needs its own tier there, reported as a defect naming `tiers` (never 0 × the base)."""
    items = ITEM_GAIN.replace("fine: {share: [0.5, 1]}", "fine: {times: [2, 3]}")
    lib = demo(make_library, items=items)
    above = run(lib, {"gain": 2000, "harm": "general"}, dept="demo", item="X-GAIN")  # the multiple applies
    assert (above.fine.min, above.fine.max) == (4600, 5400)  # general: 30%–70% of the tier's 4,000–6,000
    for gain in (500, 0):  # below the threshold, and no gain at all: the fallback range 10,000–50,000
        with pytest.raises(RulesetDefect) as e:
            run(lib, {"gain": gain, "harm": "general"}, dept="demo", item="X-GAIN")
        assert e.value.field == "tiers"
        assert e.value.message == (
            "tier 'high' is a multiple of the base, but the statutory fallback range applies "
            "(base small, zero or unknown): the ruleset needs a tier for that case"
        )


@pytest.mark.parametrize(
    "bounds, expect",
    [
        (None, ("4000", "6000")),
        ("[]", ("4000", "6000")),
        ("[)", ("4000", "5999.99")),
        ("(]", ("4000.01", "6000")),
        ("()", ("4000.01", "5999.99")),
    ],
)
def test_a_tier_in_multiples_follows_its_own_boundary_words(bounds, expect) -> None:
    """人民银行令〔2024〕第6号 第六条: "1倍至2倍（不含本数）" excludes the upper multiple, 超过 the lower; a
    multiple without its own words includes both (以上、以下 含本数), whatever placement.boundaries says."""
    from discretion.evaluation.fines import Span, StatutoryFine, tier_span
    from discretion.ruleset import FineSpec

    statutory = StatutoryFine(Span(Decimal(2000), Decimal(10000)), "", "gain", Decimal(2000), False)
    spec = FineSpec(times=(Decimal(2), Decimal(3)), bounds=bounds)
    for boundaries in ("inclusive", "lower_inclusive"):
        assert tier_span(spec, statutory, "t", boundaries) == tuple(map(Decimal, expect))


def test_tier_overlap_defect_or_heavier(make_library) -> None:
    items = ITEM_GAIN.replace("when: \"harm in ['none', 'minor']\"", "when: \"harm in ['none', 'minor', 'general']\"")
    with pytest.raises(RulesetDefect):
        run(demo(make_library, items=items), {"gain": 2000, "harm": "general"}, dept="demo", item="X-GAIN")
    rec = run(
        demo(make_library, items=items, overlap="heavier"),
        {"gain": 2000, "harm": "general"},
        dept="demo",
        item="X-GAIN",
    )
    assert rec.fine.tier == "较重" and "tier_overlap" in ids(rec)


def test_tier_up_moves_one_tier_never_above_the_top(make_library) -> None:
    lib = demo(make_library, tier_up="true")
    rec = run(lib, {"gain": 2000, "harm": "minor", "repeat": True}, dept="demo", item="X-GAIN")
    assert rec.fine.tier == "较重" and rec.fine.placement == "一般"
    top = run(lib, {"gain": 2000, "harm": "serious", "repeat": True}, dept="demo", item="X-GAIN")
    assert top.fine.tier == "较重" and top.fine.placement == "从重" and top.fine.max <= top.fine.statutory_max


def test_conflict_officer_gives_both_as_options(make_library) -> None:
    lib = demo(make_library, conflict="officer")
    rec = run(lib, {"gain": 2000, "harm": "minor", "repeat": True, "eliminated_harm": True}, dept="demo", item="X-GAIN")
    assert rec.fine.placement == "一般" and {"conflict:lenient", "conflict:aggravated"} <= {o.id for o in rec.options}


def test_mitigated_goes_below_minimum_never_below_floor(make_library) -> None:
    mitig = """
  - {id: D-MI, list: mitigated, label: 减轻, mandatory: true, applies_to: ["*"], when: "harm == 'none'", basis: {law: 测试夹具}}
"""  # noqa: E501 - YAML test data: one list entry a line, as the rulesets write them
    text = (
        DEPT.format(
            version="2024",
            start="2024-01-01",
            shape="tiers",
            conflict="offset",
            overlap="defect",
            floor=2000,
            items=ITEM_GAIN,
            tier_up="false",
        )
        + mitig
    )
    lib = make_library(demo__2024=text)
    rec = run(lib, {"gain": 500, "harm": "none"}, dept="demo", item="X-GAIN")  # fallback 10,000–50,000
    assert rec.fine.placement == "减轻"
    assert rec.fine.min == 2000 and rec.fine.max == 10000 and rec.fine.max <= rec.fine.statutory_min


# ------------------------------------------------------------------ 第三十七条


def test_art37_old_rule_stays_unless_the_new_is_lighter(make_library) -> None:
    heavier = ITEM_GAIN.replace("times: [1, 3]", "times: [2, 5]")
    lighter = ITEM_GAIN.replace("times: [1, 3]", "times: [1, 2]")
    common = {"shape": "tiers", "conflict": "offset", "overlap": "defect", "floor": 0, "tier_up": "false"}
    lib = make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **common),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=heavier, **common),
    )
    facts = {"gain": 10000, "harm": "general"}
    rec = run(lib, facts, dept="demo", item="X-GAIN", act=D(2024, 6, 1), decision=D(2025, 2, 1))
    assert rec.ruleset.version == "2024" and any(s.step == "version" and "第三十七条" in s.citation for s in rec.trace)
    lib2 = make_library(demo__2025=DEPT.format(version="2025", start="2025-01-01", items=lighter, **common))
    rec2 = run(lib2, facts, dept="demo", item="X-GAIN", act=D(2024, 6, 1), decision=D(2025, 2, 1))
    assert rec2.ruleset.version == "2025" and "从旧兼从轻" in rec2.trace[1].effect


def test_art37_no_longer_a_violation(make_library) -> None:
    common = {"shape": "tiers", "conflict": "offset", "overlap": "defect", "floor": 0, "tier_up": "false"}
    without = ITEM_GAIN.split("  - code: X-EX")[0].replace("X-GAIN", "X-OTHER")
    lib = make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **common),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=without, **common),
    )
    rec = run(
        lib, {"gain": 10000, "harm": "general"}, dept="demo", item="X-GAIN", act=D(2024, 6, 1), decision=D(2025, 2, 1)
    )
    assert rec.outcome == "no_penalty" and rec.fine is None and "不认为是违法" in rec.trace[1].effect
    assert [s.step for s in rec.trace] == ["facts", "version"] and rec.measures == [] and rec.options == []
    assert rec.trace[0].facts["gain"] == "10000" and rec.ruleset.version == "2024"


def test_art37_act_before_any_version_is_refused(food: RulesetLibrary) -> None:
    with pytest.raises(VersionNotInForce) as e:
        run(food, {"goods_value": 1, "harm": "none"}, act=D(2020, 1, 1), decision=D(2024, 6, 1))
    assert e.value.field == "act_date"


def test_art37_weighs_the_kind_of_penalty_before_the_amount(make_library) -> None:
    """A newer rule with a lower fine but a licence revocation is not 处罚较轻."""
    common = {"shape": "tiers", "conflict": "offset", "overlap": "defect", "floor": 0, "tier_up": "false"}
    old = ITEM_GAIN
    new = ITEM_GAIN.replace(
        'times: [1, 3], fallback: {when: "gain < 1000", range: [10000, 50000]}, ceiling: 100000}',
        'times: [0.5, 1], fallback: {when: "gain < 1000", range: [10000, 50000]}, ceiling: 100000}\n'
        "        measures: [revoke_licence]",
    )
    assert new != old
    lib = make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=old, **common),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=new, **common),
    )
    rec = run(
        lib, {"gain": 10000, "harm": "general"}, dept="demo", item="X-GAIN", act=D(2024, 6, 1), decision=D(2025, 2, 1)
    )
    assert rec.ruleset.version == "2024"  # the old rule's larger fine is lighter than the new rule's revocation
    assert "revoke_licence" not in {m.code for m in rec.measures}


def test_a_multiple_from_nothing_reads_as_the_law_writes_it() -> None:
    """产品质量法 第五十二条 "货值金额二倍以下": the statutory step says 2倍以下, not 百分之0至2倍."""
    from discretion.evaluation.fines import multiples_text

    from . import libraries

    assert multiples_text(Decimal(0), Decimal(2)) == "2倍以下"
    assert multiples_text(Decimal("0.5"), Decimal(3)) == "百分之50至3倍"
    rec = evaluate(
        libraries.bundled(),
        EvaluationRequest(
            department="scjg",
            item="SC-PQ-52-1",
            facts={"harm": "general", "goods_value": 30000},
            act_date=D(2025, 11, 1),
            decision_date=D(2025, 12, 1),
        ),
    )
    statutory = next(s for s in rec.trace if s.step == "statutory")
    assert "的2倍以下：" in statutory.effect, statutory.effect
    assert "百分之0" not in statutory.effect


# ---------------------------------------------------------------- a tier that is a multiple of the base

TIMES_TIER = FineSpec(times=(Decimal(1), Decimal(2)))
#: the statutory fine of a case whose base (goods_value 300) is known and no fallback range applies
BASED = StatutoryFine(Span(Decimal(100), Decimal(5000)), "法定", "goods_value", Decimal(300), False)


def test_a_tier_that_is_a_multiple_of_the_base_is_that_multiple_of_it() -> None:
    assert fines.tier_span(TIMES_TIER, BASED, "T1") == Span(Decimal("300.00"), Decimal("600.00"))


@pytest.mark.parametrize(
    "statutory", [BASED._replace(base_value=None), BASED._replace(fallback_used=True)], ids=["no base", "fallback"]
)
def test_a_multiple_of_the_base_is_a_defect_of_the_ruleset_without_a_base_or_under_the_fallback(statutory) -> None:
    """Without a base value, or where the statute's fixed range for a small or unknown base applies, a tier
    written as a multiple of the base has nothing to multiply: the ruleset is missing a tier for that case."""
    with pytest.raises(RulesetDefect) as e:
        fines.tier_span(TIMES_TIER, statutory, "T1")
    assert e.value.field == "tiers"
    assert str(e.value) == (
        "tiers: tier 'T1' is a multiple of the base, but the statutory fallback range applies "
        "(base small, zero or unknown): the ruleset needs a tier for that case"
    )

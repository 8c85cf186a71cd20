"""A cap on the amount a reduction takes off (`reduce_at_most`) and the exclusions that hold a reduction off, as
bundled law encodes them: 《东莞市环境违法行为道歉承诺从轻处罚工作指引》 (dgsthj/2022: "降低的额度最多不超过20万元，
且不能突破法定最低限额") on 粤环发〔2021〕7号 附件1 §2.7.1, and 粤环发〔2021〕7号 第十四条（一）–（十一） (gdsthj/2022).
Each test is named after the rule it pins; the worked amounts are also in examples/cases/dgsthj.yaml."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.audit import diff, verify
from discretion.errors import DiscretionError
from discretion.evaluation.apply import capped

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
TEXTS = {
    "general/2021": (ROOT / "general" / "2021.yaml").read_text(encoding="utf-8"),
    "gdsthj/2022": (ROOT / "gdsthj" / "2022.yaml").read_text(encoding="utf-8"),
}
DG = (ROOT / "dgsthj" / "2022.yaml").read_text(encoding="utf-8")
LIB = RulesetLibrary.from_texts({**TEXTS, "dgsthj/2022": DG})
APOLOGY = {"apology_pledge_done": True, "dg_procedure_met": True}
#: 7 + 8 + 22 + 8 + 10 + 23 + 15 = 93% of 1,000,000
HEAVY = {
    "harm": "general",
    "exceed_factor_count": 3,
    "pollutant_class": "toxic",
    "outlet_area": "eco_sensitive",
    "daily_wastewater_t": 800,
    "exceedance": "over_20x",
    "same_violations_2y": 4,
}


def _eval(facts: dict[str, Any], lib: RulesetLibrary = LIB, dept: str = "dgsthj", item: str = "DG-WAT-83-2"):  # type: ignore[no-untyped-def]
    return evaluate(
        lib,
        EvaluationRequest(
            department=dept, item=item, facts=facts, act_date=dt.date(2023, 3, 1), decision_date=dt.date(2023, 5, 1)
        ),
    )


def test_dongguan_reduction_capped_at_200000() -> None:
    """ "其他的，按照拟罚款金额50%降低。降低的额度最多不超过20万元": 930,000 × 50% = 465,000, but only 200,000 comes
    off → 730,000; the step says the cap and cites the guideline."""
    rec = _eval({**HEAVY, **APOLOGY})
    assert rec.fine is not None and rec.fine.suggested == Decimal(730000) == rec.fine.min == rec.fine.max
    [step] = [s for s in rec.trace if s.step == "reduce"]
    assert "减少的额度最多不超过200,000元" in step.effect and "不低于法定最低罚款100,000元" in step.effect
    assert "东莞市环境违法行为道歉承诺从轻处罚工作指引" in step.citation


def test_dongguan_first_reported_case_420000_becomes_220000() -> None:
    """The bureau's first case (news): 拟罚款42万元 → 罚款22万元, "降低金额达20万元" — 50% would have been 21万."""
    rec = _eval(
        {"harm": "minor", "pollutant_class": "a", "exceedance": "x8_to_20", "daily_wastewater_t": 300, **APOLOGY}
    )
    assert rec.fine is not None and rec.fine.suggested == Decimal(220000)


def test_dongguan_heavy_process_30_percent_cap_does_not_bite() -> None:
    """ "涉及14类重污染工序的，按拟罚款金额30%降低": 270,000 → 189,000 (81,000 off, under the cap)."""
    facts = {"harm": "minor", "exceed_factor_count": 2, "pollutant_class": "a", "exceedance": "up_to_3x"}
    rec = _eval({**facts, "daily_wastewater_t": 100, **APOLOGY, "dg_category": "heavy_process"})
    assert rec.fine is not None and rec.fine.suggested == Decimal(189000)


def test_dongguan_reduction_not_below_the_statutory_minimum() -> None:
    """ "且不能突破法定最低限额": 180,000 × 50% = 90,000 → 100,000 (水污染防治法 第八十三条)."""
    facts = {"harm": "minor", "exceedance": "up_to_3x", "daily_wastewater_t": 60}
    rec = _eval({**facts, "outlet_area": "restricted_or_residential", **APOLOGY})
    assert rec.fine is not None and rec.fine.suggested == Decimal(100000)


def test_dongguan_guideline_displaces_yuehuanfa_14_range() -> None:
    """粤环发〔2021〕7号 第十四条末段 lets a city fix "减轻处罚的具体标准": the province's 30%–50% (GD-14) does not act
    beside the city's rate (it would compound), and the trace says which provision displaced which."""
    rec = _eval({**HEAVY, **APOLOGY})
    assert [s.rule for s in rec.trace if s.step == "reduce"] == ["reduce:DG-APOLOGY-50"]
    [step] = [s for s in rec.trace if s.step == "displaced"]
    assert step.rule == "GD-14" and "东莞市环境违法行为道歉承诺从轻处罚工作指引" in step.effect
    assert "另有规定，从其规定" in step.effect


def test_verify_reports_reductions_that_would_compound() -> None:
    """Without the displacement the province's and the city's reductions hold together: verify says so."""
    lib = RulesetLibrary.from_texts({**TEXTS, "dgsthj/2022": DG.replace("    displaces: [GD-14]\n", "")})
    problems = [p for p in verify(lib, department="dgsthj").problems if p.check == "reductions"]
    assert problems and "GD-14" in problems[0].message and problems[0].example is not None
    from api.pages.reviewwords import problem_words

    assert "会叠加减少" in problem_words(problems[0]) and "GD-14" in problem_words(problems[0])
    assert not [p for p in verify(LIB, department="dgsthj").problems if p.check == "reductions"]


def test_diff_says_a_change_of_the_cap() -> None:
    """东环〔2024〕69号 "取消了…20万元的规定": removing or changing the cap is a sentence of its own."""
    new = DG.replace('version: "2022"', 'version: "2022-b"').replace("2024-08-01", "2024-09-01")
    new = new.replace("effective_from: 2022-04-06", "effective_from: 2024-08-01").replace("2024-09-01", "2025-01-01")
    lib = RulesetLibrary.from_texts(
        {**TEXTS, "dgsthj/2022": DG, "dgsthj/2022-b": new.replace("    reduce_at_most: 200000\n", "", 1)}
    )
    texts = [c.text for c in diff(lib.version("dgsthj", "2022"), lib.version("dgsthj", "2022-b")).changes]
    assert any("减少的额度最多不超过200,000元 → 减少的额度不设上限" in t for t in texts), texts


@pytest.mark.parametrize(
    ("fact", "number"),
    [
        ("gd14_drinking_water", "（一）"),
        ("gd14_hw_to_unlicensed", "（二）"),
        ("gd14_hw_unlicensed_business", "（三）"),
        ("gd14_emergency", "（四）"),
        ("gd14_detention", "（五）"),
        ("gd14_suspected_crime", "（六）"),
        ("gd14_other_violation_excluded", "（九）"),
        ("gd14_fixed_or_minimum_fine", "（十）"),
        ("gd14_other_rule_excludes", "（十一）"),
    ],
)
def test_yuehuanfa_14_exclusion_holds_off_the_reduction_and_the_trace_names_it(fact: str, number: str) -> None:
    """粤环发〔2021〕7号 第十四条 "有以下行为之一的，不适用公开道歉承诺从轻制度": in gdsthj and in 东莞."""
    for dept, item, extra in (("gdsthj", "GD-WAT-83-2", {}), ("dgsthj", "DG-WAT-83-2", {"dg_procedure_met": True})):
        facts = {"harm": "minor", "exceedance": "up_to_3x", "apology_pledge_done": True, fact: True, **extra}
        rec = _eval(facts, dept=dept, item=item)
        assert rec.fine is not None and rec.fine.suggested == Decimal(120000), dept
        assert not [s for s in rec.trace if s.step == "reduce"], dept
        [step] = [s for s in rec.trace if s.step == "excluded"]
        assert f"第十四条{number}" in step.effect and step.facts[fact] is True, (dept, step.effect)


def test_two_exclusions_are_both_named() -> None:
    rec = _eval(
        {"harm": "minor", "apology_pledge_done": True, "gd14_detention": True, "gd14_suspected_crime": True},
        dept="gdsthj",
        item="GD-WAT-83-2",
    )
    [step] = [s for s in rec.trace if s.step == "excluded"]
    assert "（五）" in step.effect and "（六）" in step.effect


def test_no_apology_is_not_an_exclusion() -> None:
    """Only `not f` parts that fail are 不适用情形: a reduction whose application condition fails is not traced."""
    rec = _eval({"harm": "minor", "gd14_detention": True}, dept="gdsthj", item="GD-WAT-83-2")
    assert not [s for s in rec.trace if s.step in ("excluded", "reduce")]


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("    reduce_at_most: 200000\n", "reduce_at_most needs reduce"),  # the cap of a reduction, without one
        ("    reduce: [0.5, 0.5]\n    reduce_at_most: 0\n    reduce_not_below: statutory_minimum\n", "reduce_at_most"),
    ],
)
def test_reduce_at_most_is_refused_at_load_without_reduce_or_when_not_positive(new: str, message: str) -> None:
    old = "    reduce: [0.5, 0.5]\n    reduce_at_most: 200000\n    reduce_not_below: statutory_minimum\n"
    assert old in DG
    with pytest.raises(DiscretionError, match=message):
        RulesetLibrary.from_texts({**TEXTS, "dgsthj/2022": DG.replace(old, new)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.decimals(min_value=0, max_value=10**7, places=2),
    share=st.decimals(min_value=0, max_value=1, places=2),
    cap=st.decimals(min_value=Decimal("0.01"), max_value=10**6, places=2),
)
def test_a_capped_reduction_never_takes_off_more_than_the_cap(amount: Decimal, share: Decimal, cap: Decimal) -> None:
    out = capped(amount, share, cap)
    assert amount - cap <= out <= amount
    assert out == max((amount * (1 - share)).quantize(Decimal("0.01")), amount - cap)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    category=st.sampled_from([("heavy_process", "0.3"), ("basin", "0.4"), ("other", "0.5")]),
)
def test_dongguan_reduction_never_more_than_200000_and_never_below_the_minimum(data: st.DataObject, category) -> None:  # type: ignore[no-untyped-def]
    """For any weighted amount: reduced = max(amount − min(share × amount, 200,000), 100,000)."""
    facts = {
        "harm": "minor",
        "exceed_factor_count": data.draw(st.integers(1, 5)),
        "pollutant_class": data.draw(st.sampled_from(["b", "a", "toxic"])),
        "outlet_area": data.draw(st.sampled_from(["general", "restricted_or_residential", "eco_sensitive"])),
        "daily_wastewater_t": data.draw(st.sampled_from([10, 50, 199.99, 200, 900])),
        "exceedance": data.draw(
            st.sampled_from(["ph_mild", "ph_severe", "up_to_3x", "x3_to_8", "x8_to_20", "over_20x"])
        ),
        "same_violations_2y": data.draw(st.integers(1, 6)),
    }
    before = _eval(facts).fine
    after = _eval({**facts, **APOLOGY, "dg_category": category[0]}).fine
    assert before is not None and after is not None
    amount = before.suggested
    want = max(amount - min(amount * Decimal(category[1]), Decimal(200000)), Decimal(100000))
    assert after.suggested == want
    assert amount - after.suggested <= Decimal(200000) and after.suggested >= Decimal(100000)


def test_the_table_writes_the_cap_in_the_entrys_other_cell(tmp_path: Path) -> None:
    """A department's table says the cap in words ("减少的额度最多不超过：200000元"); import reads it back (the
    round trip of every bundled ruleset is tests/test_tables_roundtrip.py)."""
    from openpyxl import load_workbook

    from discretion.tables.export import export_table

    bundled = RulesetLibrary.load()
    out = tmp_path / "dg.xlsx"
    export_table(bundled.compiled["dgsthj/2022"].ruleset, bundled.files["dgsthj/2022"].ruleset, out, "xlsx")
    rows = [
        [str(c.value or "") for c in r]
        for r in load_workbook(out)["从轻、减轻、从重、不予处罚、免予处罚清单"].iter_rows()
    ]
    [row] = [r for r in rows if r[0] == "DG-APOLOGY-30"]
    assert "减少的额度最多不超过：200000元" in row[8] and "排除适用：GD-14" in row[8]

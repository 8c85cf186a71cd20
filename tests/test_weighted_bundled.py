"""权重累加 as bundled law encodes it: 粤环发〔2021〕7号 附件1 §2.7.1 (gdsthj/2022), each test named after the rule it
pins. The worked amounts are in examples/cases/gdsthj.yaml; here: the exclusive groups' defects verify must show,
第五条's lowest degree for an unknown factor, and 第十四条's reduction of the weighted amount itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.audit import verify

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
GD = (ROOT / "gdsthj" / "2022.yaml").read_text(encoding="utf-8")
GENERAL = (ROOT / "general" / "2021.yaml").read_text(encoding="utf-8")
MID = 'when: "50 <= daily_wastewater_t < 200"'
CASE = {
    "harm": "minor",
    "exceed_factor_count": 2,
    "pollutant_class": "a",
    "outlet_area": "eco_sensitive",
    "daily_wastewater_t": 200,
    "exceedance": "x3_to_8",
    "same_violations_2y": 2,
}


def _lib(text: str = GD) -> RulesetLibrary:
    return RulesetLibrary.from_texts({"general/2021": GENERAL, "gdsthj/2022": text})


def _rec(lib: RulesetLibrary, facts: dict):  # type: ignore[no-untyped-def]
    return evaluate(
        lib,
        EvaluationRequest(
            department="gdsthj",
            item="GD-WAT-83-2",
            facts=facts,
            act_date=dt.date(2024, 3, 1),
            decision_date=dt.date(2024, 5, 1),
        ),
    )


def _checks(text: str) -> set[str]:
    return {p.check for p in verify(_lib(text), department="gdsthj").problems}


def test_yuehuanfa_2021_7_annex1_2_7_1_only_the_tables_own_low_start_is_a_defect() -> None:
    """The published table verifies clean but for its 7% start (7万 < 10万), reported as weighted_range."""
    assert _checks(GD) == {"weighted_range"}


def test_yuehuanfa_2021_7_art_23_overlapping_volume_bands_are_a_group_defect() -> None:
    """第二十三条 "'以下'不包括本数，'以上'包括本数": written inclusively at 200 tons, 50吨以上200吨以下 and
    200吨以上 both hold at 200 — an exclusive group with two members that hold is a defect verify reports."""
    overlap = _group_messages(GD.replace(MID, 'when: "50 <= daily_wastewater_t <= 200"'))
    assert overlap == ["exactly one factor of the exclusive group 'volume' must hold, got volume_mid, volume_high"]
    gap = _group_messages(GD.replace(MID, 'when: "50 < daily_wastewater_t < 200"'))  # 50 tons: no degree
    assert gap == ["exactly one factor of the exclusive group 'volume' must hold, got none"]


def _group_messages(text: str) -> list[str]:
    found = verify(_lib(text), department="gdsthj").problems
    return [p.message.split(": ", 1)[1] for p in found if p.check == "coverage"]


def test_yuehuanfa_2021_7_art_5_an_unknown_factor_counts_at_its_lowest_degree_not_as_missing() -> None:
    """第五条 "裁量因素确无法查明的按该项裁量因素的最低档次进行计算": leaving out the daily volume gives the
    <50 tons degree (0%), the same as 10 tons — never a refused evaluation or a guessed sum."""
    unknown = {k: v for k, v in CASE.items() if k != "daily_wastewater_t"}
    lib = _lib()
    assert _rec(lib, unknown).fine.suggested == _rec(lib, {**CASE, "daily_wastewater_t": 10}).fine.suggested
    assert _rec(lib, unknown).fine.suggested == Decimal(380000)  # 48% − 10%


def test_yuehuanfa_2021_7_art_14_reduces_the_weighted_amount_not_the_statutory_range() -> None:
    """第十四条 "按罚款标准的30%-50%降低处罚": the 罚款标准 is the weighted amount (480,000), so 240,000–336,000 — not
    30%–50% off the whole statutory range (100,000–700,000, what the evaluator gave before)."""
    fine = _rec(_lib(), {**CASE, "apology_pledge_done": True}).fine
    assert (fine.min, fine.max, fine.suggested) == (Decimal(240000), Decimal(336000), Decimal(288000))

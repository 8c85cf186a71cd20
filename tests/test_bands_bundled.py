"""Typed bands and per-amount boundaries as bundled law encodes them: 中国人民银行令〔2024〕第6号
《中国人民银行行政处罚裁量基准适用规定》 第六条 (rmyh/2025), each test named after the rule it pins. The worked
amounts are in examples/cases/rmyh.yaml; here: the boundaries, and the defects verify must show in such a table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.audit import verify

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
RMYH = (ROOT / "rmyh" / "2025.yaml").read_text(encoding="utf-8")
GENERAL = (ROOT / "general" / "2021.yaml").read_text(encoding="utf-8")
FIXED_GENERAL = '          - {direction: general, fine: {range: [1000000, 1500000], bounds: "[)"}}\n'


def _lib(text: str = RMYH) -> RulesetLibrary:
    return RulesetLibrary.from_texts({"general/2021": GENERAL, "rmyh/2025": text})


def _fine(lib: RulesetLibrary, facts: dict, item: str = "RM-PBL-46-1"):  # type: ignore[no-untyped-def]
    rec = evaluate(
        lib,
        EvaluationRequest(
            department="rmyh", item=item, facts=facts, act_date=dt.date(2025, 3, 1), decision_date=dt.date(2025, 5, 1)
        ),
    )
    assert rec.fine is not None
    return rec.fine


def test_pbc_2024_6_art_6_4_multiple_band_excludes_its_upper_multiple() -> None:
    """第六条（四）"违法所得的1倍至2倍（不含本数）": a gain of 700,000.01 gives 从轻 700,000.01 up to one fen
    below twice it; without the bounds the band would include twice the gain."""
    fine = _fine(_lib(), {"harm": "none", "illegal_gain": "700000.01", "lesser_small_harm": True})
    assert (fine.min, fine.max) == (Decimal("700000.01"), Decimal("1400000.01"))
    without = _lib(RMYH.replace('{times: [1, 2], bounds: "[)"}', "{times: [1, 2]}"))
    assert _fine(without, {"harm": "none", "illegal_gain": "700000.01", "lesser_small_harm": True}).max == Decimal(
        "1400000.02"
    )


def test_pbc_2024_6_art_6_2_amount_band_excludes_its_upper_amount_and_the_top_band_includes_the_maximum() -> None:
    """第六条（二）"50万元至100万元（不含本数）……150万元至200万元": 从轻 ends at 999,999.99; 从重 reaches 2,000,000."""
    lib = _lib()
    assert _fine(lib, {"harm": "none", "illegal_gain": 0, "lesser_small_harm": True}).max == Decimal("999999.99")
    assert _fine(lib, {"harm": "none", "illegal_gain": 0, "repeat_within_5y": True}).max == Decimal(2000000)


def test_the_published_bands_verify_clean_and_a_mitigated_band_inside_the_range_is_flagged() -> None:
    """第六条 publishes no 减轻 column; a 减轻 band written inside the statutory range (a defect real tables have)
    is reported by verify with an example case, as is a 一般 band that leaves the statutory range."""
    assert verify(_lib(), department="rmyh").problems == []
    inside = FIXED_GENERAL + "          - {direction: mitigated, fine: {range: [600000, 800000]}}\n"
    [found] = verify(_lib(RMYH.replace(FIXED_GENERAL, inside)), department="rmyh").problems
    assert found.item == "RM-PBL-46-1" and "减轻 band 600000–800000" in found.message
    assert "not entirely below the statutory minimum 500000" in found.message
    outside = FIXED_GENERAL.replace("[1000000, 1500000]", "[1000000, 2500000]")
    found2 = verify(_lib(RMYH.replace(FIXED_GENERAL, outside)), department="rmyh").problems
    assert {p.message.split(": ", 1)[1] for p in found2} == {
        "its 一般 band 1000000–2500000 yuan leaves the statutory range 500000–2000000 yuan",
        "its 一般 band lies above its 从重 band",
    }, found2

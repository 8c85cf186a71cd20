"""Proportional reductions (`reduce`) as bundled law encodes them: 穗环规字〔2022〕2号 (广州市生态环境局
《生态环境违法当事人公开道歉承诺守法从轻处罚暂行规定》, gzsthj/2022-10), each test named after the rule it pins.
The worked amounts of the three shares are in examples/cases/gzsthj.yaml; here: the floor and its limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.audit import verify

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
GZ = (ROOT / "gzsthj" / "2022-10.yaml").read_text(encoding="utf-8")
GENERAL = (ROOT / "general" / "2021.yaml").read_text(encoding="utf-8")


def _lib(text: str = GZ) -> RulesetLibrary:
    return RulesetLibrary.from_texts({"general/2021": GENERAL, "gzsthj/2022-10": text})


def _eval(lib: RulesetLibrary, facts: dict, item: str = "GZ-WAT-83-2"):  # type: ignore[no-untyped-def]
    return evaluate(
        lib,
        EvaluationRequest(
            department="gzsthj", item=item, facts=facts, act_date=dt.date(2024, 3, 1), decision_date=dt.date(2024, 5, 1)
        ),
    )


def _option(rec, oid: str):  # type: ignore[no-untyped-def]
    return next(o for o in rec.options if o.id == oid)


def test_suihuan_2022_2_reduced_fine_below_the_statutory_minimum_is_the_statutory_minimum() -> None:
    """穗环规字〔2022〕2号 "降低后的罚款数额低于法定最低罚款数额的，按照法定最低罚款数额予以罚款处罚": with a
    placement that puts the fine at 100,000–190,000 (shares 0–10% of 10万–100万), 30% off gives
    70,000–133,000 → 100,000–133,000."""
    lib = _lib(GZ.replace("  general: [0.5, 0.5]\n", "  general: [0, 0.1]\n"))
    rec = _eval(lib, {"harm": "minor", "apology_pledge_done": True})
    assert (rec.fine.min, rec.fine.max) == (Decimal(100000), Decimal(190000))  # type: ignore[union-attr]
    cut = _option(rec, "GZ-APOLOGY-1:reduce").fine
    assert (cut.min, cut.max) == (Decimal(100000), Decimal(133000))
    assert "不低于法定最低罚款100,000元" in _option(rec, "GZ-APOLOGY-1:reduce").effect


def test_suihuan_2022_2_a_reduction_never_raises_a_fine_already_below_the_minimum() -> None:
    """A 减轻 fine already below the statutory minimum (here a mandatory 减轻 entry, 0–100,000) is not raised to
    the minimum by a "reduction" whose bound is the minimum: the range's lower end stays where it was."""
    mitigated = """  - id: GZ-TEST-MITIGATED
    list: mitigated
    label: 测试用：应当减轻
    mandatory: true
    applies_to: ["*"]
    when: "serious_circumstances"
    basis: {law: 测试}
"""
    text = GZ.replace("lists:\n", "lists:\n" + mitigated).replace("    mandatory: false\n", "    mandatory: true\n")
    rec = _eval(_lib(text), {"harm": "minor", "apology_pledge_done": True, "serious_circumstances": True})
    assert rec.fine is not None and rec.fine.placement == "减轻"
    assert rec.fine.min == 0  # before the fix: raised to 100,000 (the bound) — above the 减轻 fine itself
    assert rec.fine.max == Decimal(100000)  # 70,000 after 30% → the minimum, as the rule says
    assert any(s.step == "reduce" for s in rec.trace)


def test_suihuan_2022_2_the_three_shares_are_exclusive_and_verify_finds_no_defect() -> None:
    """第（二）（三）项 presuppose 第（一）项 and differ by the third-party material: at most one reduction holds."""
    lib = _lib()
    for material, share in [("none", "0.7"), ("rectification_effect", "0.6"), ("harm_eliminated", "0.5")]:
        rec = _eval(lib, {"harm": "minor", "apology_pledge_done": True, "third_party_material": material})
        cuts = [o for o in rec.options if o.id.endswith(":reduce")]
        assert len(cuts) == 1 and cuts[0].fine.min == Decimal(550000) * Decimal(share)  # type: ignore[union-attr]
    report = verify(lib, department="gzsthj")
    assert not report.problems, report.problems

"""The constructs of the ruleset language (issue 9 §1), named after the rule they encode, and their bad input.

The ruleset is examples/language/rulesets/demo (illustrative amounts); each test edits its text to
make one defect and checks that loading refuses it with its position, or that verify reports it with
an example case.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from discretion import EvaluationRequest, RulesetLibrary, RulesetLoadError, evaluate
from discretion.audit import verify
from discretion.evaluation.cells import match

DEMO = Path(__file__).parent.parent / "examples" / "language" / "rulesets" / "demo"
TEXT = (DEMO / "2024.yaml").read_text(encoding="utf-8")
LATER = (DEMO / "2025.yaml").read_text(encoding="utf-8")


def _lib(text: str = TEXT, later: str | None = None) -> RulesetLibrary:
    texts = {"demo/2024": text}
    if later is not None:
        texts["demo/2025"] = later
    return RulesetLibrary.from_texts(texts)


def _eval(
    lib: RulesetLibrary,
    item: str,
    facts: dict,
    act: str = "2024-03-01",
    decided: str = "2024-05-10",
):
    return evaluate(
        lib,
        EvaluationRequest(
            department="demo",
            item=item,
            facts=facts,
            act_date=dt.date.fromisoformat(act),
            decision_date=dt.date.fromisoformat(decided),
        ),
    )


def _refused(text: str) -> RulesetLoadError:
    with pytest.raises(RulesetLoadError) as e:
        _lib(text)
    return e.value


# ---------------------------------------------------------------- 可以并处


def test_a_fine_the_law_only_allows_is_an_option_with_range_and_basis_never_imposed() -> None:
    rec = _eval(_lib(), "DEMO-MAY", {})
    assert rec.fine is None
    (opt,) = [o for o in rec.options if o.id == "may:statutory:base:fine"]
    assert opt.fine is not None and (opt.fine.min, opt.fine.max) == (Decimal(1500), Decimal(3500))
    assert "价格违法行为行政处罚规定" in opt.citation and "不自动科处" in opt.effect


def test_a_list_entry_fine_must_say_it_is_discretionary() -> None:
    bad = TEXT.replace("    reduce: [0.3, 0.5]\n", "    reduce: [0.3, 0.5]\n    fine: {range: [0, 100]}\n")
    err = _refused(bad)
    assert "may: true" in str(err) and "lists.5 (line" in (err.path or "")


# ---------------------------------------------------------------- typed bands


def test_a_repeated_band_direction_is_refused_at_load() -> None:
    bad = TEXT.replace(
        "{direction: aggravated, fine: {range: [70000, 100000]}}",
        "{direction: general, fine: {range: [70000, 100000]}}",
    )
    err = _refused(bad)
    assert "direction repeats" in str(err) and "items.2.tiers.0 (line" in (err.path or "")


def test_verify_flags_a_mitigated_band_inside_the_statutory_range() -> None:
    bad = TEXT.replace(
        "{direction: mitigated, fine: {range: [5000, 9000]}}",
        "{direction: mitigated, fine: {range: [9000, 12000]}}",
    )
    report = verify(_lib(bad), department="demo")
    found = [p for p in report.problems if p.item == "DEMO-BANDS" and "减轻 band" in p.message]
    assert found and found[0].example is not None and "not entirely below" in found[0].message


def test_verify_flags_a_mitigated_band_below_the_floor_and_bands_out_of_order() -> None:
    bad = TEXT.replace(
        "{direction: mitigated, fine: {range: [5000, 9000]}}",
        "{direction: mitigated, fine: {range: [500, 9000]}}",
    ).replace(
        "{direction: lenient, fine: {range: [10000, 30000]}}",
        "{direction: lenient, fine: {range: [40000, 80000]}}",
    )
    messages = [p.message for p in verify(_lib(bad), department="demo").problems if p.item == "DEMO-BANDS"]
    assert any("below the floor" in m for m in messages)
    assert any("从轻 band lies above its 一般 band" in m for m in messages)


def test_the_bundled_and_demo_bands_verify_clean() -> None:
    assert not [p for p in verify(_lib(), department="demo").problems if p.item == "DEMO-BANDS"]


# ---------------------------------------------------------------- absent versus zero


def test_absent_and_zero_gain_are_different_cells_and_clauses() -> None:
    lib = _lib()
    ci = lib.compiled["demo/2024"].items["DEMO-GAIN"]
    absent = _eval(lib, "DEMO-GAIN", {})
    zero = _eval(lib, "DEMO-GAIN", {"illegal_gain": 0})
    rules = lambda r: {s.rule for s in r.trace if s.step == "statutory"}  # noqa: E731
    assert rules(absent) == {"statutory:unknown_gain"} and rules(zero) == {"statutory:no_gain"}
    assert ci.cell_key({"illegal_gain": None, "no_fault_proven": False}) != ci.cell_key(
        {"illegal_gain": Decimal(0), "no_fault_proven": False}
    )


@pytest.mark.parametrize("gain", [None, Decimal(0), Decimal("0.01"), Decimal(1000)])
def test_given_agrees_between_durable_rules_and_the_reference(gain) -> None:
    ci = _lib().compiled["demo/2024"].items["DEMO-GAIN"]
    facts = {"illegal_gain": gain, "no_fault_proven": False}
    assert ci.matcher.match(facts) == ci.match_reference(facts) == match(ci, facts)


@pytest.mark.parametrize("fact, why", [("cooperated", "has a default"), ("days", "is required")])
def test_given_on_a_fact_that_is_never_absent_is_refused_with_its_position(fact, why) -> None:
    bad = TEXT.replace(
        'when: "given(illegal_gain) and illegal_gain == 0"',
        f'when: "given({fact}) and illegal_gain == 0"',
    )
    err = _refused(bad)
    assert why in str(err) and "statutory[1].when" in (err.path or "") and "column 7" in str(err)


# ---------------------------------------------------------------- exclusive factor groups


def test_verify_reports_an_overlapping_and_a_missing_exclusive_group_member() -> None:
    bad = TEXT.replace('when: "days >= 30", weight: 0.3', 'when: "days >= 20 and days < 60", weight: 0.3')
    found = [p for p in verify(_lib(bad), department="demo").problems if p.item == "DEMO-W"]
    messages = " ".join(p.message for p in found)
    assert "exclusive group 'duration'" in messages and "got short, long" in messages and "got none" in messages
    assert all(p.example is not None for p in found)


# ---------------------------------------------------------------- special provisions


def test_a_displacement_naming_no_entry_is_refused_with_its_position() -> None:
    err = _refused(TEXT.replace("      - entry: DEMO-L-NOFAULT", "      - entry: DEMO-L-NOPE"))
    assert "DEMO-L-NOPE" in str(err) and "items[5].displaces[0].entry" in (err.path or "")


def test_an_entry_displacing_no_entry_is_refused() -> None:
    bad = TEXT.replace(
        "    applies_to: [DEMO-SPECIAL]\n",
        "    applies_to: [DEMO-SPECIAL]\n    displaces: [GEN-NOPE]\n",
    )
    err = _refused(bad)
    assert "GEN-NOPE" in str(err) and "displaces" in (err.path or "")


def test_food_safety_law_136_displaces_no_fault_and_keeps_confiscation_in_scjg() -> None:
    lib = RulesetLibrary.load()
    rec = evaluate(
        lib,
        EvaluationRequest(
            department="scjg",
            item="SC-FOOD-124-1-1",
            facts={
                "goods_value": 8000,
                "harm": "minor",
                "no_fault_proven": True,
                "is_trader": True,
                "purchase_inspection_done": True,
                "no_knowledge_proven": True,
                "source_explained": True,
            },
            act_date=dt.date(2024, 3, 1),
            decision_date=dt.date(2024, 5, 10),
        ),
    )
    assert rec.outcome == "penalty"
    assert not any(s.rule == "GEN-33-3" and s.step == "no_penalty" for s in rec.trace)
    (step,) = [s for s in rec.trace if s.step == "displaced"]
    assert "第三十三条第二款" in step.effect and "第一百三十六条" in step.effect
    (opt,) = [o for o in rec.options if o.id == "SC-L-FOOD-136"]
    assert "没收" in opt.effect


# ---------------------------------------------------------------- a benchmark-only change


@pytest.mark.parametrize(
    "rule, version, fine, words",
    [
        ("decision_date", "2025", (40000, 60000), "作出处罚决定时施行的基准适用"),
        ("act_date", "2024", (30000, 70000), "适用违法行为发生时施行的基准"),
        ("lighter", "2025", (40000, 60000), "参照从旧兼从轻"),
    ],
)
def test_a_benchmark_only_change_follows_its_own_transition_rule_and_cites_it(rule, version, fine, words) -> None:
    later = LATER.replace("transition: decision_date", f"transition: {rule}")
    if rule == "lighter":  # 2025 lighter on this cell: its lenient band lower
        later = later.replace(
            "{direction: general, fine: {range: [40000, 60000]}}",
            "{direction: general, fine: {range: [20000, 40000]}}",
        )
        fine = (20000, 40000)
    rec = _eval(_lib(later=later), "DEMO-BANDS", {}, act="2024-11-01", decided="2025-02-01")
    assert rec.ruleset.version == version and (rec.fine.min, rec.fine.max) == tuple(map(Decimal, fine))
    (step,) = [s for s in rec.trace if s.step == "version"]
    assert words in step.effect and "第20条" not in step.effect and "第二十条" in step.citation


def test_a_benchmark_change_without_its_transition_rule_is_refused() -> None:
    with pytest.raises(RulesetLoadError) as e:
        _lib(later=LATER.replace("transition: decision_date ", "# no rule "))
    assert "transition" in str(e.value)


# ---------------------------------------------------------------- boundaries per amount


@pytest.mark.parametrize(
    "bounds, expect",
    [
        ("[]", ("10000", "30000")),
        ("[)", ("10000", "29999.99")),
        ("(]", ("10000.01", "30000")),
        ("()", ("10000.01", "29999.99")),
    ],
)
def test_tier_amounts_follow_their_own_boundary_words(bounds, expect) -> None:
    """以上、以下 含本数; 不满 excludes the upper amount, 超过 the lower (one table often mixes both)."""
    text = TEXT.replace(
        "{direction: lenient, fine: {range: [10000, 30000]}}",
        f'{{direction: lenient, fine: {{range: [10000, 30000], bounds: "{bounds}"}}}}',
    )
    rec = _eval(_lib(text), "DEMO-BANDS", {"cooperated": True})
    assert (rec.fine.min, rec.fine.max) == tuple(map(Decimal, expect))


def test_placement_boundaries_apply_to_ranges_without_their_own() -> None:
    text = TEXT.replace("  mitigated_floor: 1000\n", "  mitigated_floor: 1000\n  boundaries: lower_inclusive\n")
    rec = _eval(_lib(text), "DEMO-BANDS", {"repeat": True})
    assert (rec.fine.min, rec.fine.max) == (Decimal(70000), Decimal("99999.99"))


# ---------------------------------------------------------------- sweep keys


def test_sweep_keys_tell_an_unknown_gain_from_no_gain_and_cite_the_displacing_provision() -> None:
    from discretion.consistency.keys import item_keys, rules_of

    lib = _lib()
    gain = lib.compiled["demo/2024"].items["DEMO-GAIN"]
    facts = [
        {"illegal_gain": None, "no_fault_proven": False},
        {"illegal_gain": Decimal(0), "no_fault_proven": False},
        {"illegal_gain": None, "no_fault_proven": False},
    ]
    keys = item_keys(gain, facts)
    assert len(keys.matched) == 2 and list(keys.key_of_case) == [0, 1, 0]
    special = lib.compiled["demo/2024"].items["DEMO-SPECIAL"]
    (key,) = item_keys(special, [{"no_fault_proven": True, "source_explained": False}]).matched
    rules = {r["rule"]: r["citation"] for r in rules_of(special, key)}
    assert "第一百三十六条" in rules["list:DEMO-L-NOFAULT"]


# ---------------------------------------------------------------- diff sentences


def test_diff_says_each_construct_change_in_words() -> None:
    from discretion.audit.diff import diff

    later = (
        LATER.replace(
            "{direction: general, fine: {range: [40000, 60000]}}",
            '{direction: general, fine: {range: [40000, 60000], bounds: "[)"}}',
        )
        .replace("fine: {range: [0, 5000], may: true}", "fine: {range: [0, 5000]}")
        .replace("reduce: [0.3, 0.5]", "reduce: [0.2, 0.5]")
        .replace('when: "days >= 30", weight: 0.3', 'when: "days >= 30", weight: 0.4')
        .replace(
            "    displaces:\n      - entry: DEMO-L-NOFAULT\n"
            "        basis: [{law: 中华人民共和国食品安全法, article: 136}]\n",
            "",
        )
    )
    lib = _lib(later=later)
    texts = " | ".join(c.text for c in diff(lib.compiled["demo/2024"], lib.compiled["demo/2025"]).changes)
    for words in (
        "仅裁量基准变化",
        "分栏金额",
        "改为应当处以",
        "减少20%至50%",
        "30% → days >= 30，40%",
        "恢复适用",
    ):
        assert words in texts, (words, texts)

"""verify(): gaps and overlaps of clauses and tiers over fact space, tier amounts beyond the statute."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from discretion import EvaluationRequest, RulesetDefect, RulesetLibrary, evaluate
from discretion.audit import verify
from discretion.cli import app

from .conftest import FIXTURES
from .test_evaluation import DEPT, ITEM_GAIN

COMMON = {"shape": "tiers", "conflict": "offset", "overlap": "defect", "floor": 0, "tier_up": "false"}


def _library(make_library, items: str) -> RulesetLibrary:
    return make_library(demo__2024=DEPT.format(version="2024", start="2024-01-01", items=items, **COMMON))


def test_a_sound_ruleset_has_no_problems_and_every_cell_is_examined(make_library) -> None:
    report = verify(_library(make_library, ITEM_GAIN), department="demo")
    assert report.ok, report.problems
    assert {c.item for c in report.coverage} == {"X-GAIN", "X-EX", "X-W"}
    assert all(c.exhaustive and c.cells > 0 for c in report.coverage)


def test_fixture_rulesets_verify_clean() -> None:
    assert verify(RulesetLibrary.load(FIXTURES), department="food").ok


@pytest.mark.parametrize(
    "tiers, expect",
    [
        (
            """      - {id: low, label: 较轻, when: "harm == 'none'", fine: {share: [0, 0.5]}}
      - {id: high, label: 较重, when: "harm in ['general', 'serious']", fine: {share: [0.5, 1]}}""",
            "got none",
        ),
        (
            """      - {id: low, label: 较轻, when: "harm in ['none', 'minor', 'general']", fine: {share: [0, 0.5]}}
      - {id: high, label: 较重, when: "harm in ['general', 'serious']", fine: {share: [0.5, 1]}}""",
            "got low, high",
        ),
    ],
)
def test_a_gap_or_overlap_between_tiers_is_reported_with_a_case_the_evaluator_refuses(
    make_library, tiers, expect
) -> None:
    items = ITEM_GAIN.replace(ITEM_GAIN.split("    tiers:\n")[1].split("  - code: X-EX")[0], tiers + "\n")
    lib = _library(make_library, items)
    report = verify(lib, department="demo")
    [problem] = [p for p in report.problems if p.item == "X-GAIN"]
    assert problem.check == "coverage" and expect in problem.message
    with pytest.raises(RulesetDefect):  # the example is a real case the evaluator refuses
        evaluate(
            lib,
            EvaluationRequest(
                department="demo",
                item="X-GAIN",
                facts=problem.example,
                act_date=dt.date(2024, 6, 1),
                decision_date=dt.date(2024, 7, 1),
            ),
        )


def test_a_gap_the_lists_settle_first_is_not_a_gap(make_library) -> None:
    """Cells a mandatory exemption decides never reach the tiers, so tiers need not cover them."""
    items = ITEM_GAIN.replace(
        "    shape: range\n",
        '    shape: tiers\n    tiers:\n      - {id: only, label: 唯一, when: "not remote", fine: {share: [0, 1]}}\n',
    )
    report = verify(_library(make_library, items), department="demo")
    assert [p for p in report.problems if p.item == "X-EX"] == []


def test_tier_amounts_beyond_the_statutory_range_are_reported(make_library) -> None:
    items = ITEM_GAIN.replace("fine: {share: [0.5, 1]}", "fine: {range: [400000, 900000]}")
    report = verify(_library(make_library, items), department="demo")
    assert any(
        p.check == "tier_range" and "'high'" in p.message and "100000–500000" in p.message for p in report.problems
    ), report.problems


def test_bundled_rulesets_have_only_the_documented_gap() -> None:
    """cgzf CG-PS-50-2 encodes 新密's table as published: it leaves 无危害后果且限期整改完毕 uncovered and
    puts 拒不整改 at 5万–50万 beyond the statute (both noted in the file). gdsthj GD-WAT-83-2 encodes
    粤环发〔2021〕7号 附件1 §2.7.1 as published: its 裁量起点 7% × 100万 = 7万 is below 水污染防治法第八十三条's
    10万 (noted in the file); dgsthj DG-WAT-83-2 is the same table applied in 东莞 (粤环发〔2021〕7号 第二条)."""
    report = verify(RulesetLibrary.load())
    assert {(p.ruleset, p.item, p.check) for p in report.problems} == {
        ("cgzf/2023", "CG-PS-50-2", "coverage"),
        ("cgzf/2023", "CG-PS-50-2", "tier_range"),
        ("gdsthj/2022", "GD-WAT-83-2", "weighted_range"),
        ("dgsthj/2022", "DG-WAT-83-2", "weighted_range"),
    }


def test_cli_verify_exit_codes(tmp_path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["verify", "--rulesets", str(FIXTURES), "--department", "food"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["verify", "--department", "cgzf", "--json"])
    assert bad.exit_code == 2
    assert '"CG-PS-50-2"' in bad.output
    unknown = runner.invoke(app, ["verify", "--department", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.output


def test_required_facts_that_decide_nothing_do_not_hide_a_gap(make_library) -> None:
    """Every cell needs the required facts to validate; if they were left out, no cell would be checked."""
    items = ITEM_GAIN.replace(
        "    tiers:\n      - {id: low, label: 较轻, when: \"harm in ['none', 'minor']\"",
        "    facts:\n      area: {type: money, label: 面积}\n"
        "    tiers:\n      - {id: low, label: 较轻, when: \"harm in ['none']\"",
    )
    assert items != ITEM_GAIN
    report = verify(_library(make_library, items), department="demo")
    assert any(p.item == "X-GAIN" and p.check == "coverage" and "got none" in p.message for p in report.problems)


# ------------------------------------------- 可以并处 / 可以处: every discretionary penalty an option

#: 价格法第四十二条 shape: 责令改正，没收违法所得，可以并处…罚款; and 广告法 shape: …，可以吊销营业执照
ITEM_MAY = """
  - code: X-MAY
    name: 可以并处
    legal_basis: [{{law: 测试法, article: 7}}]
    penalty_basis:
      - law: 测试法
        article: 8
        text: 违反本法规定的，责令改正，没收违法所得，可以并处五千元以下的罚款；情节严重的，可以吊销营业执照。
    statutory:
      - id: base
        fine: {fine}
        measures: [order_correction, confiscate_illegal_gain{measure}]
    shape: range
"""


def _may_problems(make_library, fine: str, measure: str) -> list[str]:
    items = ITEM_GAIN + ITEM_MAY.format(fine=fine, measure=measure)
    report = verify(_library(make_library, items), department="demo")
    return [p.message for p in report.problems if p.item == "X-MAY" and p.check == "discretionary"]


def test_every_discretionary_penalty_the_statute_allows_as_an_option_verifies_clean(make_library) -> None:
    assert (
        _may_problems(make_library, "{range: [0, 5000], may: true}", ", {code: revoke_business_licence, may: true}")
        == []
    )


def test_a_discretionary_fine_imposed_as_mandatory_is_reported(make_library) -> None:
    [message] = _may_problems(make_library, "{range: [0, 5000]}", ", {code: revoke_business_licence, may: true}")
    assert "可以并处五千元以下的罚款" in message and "imposes it" in message


def test_a_discretionary_measure_dropped_is_reported(make_library) -> None:
    [message] = _may_problems(make_library, "{range: [0, 5000], may: true}", "")
    assert "可以吊销营业执照" in message and "offers no such measure" in message


def test_a_discretionary_measure_taken_without_may_is_reported(make_library) -> None:
    [message] = _may_problems(make_library, "{range: [0, 5000], may: true}", ", revoke_business_licence")
    assert "可以吊销营业执照" in message and "imposes revoke_business_licence" in message


def test_a_measure_with_the_same_verb_but_other_things_does_not_count(make_library) -> None:
    """没收违法所得 is not 可以没收用于违法生产经营的工具: the things named must match too."""
    items = ITEM_GAIN + ITEM_MAY.format(fine="{range: [0, 5000], may: true}", measure="").replace(
        "可以吊销营业执照", "可以没收用于违法生产经营的工具、设备"
    )
    report = verify(_library(make_library, items), department="demo")
    [problem] = [p for p in report.problems if p.item == "X-MAY"]
    assert "工具、设备" in problem.message and "offers no such measure" in problem.message


def test_a_published_tier_table_decides_when_the_fine_is_imposed(make_library) -> None:
    """A benchmark's rows, each citing its text (轻微：不罚款；一般：处…罚款), narrow the 可以 of the statute."""
    tiers = """    shape: tiers
    tiers:
      - {id: low, label: 轻微, when: "harm in ['none', 'minor']", fine: {range: [0, 0]}, basis: [{law: 基准, text: 轻}]}
      - {id: high, label: 一般, when: "harm in ['general', 'serious']", fine: {range: [0, 5000]}, basis: [{law: 基准}]}
"""
    items = ITEM_GAIN + ITEM_MAY.format(
        fine="{range: [0, 5000]}", measure=", {code: revoke_business_licence, may: true}"
    )
    report = verify(_library(make_library, items.replace("    shape: range\n", tiers)), department="demo")
    assert [p for p in report.problems if p.item == "X-MAY"] == []
    uncited = verify(
        _library(
            make_library,
            items.replace("    shape: range\n", tiers.replace(", basis: [{law: 基准, text: 轻}]", "")),
        ),
        department="demo",
    )
    assert [p.check for p in uncited.problems if p.item == "X-MAY"] == ["discretionary"]


def test_the_bundled_discretionary_penalties_are_options() -> None:
    """价格法第四十二条 (SC-PRICE-13-1), 食品安全法第一百二十四条 (并可以没收工具、设备、原料), 广告法第五十五条
    (可以吊销营业执照), 环境影响评价法第三十一条 (并可以责令恢复原状): each is an option in every version."""
    lib = RulesetLibrary.load()
    for ref in ("scjg/2021", "scjg/2025"):
        items = lib.compiled[ref].items
        assert items["SC-PRICE-13-1"].item.statutory[0].fine.may
        [food] = items["SC-FOOD-124-1-1"].item.statutory
        assert any(m.code == "confiscate_tools_materials" and m.may for m in food.measures)
        serious = next(c for c in items["SC-AD-55-1"].item.statutory if c.id == "serious")
        assert any(m.code == "revoke_business_licence" and m.may for m in serious.measures)
    [eia] = lib.compiled["sthj/2023"].items["ST-EIA-31-1"].item.statutory
    assert any(m.code == "restore" and m.may for m in eia.measures)


def test_cgzf_ps_50_2_the_statutes_may_fine_is_decided_by_the_published_rows() -> None:
    """城镇排水与污水处理条例第五十条第二款 says 可以处5万元以下罚款; 新密市's published rows decide it (轻微：
    责令…限期改正, no fine; 一般：处5万元以下罚款), each tier citing its row — so the clause is not an option.
    Without a tier's cited row, verify reports the 可以 (a `discretionary` finding)."""
    lib = RulesetLibrary.load()
    ci = lib.compiled["cgzf/2023"].items["CG-PS-50-2"]
    item = ci.item
    assert "可以处5万元以下罚款" in item.penalty_basis[0].text
    ordinary = next(c for c in item.statutory if c.id == "ordinary")
    assert ordinary.fine is not None and not ordinary.fine.may
    assert all(t.basis and "新密市" in t.basis[0].law for t in item.tiers)
    minor = next(t for t in item.tiers if t.id == "minor")
    assert minor.fine is not None and (minor.fine.range[0], minor.fine.range[1]) == (0, 0)
    from discretion.audit.checks import discretionary_penalties

    crs = lib.compiled["cgzf/2023"]
    assert list(discretionary_penalties(crs, ci)) == []
    general = next(t for t in item.tiers if t.id == "general")
    saved = general.basis
    try:
        object.__setattr__(general, "basis", [])
        [finding] = list(discretionary_penalties(crs, ci))
        assert finding.check == "discretionary" and "可以处5万元以下罚款" in finding.message
    finally:
        object.__setattr__(general, "basis", saved)

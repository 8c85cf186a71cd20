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
    puts 拒不整改 at 5万–50万 beyond the statute (both noted in the file)."""
    report = verify(RulesetLibrary.load())
    assert {(p.ruleset, p.item, p.check) for p in report.problems} == {
        ("cgzf/2023", "CG-PS-50-2", "coverage"),
        ("cgzf/2023", "CG-PS-50-2", "tier_range"),
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

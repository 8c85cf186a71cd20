"""diff() says what changed between versions in words; impact() replays decided cases on both."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from discretion import RulesetLibrary
from discretion.audit import diff, impact
from discretion.cli import app
from discretion.cases.reading import read_cases

from . import libraries
from .test_evaluation import DEPT, ITEM_GAIN

COMMON = {"shape": "tiers", "conflict": "offset", "overlap": "defect", "floor": 0, "tier_up": "false"}
BUNDLED = libraries.bundled()


def _two(make_library, new_items: str, **new_common) -> RulesetLibrary:
    return make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **COMMON),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=new_items, **{**COMMON, **new_common}),
    )


def test_a_version_compared_with_itself_has_no_changes() -> None:
    for dept in BUNDLED.departments():
        for crs in BUNDLED.versions(dept):
            assert diff(crs, crs).changes == []


def test_the_real_change_of_unlicensed_business_is_said_in_words() -> None:
    """scjg 2021 → 2022: 无证无照经营查处办法第十三条 gave way to 市场主体登记管理条例第四十三条."""
    report = diff(BUNDLED.version("scjg", "2021"), BUNDLED.version("scjg", "2022"))
    texts = [c.text for c in report.changes if "SC-REG-43-1" in c.items]
    assert any(
        "《无证无照经营查处办法》第十三条 → 《中华人民共和国市场主体登记管理条例》第四十三条" in t for t in texts
    )
    assert any(t.startswith("新增法定条款「情节严重」") and "100,000元至500,000元" in t for t in texts)
    assert report.old_hash != report.new_hash


def test_tier_amounts_conditions_placement_and_items(make_library) -> None:
    new = (
        ITEM_GAIN.replace("fine: {share: [0.5, 1]}", "fine: {share: [0.6, 1]}")
        .replace(
            "harm in ['general', 'serious']\", fine: {share: [0.6",
            "harm == 'serious' or harm == 'general'\", fine: {share: [0.6",
        )
        .split("  - code: X-W")[0]
    )
    lib = _two(make_library, new, conflict="officer")
    report = diff(lib.version("demo", "2024"), lib.version("demo", "2025"))
    texts = {c.text: c.items for c in report.changes}
    assert texts["裁量阶次罚款「较重」：法定幅度的50%至100% → 法定幅度的60%至100%"] == ["X-GAIN"]
    assert any(t.startswith("裁量阶次条件「较重」") for t in texts)
    assert texts["裁量规则「从轻从重并存时」：offset → officer"] == []
    assert any(t.startswith("删除事项「权重累加」") for t in texts)


def test_an_inherited_change_is_said_once_for_all_the_items_it_touches() -> None:
    report = diff(BUNDLED.version("scjg", "2022"), BUNDLED.version("scjg", "2022-10"))
    texts = [c.text for c in report.changes]
    assert len(texts) == len(set(texts))
    assert max(len(c.items) for c in report.changes) > 1


def test_impact_lists_exactly_the_cases_whose_recommendation_changes(make_library, tmp_path) -> None:
    heavier = ITEM_GAIN.replace("times: [1, 3]", "times: [2, 5]")
    lib = _two(make_library, heavier)
    rows = [
        {"case_id": "A", "facts": {"gain": "10000", "harm": "general"}},  # multiple of the gain: changes
        {"case_id": "B", "facts": {"gain": "500", "harm": "general"}},  # the fallback range: unchanged
        {"case_id": "C", "facts": {"gain": "10000", "harm": "general", "serious": True}},  # fixed clause: unchanged
        {"case_id": "D", "facts": {"gain": "-1", "harm": "general"}},  # refused by both
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    **r,
                    "department": "demo",
                    "item": "X-GAIN",
                    "act_date": "2025-02-01",
                    "decision_date": "2025-03-01",
                    "unit": "u",
                    "officer": "o",
                    "outcome": "penalty",
                    "fine": "1000",
                    "penalties": ["fine"],
                }
            )
            + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    report = impact(lib.version("demo", "2024"), lib.version("demo", "2025"), read_cases(path))
    assert report.cases == 4 and report.replayed == 3 and report.unchanged == 2
    assert [(r.case_id, r.kind) for r in report.changed] == [("A", "fine"), ("D", "not_replayed")]
    # 1–3 times 10,000 → tier 较重 (upper half) → 一般 (30–70%): 23,000–27,000; at 2–5 times: 39,500–45,500
    assert report.changed[0].old == "给予行政处罚，罚款23,000元至27,000元（建议25,000元）"
    assert report.changed[0].new == "给予行政处罚，罚款39,500元至45,500元（建议42,500元）"
    assert "money cannot be negative" in report.changed[1].old


def test_cli_diff_and_impact(tmp_path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["diff", "--department", "scjg", "2022-10", "2025"])
    assert r.exit_code == 0 and "SC-AUC-VP-1" in r.output and "第二十五条第一款" in r.output
    bad = runner.invoke(app, ["diff", "--department", "scjg", "2022-10", "2099"])
    assert bad.exit_code == 2 and "2099" in bad.output
    cases = tmp_path / "c.jsonl"
    synth = runner.invoke(
        app, ["synth", "--cases", "400", "--seed", "2", "--inconsistent-groups", "1", "--out", str(cases)]
    )
    assert synth.exit_code == 0, synth.output
    r = runner.invoke(app, ["impact", "--department", "scjg", "2022-10", "2025", "--cases", str(cases), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["cases"] >= body["replayed"] >= body["unchanged"] and body["new"] == "2025"
    assert body["cases"] == body["replayed"] + sum(body["item_missing"].values()) + sum(
        c["kind"] == "not_replayed" for c in body["changed"]
    )
    neither = runner.invoke(app, ["impact", "--department", "scjg", "2022-10", "2025"])
    assert neither.exit_code == 2 and "--cases or --db" in neither.output


def test_impact_counts_cases_of_an_item_only_one_version_has(tmp_path) -> None:
    """scjg 2021 has no 市场主体登记管理条例 items: their cases are counted, not listed one by one."""
    from discretion.consistency.synth import generate, write

    cases, injected = generate(BUNDLED, 600, 5, 0)
    path = tmp_path / "c.jsonl"
    write(cases, injected, path)
    report = impact(BUNDLED.version("scjg", "2021"), BUNDLED.version("scjg", "2022"), read_cases(path))
    assert report.item_missing and all(
        code not in BUNDLED.version("scjg", "2021").items for code in report.item_missing
    )
    assert not any(r.item in report.item_missing for r in report.changed)

"""The CLI contract: exit 0 / 2 (bad input, one line naming the field) / 1, never a traceback."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from discretion.cli import app

from .conftest import FIXTURES

runner = CliRunner()
BASE = [
    "evaluate",
    "--rulesets",
    str(FIXTURES),
    "--department",
    "food",
    "--item",
    "F-124",
    "--act-date",
    "2024-05-01",
    "--decision-date",
    "2024-06-01",
]


def test_evaluate_json_has_the_contract_fields() -> None:
    r = runner.invoke(app, [*BASE, "--facts", '{"goods_value": 8000, "harm": "minor"}', "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["outcome"] == "penalty"
    assert {"min", "max", "suggested"} <= set(out["fine"])
    assert {"department", "version", "hash"} <= set(out["ruleset"])
    assert isinstance(out["measures"], list) and isinstance(out["options"], list)
    assert all({"rule", "effect", "citation"} <= set(s) for s in out["trace"])


def test_evaluate_json_is_byte_identical() -> None:
    args = [*BASE, "--facts", '{"goods_value": 12000.5, "harm": "general", "eliminated_harm": true}', "--json"]
    assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


def test_evaluate_text_cites_in_full() -> None:
    r = runner.invoke(app, [*BASE, "--facts", '{"goods_value": 8000, "harm": "minor"}'])
    assert r.exit_code == 0
    assert "《中华人民共和国食品安全法》第一百二十四条第一款" in r.stdout
    assert "《中华人民共和国行政处罚法》第三十七条" in r.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--facts", '{"goods_value": 8000}'], "facts.harm"),
        (["--facts", '{"goods_value": -5, "harm": "minor"}'], "facts.goods_value"),
        (["--facts", '{"goods_value": 8000, "harm": "minor", "x": 1}'], "facts.x"),
        (["--facts", '{"goods_value": 8000, "harm": "minor"'], "--facts: invalid JSON"),
        (["--facts", "[1, 2]"], "--facts"),
        (["--facts", "no-such-file.json"], "--facts"),
    ],
)
def test_bad_facts_exit_2_with_one_line(args: list[str], words: str) -> None:
    r = runner.invoke(app, [*BASE, *args])
    assert r.exit_code == 2
    assert words in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "swap, words",
    [
        (("--department", "nope"), "department"),
        (("--item", "F-999"), "item"),
        (("--act-date", "2020-01-01"), "act_date"),
        (("--act-date", "2024-07-01"), "act_date"),
        (("--act-date", "2024-13-01"), "--act-date"),
    ],
)
def test_bad_request_exit_2(swap: tuple[str, str], words: str) -> None:
    args = list(BASE)
    args[args.index(swap[0]) + 1] = swap[1]
    r = runner.invoke(app, [*args, "--facts", '{"goods_value": 8000, "harm": "minor"}'])
    assert r.exit_code == 2, r.output
    assert words in r.stderr and "Traceback" not in r.output


def test_validate_reports_file_path_line_and_position(tmp_path) -> None:
    bad = tmp_path / "x"
    bad.mkdir()
    (bad / "1.yaml").write_text(
        "department: x\ndepartment_name: X\nversion: '1'\neffective_from: 2024-01-01\nsource: [s]\n"
        "facts: {a: {type: money, label: A}}\nitems:\n  - code: I\n    name: n\n"
        "    legal_basis: [{law: L, article: 1}]\n    penalty_basis: [{law: L, article: 2}]\n"
        "    statutory: {fine: {range: [0, 10]}}\n    shape: range\n"
        "lists:\n  - {id: E, list: lenient, label: l, mandatory: true, applies_to: ['*'], "
        "when: \"__import__('os').system('id')\", basis: {law: L}}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["validate", str(bad / "1.yaml")])
    assert r.exit_code == 2
    assert "1.yaml" in r.stderr and "lists[0].when" in r.stderr and "line 15" in r.stderr and "column 1" in r.stderr


def test_validate_unknown_key(tmp_path) -> None:
    d = tmp_path / "x"
    d.mkdir()
    (d / "1.yaml").write_text(
        "department: x\ndepartment_name: X\nversion: '1'\neffective_from: 2024-01-01\nsource: [s]\ncolour: red\n"
    )
    r = runner.invoke(app, ["validate", str(d / "1.yaml")])
    assert r.exit_code == 2 and "colour" in r.stderr and "unknown key" in r.stderr and "line 6" in r.stderr


def test_validate_malformed_yaml(tmp_path) -> None:
    d = tmp_path / "x"
    d.mkdir()
    (d / "1.yaml").write_text("department: [x\n")
    r = runner.invoke(app, ["validate", str(d / "1.yaml")])
    assert r.exit_code == 2 and "malformed YAML" in r.stderr


def test_validate_bundled_rulesets_pass() -> None:
    from discretion.loader import BUNDLED

    r = runner.invoke(app, ["validate", str(BUNDLED)])
    assert r.exit_code == 0, r.output


def test_rulesets_lists_versions_and_items() -> None:
    r = runner.invoke(app, ["rulesets", "--rulesets", str(FIXTURES), "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out[0]["department"] == "food" and out[0]["items"][0]["code"] == "F-124"
    assert runner.invoke(app, ["rulesets", "--rulesets", str(FIXTURES), "--department", "nope"]).exit_code == 2


def test_keys_create_list_revoke(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISCRETION_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    made = runner.invoke(app, ["keys", "create", "--role", "officer", "--label", "乙"])
    assert made.exit_code == 0, made.output
    key_id = made.output.strip().split("_")[1]
    assert runner.invoke(app, ["keys", "create", "--role", "chief"]).exit_code == 2
    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0 and key_id in listed.output and "live" in listed.output
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"]).output
    missing = runner.invoke(app, ["keys", "revoke", "nope"])
    assert missing.exit_code == 2 and "nope" in missing.output

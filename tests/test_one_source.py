"""One source of truth: after a publish, the CLI against the store and the API answer a case with the same
bytes; without a database the CLI says it used the bundled files; export writes what the store publishes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from discretion.cli import app

from .conftest import FIXTURES
from .test_api import h
from .test_store import FOOD

runner = CliRunner()

# a new version with a lighter 从轻 tier for small goods values (so the two versions answer differently)
FOOD_2025 = (
    FOOD.replace('version: "2024"', 'version: "2025"')
    .replace("effective_from: 2024-01-01", "effective_from: 2025-01-01")
    .replace("fine: {range: [50000, 65000]}", "fine: {range: [50000, 60000]}")
)
CASE = {
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2025-03-01",
    "decision_date": "2025-04-01",
}
ARGS = [
    "evaluate",
    "--department",
    "food",
    "--item",
    "F-124",
    "--facts",
    json.dumps(CASE["facts"]),
    "--act-date",
    CASE["act_date"],
    "--decision-date",
    CASE["decision_date"],
    "--json",
]


def _publish(api) -> None:
    yaml = {**h(api, "alice"), "Content-Type": "application/yaml"}
    assert api.post("/v1/rulesets/food", content=FOOD_2025.encode(), headers=yaml).status_code == 201
    assert api.post("/v1/rulesets/food/2025/approve", headers=h(api, "bob")).status_code == 200
    assert api.post("/v1/rulesets/food/2025/publish", headers=h(api, "bob")).status_code == 200


def test_after_a_publish_cli_and_api_give_byte_identical_json(api, db_url: str, tmp_path) -> None:
    _publish(api)
    served = api.post("/v1/evaluate", json=CASE, headers=h(api, "officer"))
    assert served.status_code == 200 and served.json()["ruleset"]["version"] == "2025"
    by_flag = runner.invoke(app, [*ARGS, "--db", db_url])
    assert by_flag.exit_code == 0, by_flag.output
    assert by_flag.stdout.rstrip("\n").encode() == served.content
    assert "数据库中已发布的版本" in by_flag.stderr
    by_env = runner.invoke(app, ARGS, env={"DISCRETION_DATABASE_URL": db_url})
    assert by_env.stdout == by_flag.stdout
    # the fixture files alone do not know 2025: the answer differs, and the CLI says where its rules came from
    files = runner.invoke(app, [*ARGS, "--rulesets", str(FIXTURES)])
    assert json.loads(files.stdout)["ruleset"]["version"] == "2024" and "规则集文件" in files.stderr
    # export: the published documents as files give the same answer again
    out = tmp_path / "export"
    exported = runner.invoke(app, ["rulesets", "export", "--db", db_url, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert (out / "food" / "2025.yaml").read_text(encoding="utf-8") == FOOD_2025
    again = runner.invoke(app, [*ARGS, "--rulesets", str(out)])
    assert again.stdout == by_flag.stdout


def test_without_a_database_the_cli_says_it_used_the_bundled_files() -> None:
    r = runner.invoke(
        app,
        [
            "evaluate",
            "--department",
            "scjg",
            "--item",
            "SC-FOOD-124-1-1",
            "--facts",
            '{"goods_value": 8000, "harm": "minor"}',
            "--act-date",
            "2024-03-01",
            "--decision-date",
            "2024-05-10",
            "--json",
        ],
        env={"DISCRETION_DATABASE_URL": None},
    )
    assert r.exit_code == 0, r.output
    assert "内置规则集文件" in r.stderr and json.loads(r.stdout)["ruleset"]["department"] == "scjg"


def test_a_database_without_published_rules_is_a_clear_error(tmp_path) -> None:
    r = runner.invoke(app, [*ARGS, "--db", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert r.exit_code == 2 and r.stderr.startswith("error: --db:") and len(r.stderr.splitlines()) == 1
    r = runner.invoke(app, ["rulesets", "export", "--out", str(tmp_path)], env={"DISCRETION_DATABASE_URL": None})
    assert r.exit_code == 2 and "--db" in r.stderr

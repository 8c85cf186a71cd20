"""Configuration: one pydantic-settings object read from DISCRETION_* variables, bad values
named."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.app import create_app
from discretion.cli import app as cli
from discretion.settings import Settings, SettingsError, load_settings
from discretion.store import database_url, make_engine, migrate


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "MAX_BODY", "KEY_CACHE_SECONDS", "LIBRARY_TTL_SECONDS", "WORKERS"):
        monkeypatch.delenv(f"DISCRETION_{name}", raising=False)
    s = load_settings()
    assert (s.database_url, s.max_body, s.key_cache_seconds, s.library_ttl_seconds, s.workers) == (
        "sqlite:///discretion.db",
        20 * 1024 * 1024,
        30.0,
        1.0,
        1,
    )


def test_every_setting_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("DISCRETION_DATABASE_URL", url)
    monkeypatch.setenv("DISCRETION_MAX_BODY", "1234")
    monkeypatch.setenv("DISCRETION_KEY_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("DISCRETION_LIBRARY_TTL_SECONDS", "0")
    monkeypatch.setenv("DISCRETION_WORKERS", "3")
    assert load_settings() == Settings(
        database_url=url, max_body=1234, key_cache_seconds=2.5, library_ttl_seconds=0, workers=3
    )
    assert database_url() == url
    migrate(make_engine(url))  # create_app is given a migrated database (`discretion serve` migrates)
    app = create_app()
    assert app.state.settings.max_body == 1234 and app.state.library.ttl == 0
    assert str(app.state.engine.url) == url
    app.state.engine.dispose()


@pytest.mark.parametrize(
    "name, value",
    [
        ("MAX_BODY", "abc"),
        ("MAX_BODY", "0"),
        ("WORKERS", "0"),
        ("WORKERS", "65"),
        ("KEY_CACHE_SECONDS", "-1"),
        ("DATABASE_URL", ""),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"DISCRETION_{name}", value)
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert e.value.field == f"DISCRETION_{name}"


def test_the_cli_exits_2_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCRETION_DATABASE_URL", "")
    r = CliRunner().invoke(cli, ["keys", "list"])
    assert r.exit_code == 2, r.output
    assert "DISCRETION_DATABASE_URL" in r.output and "Traceback" not in r.output


def test_the_body_limit_setting_is_what_the_app_enforces(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    migrate(engine)
    from fastapi.testclient import TestClient

    client = TestClient(create_app(engine, Settings(max_body=100)))
    r = client.post("/v1/evaluate", content=b"x" * 101, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"][0]["loc"] == ["body"]
    assert (
        client.post("/v1/evaluate", content=b"x" * 100, headers={"Content-Type": "application/json"}).status_code != 413
    )
    engine.dispose()

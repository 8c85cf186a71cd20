"""Named users in the store and on the command line: argon2 hashes, lock-out, disable, admin."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session
from typer.testing import CliRunner

from discretion.cli import app
from discretion.cli_users import ensure_first_admin
from discretion.store.keys import create_key
from discretion.store.tables import User
from discretion.store.users import LOCK_AFTER, LOCK_MINUTES, actor_name, create_user, sign_in

runner = CliRunner()


def test_passwords_are_stored_as_argon2_hashes_only(engine, production_hashing) -> None:
    """With the service's own hasher (the other tests use argon2id's cheapest parameters: tests/conftest.py)."""
    with Session(engine) as s:
        create_user(s, "li", "李明", "officer", None, "a-long-password")
        s.commit()
        u = s.get(User, "li")
        assert u.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert "a-long-password" not in u.password_hash
        assert sign_in(s, "li", "a-long-password").user is not None
        assert sign_in(s, "LI ", "a-long-password").user is not None  # names are lower case, trimmed
        assert sign_in(s, "li", "a-long-passworD").user is None
        assert sign_in(s, "nobody", "a-long-password").reason == "wrong"


def test_the_lock_lasts_its_minutes_then_the_right_password_works(engine) -> None:
    now = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    with Session(engine) as s:
        create_user(s, "li", "李明", "officer", None, "a-long-password")
        s.commit()
        results = [sign_in(s, "li", "wrong", now=now) for _ in range(LOCK_AFTER)]
        assert [r.reason for r in results] == ["wrong"] * (LOCK_AFTER - 1) + ["locked"]
        assert [r.delay for r in results[:-1]] == sorted(r.delay for r in results[:-1]) and results[0].delay > 0
        later = now + dt.timedelta(minutes=LOCK_MINUTES - 1)
        assert sign_in(s, "li", "a-long-password", now=later).reason == "locked"
        after = now + dt.timedelta(minutes=LOCK_MINUTES + 1)
        assert sign_in(s, "li", "a-long-password", now=after).user is not None


def test_first_start_makes_one_admin_user(engine) -> None:
    with Session(engine) as s:
        password = ensure_first_admin(s)
        s.commit()
        assert password and sign_in(s, "admin", password).user.role == "admin"
        assert ensure_first_admin(s) is None


def test_old_keys_keep_working_and_are_named_by_id(engine) -> None:
    with Session(engine) as s:
        key, _ = create_key(s, "officer", None)
        s.commit()
        assert key.user_name is None and actor_name(key) == key.id


def test_cli_create_list_disable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DISCRETION_DATABASE_URL", f"sqlite:///{tmp_path / 'u.db'}")
    made = runner.invoke(app, ["users", "create", "li", "--display-name", "李明", "--role", "officer"])
    assert made.exit_code == 0 and "shown once" in made.output, made.output
    assert runner.invoke(app, ["users", "create", "li", "--display-name", "x", "--role", "officer"]).exit_code == 2
    assert (
        runner.invoke(app, ["users", "create", "Bad Name", "--display-name", "x", "--role", "officer"]).exit_code == 2
    )
    assert runner.invoke(app, ["users", "create", "x", "--display-name", "x", "--role", "chief"]).exit_code == 2
    r = runner.invoke(
        app,
        [
            "users",
            "create",
            "wang",
            "--display-name",
            "王芳",
            "--role",
            "reviewer",
            "--password-stdin",
        ],
        input="wang-password-1\n",
    )
    assert r.exit_code == 0 and "wang-password-1" not in r.output
    listed = runner.invoke(app, ["users", "list"])
    assert "李明" in listed.output and "active" in listed.output
    assert runner.invoke(app, ["users", "disable", "li"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list"]).output
    assert runner.invoke(app, ["users", "disable", "nobody"]).exit_code == 2

"""Issue 10, parts 3, 4 and 6 on SQLite and PostgreSQL: publishing serialised per department with a
database constraint, withdrawal, one department's bad state never stopping another, append-only
triggers that cover every way round them, and the audit log's hash chain."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select
from typer.testing import CliRunner

from discretion.cli import app as cli_app
from discretion.audit.verify import approval_check
from discretion.errors import Conflict, DiscretionError, RulesetDefect
from discretion.loader import RulesetLibrary
from discretion.store import make_engine
from discretion.store.audit import head, record
from discretion.store.chain import GENESIS, verify_chain
from discretion.store.lifecycle import approve, get_version, live_texts, publish, upload_draft, withdraw
from discretion.store.tables import AuditEntry

from .test_api import CASE, h
from .test_store import FOOD, FOOD_2025, _lines

REFUSED = (DBAPIError, IntegrityError)


def _together(fn, engines, args) -> None:  # type: ignore[no-untyped-def]
    """fn(engine, arg) in one thread per engine, all at once; the engines are disposed after."""
    threads = [threading.Thread(target=fn, args=(e, a)) for e, a in zip(engines, args, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()


def _approved(engine, version: str, effective: str) -> None:  # type: ignore[no-untyped-def]
    doc = FOOD.replace('version: "2024"', f'version: "{version}"').replace(
        "effective_from: 2024-01-01", f"effective_from: {effective}"
    )
    with Session(engine) as s:
        upload_draft(s, "food", doc, "alice")
        s.commit()
        approve(s, "food", version, "bob", verifier=approval_check)
        s.commit()


# ---------------------------------------------------------------- part 4: publishing


def test_two_publishes_of_one_effective_date_at_once_leave_exactly_one_live(seeded, db_url: str) -> None:
    _approved(seeded, "2025a", "2025-01-01")
    _approved(seeded, "2025b", "2025-01-01")
    engines = [make_engine(db_url), make_engine(db_url)]  # two instances
    barrier, outcomes = threading.Barrier(2), []

    def go(engine, version: str) -> None:  # type: ignore[no-untyped-def]
        with Session(engine) as s:
            barrier.wait()
            try:
                publish(s, "food", version, "bob")
                s.commit()
                outcomes.append("published")
            except (Conflict, IntegrityError) as e:
                outcomes.append(type(e).__name__)

    _together(go, engines, ("2025a", "2025b"))
    assert sorted(outcomes) == ["Conflict", "published"], outcomes
    with Session(seeded) as s:
        RulesetLibrary.from_texts(live_texts(s))  # strict: the live set is consistent


def test_the_database_refuses_two_live_versions_on_one_day(seeded) -> None:
    _approved(seeded, "2025a", "2025-01-01")
    _approved(seeded, "2025b", "2025-01-01")
    with Session(seeded) as s:
        publish(s, "food", "2025a", "bob")
        s.commit()
    with pytest.raises(REFUSED), seeded.begin() as conn:  # around the service's check: the index holds
        conn.execute(text("UPDATE ruleset_version SET status = 'published' WHERE version = '2025b'"))


def test_one_departments_bad_state_never_stops_another(seeded) -> None:
    texts = {
        "general/2021": live_texts_of(seeded)["general/2021"],
        "food/2024": FOOD,
        "food/2024b": FOOD.replace('version: "2024"', 'version: "2024b"'),  # the same day: broken
        "fish/2024": FOOD.replace("department: food", "department: fish"),
    }
    lib = RulesetLibrary.from_texts(texts, tolerant=True)
    with pytest.raises(DiscretionError):
        RulesetLibrary.from_texts(texts)
    assert lib.departments() == ["fish"]
    with pytest.raises(RulesetDefect, match="take effect the same day"):
        lib.versions("food")
    assert lib.in_force("fish", __import__("datetime").date(2024, 5, 1)) is not None


def live_texts_of(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return live_texts(s)


def test_a_stored_version_that_no_longer_compiles_stops_only_its_department(api, seeded) -> None:
    other = FOOD.replace("department: food", "department: fish").replace("goods_value < 10000", "goods_value <")
    with Session(seeded) as s:
        from discretion.store.lifecycle import ensure_department

        ensure_department(s, "fish", "鱼")
        s.commit()
    with seeded.begin() as conn:  # as if written by an older release: it does not parse now
        conn.execute(
            text(
                "INSERT INTO ruleset_version (department, version, document, content_hash, status, "
                "effective_from, uploaded_by, uploaded_at) VALUES ('fish', '2024', :d, 'x', 'published', "
                "'2024-01-01', 'old', '2024-01-01')"
            ),
            {"d": other},
        )
    ok = api.post("/v1/evaluate", json=CASE, headers=h(api, "admin"))
    assert ok.status_code == 200, ok.text
    broken = api.post("/v1/evaluate", json={**CASE, "department": "fish"}, headers=h(api, "admin"))
    assert broken.status_code == 422 and broken.json()["detail"][0]["loc"] == ["body", "department"]


def test_an_admin_withdraws_a_published_version_and_evaluation_uses_the_others(api, seeded) -> None:
    _approved(seeded, "2025", "2025-01-01")
    assert api.post("/v1/rulesets/food/2025/publish", headers=h(api, "bob")).status_code == 200
    later = {**CASE, "act_date": "2025-02-01", "decision_date": "2025-03-01"}
    assert api.post("/v1/evaluate", json=later, headers=h(api, "officer")).json()["ruleset"]["version"] == "2025"
    assert api.post("/v1/rulesets/food/2025/withdraw", json={"reason": "x"}, headers=h(api, "bob")).status_code == 403
    assert api.post("/v1/rulesets/food/2025/withdraw", json={}, headers=h(api, "admin")).status_code == 422
    r = api.post("/v1/rulesets/food/2025/withdraw", json={"reason": "错引条款"}, headers=h(api, "admin"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["withdrawn_reason"] == "错引条款" and r.json()["withdrawn_by"]
    assert api.post("/v1/evaluate", json=later, headers=h(api, "officer")).json()["ruleset"]["version"] == "2024"
    again = api.post("/v1/rulesets/food/2025/withdraw", json={"reason": "y"}, headers=h(api, "admin"))
    assert again.status_code == 409
    listed = api.get("/v1/rulesets?department=food", headers=h(api, "officer")).json()
    assert [(v["version"], v["status"]) for v in listed] == [("2024", "superseded"), ("2025", "withdrawn")]
    with Session(seeded) as s:
        assert (
            s.exec(select(AuditEntry).where(AuditEntry.action == "ruleset.withdraw")).one().detail["reason"]
            == "错引条款"
        )


def test_withdraw_from_the_cli(seeded, db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("DISCRETION_DATABASE_URL", db_url)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["withdraw", "--department", "food", "2024", "--reason", "测试"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["withdraw", "--department", "food", "2024", "--reason", "测试"])
    assert r.exit_code == 2 and "withdrawn" in r.output
    r = runner.invoke(cli_app, ["withdraw", "--department", "food", "1999", "--reason", "测试"])
    assert r.exit_code == 2


# ---------------------------------------------------------------- part 6: append-only


def _published_id(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return get_version(s, "food", "2024").id  # type: ignore[return-value]


@pytest.mark.parametrize(
    "stmt",
    [
        "UPDATE ruleset_version SET status = 'draft' WHERE version = '2024'",
        "UPDATE ruleset_version SET status = 'approved' WHERE version = '2024'",
        "UPDATE ruleset_version SET effective_from = '2020-01-01' WHERE version = '2024'",
        "UPDATE ruleset_version SET effective_to = '2030-01-01' WHERE version = '2024'",
        "UPDATE ruleset_version SET published_by = 'mallory' WHERE version = '2024'",
        "UPDATE ruleset_version SET uploaded_by = 'mallory' WHERE version = '2024'",
        "UPDATE ruleset_version SET status = 'withdrawn' WHERE version = '2024'",  # without who and when
        "DELETE FROM ruleset_version WHERE version = '2024'",
    ],
)
def test_every_column_of_a_published_version_is_frozen(seeded, stmt: str) -> None:
    with pytest.raises(REFUSED), seeded.begin() as conn:
        conn.execute(text(stmt))
    with Session(seeded) as s:
        row = get_version(s, "food", "2024")
        assert (row.status, row.document, str(row.effective_from), row.effective_to) == (
            "published",
            FOOD,
            "2024-01-01",
            None,
        )


def test_status_only_moves_forward(seeded) -> None:
    with seeded.begin() as conn:
        conn.execute(text("UPDATE ruleset_version SET status = 'superseded' WHERE version = '2024'"))
    with pytest.raises(REFUSED), seeded.begin() as conn:
        conn.execute(text("UPDATE ruleset_version SET status = 'published' WHERE version = '2024'"))
    with Session(seeded) as s:
        withdraw(s, "food", "2024", "admin", "test")
        s.commit()
    for back in ("superseded", "published"):
        with pytest.raises(REFUSED), seeded.begin() as conn:
            conn.execute(text(f"UPDATE ruleset_version SET status = '{back}' WHERE version = '2024'"))
    with pytest.raises(REFUSED), seeded.begin() as conn:
        conn.execute(text("UPDATE ruleset_version SET withdrawn_reason = 'rewritten' WHERE version = '2024'"))


def test_truncate_is_refused(seeded) -> None:
    if seeded.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is covered by the delete triggers)")
    for table in ("audit_log", "ruleset_version"):
        with pytest.raises(REFUSED), seeded.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    with Session(seeded) as s:
        assert s.exec(select(AuditEntry)).first() is not None


def test_sqlite_replace_cannot_overwrite_an_audit_row_or_a_published_version(seeded) -> None:
    if seeded.dialect.name != "sqlite":
        pytest.skip("REPLACE INTO is SQLite's")
    pid = _published_id(seeded)
    statements = [
        "REPLACE INTO audit_log (id, at, actor, action, department, target, detail) "
        "SELECT id, at, 'mallory', action, department, target, detail FROM audit_log ORDER BY id LIMIT 1",
        "INSERT OR REPLACE INTO audit_log (id, at, actor, action, target, detail) "
        "SELECT id, at, 'mallory', 'x', '', '{}' FROM audit_log ORDER BY id LIMIT 1",
        f"REPLACE INTO ruleset_version (id, department, version, document, content_hash, status, effective_from, "
        f"uploaded_by, uploaded_at) VALUES ({pid}, 'food', '2024', 'evil', 'x', 'draft', '2024-01-01', 'm', "
        "'2024-01-01')",
        "REPLACE INTO ruleset_version (department, version, document, content_hash, status, effective_from, "
        "uploaded_by, uploaded_at) VALUES ('food', '2024', 'evil', 'x', 'published', '2024-01-01', 'm', '2024-01-01')",
    ]
    for stmt in statements:
        with pytest.raises(REFUSED), seeded.begin() as conn:
            conn.execute(text(stmt))
    with Session(seeded) as s:  # a draft renamed onto the published version's name would replace it too
        upload_draft(s, "food", FOOD_2025, "alice")
        s.commit()
    with pytest.raises(REFUSED), seeded.begin() as conn:
        conn.execute(text("UPDATE OR REPLACE ruleset_version SET version = '2024' WHERE version = '2025'"))
    with Session(seeded) as s:
        assert get_version(s, "food", "2024").document == FOOD
        assert all(e.actor != "mallory" for e in s.exec(select(AuditEntry)))
    assert verify_chain(seeded).intact


# ---------------------------------------------------------------- part 6: the hash chain


def _tamper(engine, sql: str) -> None:  # type: ignore[no-untyped-def]
    """What only the owner can do: switch the triggers off, change the log, switch them on."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            for t in ("audit_log_no_update", "audit_log_no_delete"):
                conn.execute(text(f"DROP TRIGGER {t}"))
            conn.execute(text(sql))


def _entries(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        for i in range(n):
            record(s, f"actor{i}", "test.action", department="food", target=str(i), detail={"i": i, "金额": "1.50"})
        s.commit()


def test_the_chain_links_every_entry_and_the_head_is_returned(api, seeded) -> None:
    _entries(seeded, 5)
    report = verify_chain(seeded)
    assert report.intact and report.entries >= 5, report.problems
    with Session(seeded) as s:
        count, hash_ = head(s)
        rows = list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))
    assert hash_ == report.head == rows[-1].hash and rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows[:-1], rows[1:], strict=True))
    r = api.get("/v1/audit", headers=h(api, "admin"))
    assert r.headers["X-Audit-Head"] == hash_
    assert api.get("/v1/audit/head", headers=h(api, "admin")).json()["hash"] == hash_


@pytest.mark.parametrize(
    "sql, finds_without_head",
    [
        ("UPDATE audit_log SET actor = 'mallory' WHERE target = '2'", True),
        ("UPDATE audit_log SET detail = '{\"i\": 9}' WHERE target = '2'", True),
        ("DELETE FROM audit_log WHERE target = '2'", True),
        ("DELETE FROM audit_log WHERE target = '4'", False),  # the last entry: found only against the head
    ],
)
def test_the_chain_finds_what_the_owner_changed_or_removed(seeded, sql: str, finds_without_head: bool) -> None:
    _entries(seeded, 5)
    before = verify_chain(seeded)
    assert before.intact
    _tamper(seeded, sql)
    assert verify_chain(seeded).intact is not finds_without_head
    assert not verify_chain(seeded, before.head).intact


def test_audit_verify_cli(seeded, db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("DISCRETION_DATABASE_URL", db_url)
    _entries(seeded, 3)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["audit", "verify", "--json"])
    assert r.exit_code == 0, r.output
    head_hash = json.loads(r.output)["head"]
    assert runner.invoke(cli_app, ["audit", "verify", "--head", head_hash]).exit_code == 0
    assert runner.invoke(cli_app, ["audit", "verify", "--head", "nothex"]).exit_code == 2
    _tamper(seeded, "DELETE FROM audit_log WHERE target = '2'")
    r = runner.invoke(cli_app, ["audit", "verify", "--head", head_hash])
    assert r.exit_code == 2 and "BROKEN" in r.output


def test_concurrent_appends_keep_one_chain(db_url: str, seeded) -> None:
    engines = [make_engine(db_url) for _ in range(4)]

    def go(engine, n: int) -> None:  # type: ignore[no-untyped-def]
        for i in range(10):
            with Session(engine) as s:
                record(s, f"t{n}", "test.concurrent", target=str(i))
                s.commit()

    _together(go, engines, range(len(engines)))
    report = verify_chain(seeded)
    assert report.intact, report.problems
    with Session(seeded) as s:
        assert len(list(s.exec(select(AuditEntry).where(AuditEntry.action == "test.concurrent")))) == 40


# ---------------------------------------------------------------- part 3: stored rows never break a report


def test_import_validation_is_the_evaluators(api) -> None:
    rows = [json.loads(x) for x in _lines(3).splitlines()]
    rows[1]["facts"]["age"] = "1e300000"
    rows[2]["facts"]["goods_value"] = "1e25"
    body = "\n".join(json.dumps(r) for r in rows)
    r = api.post("/v1/cases", content=body, headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    assert [x["reason"].split(":")[0] for x in r.json()["rejected"]] == ["facts.age", "facts.goods_value"]


def test_sweep_and_impact_list_a_stored_row_they_cannot_evaluate_and_go_on(api, seeded) -> None:
    import time

    assert (
        api.post(
            "/v1/cases", content=_lines(4), headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"}
        ).status_code
        == 200
    )
    with seeded.begin() as conn:  # rows stored before the bounds existed
        for cid, facts in (
            ("BAD1", {"goods_value": 8000, "harm": "minor", "age": "1e300000"}),
            ("BAD2", {"goods_value": "1e25", "harm": "minor"}),
        ):
            conn.execute(
                text(
                    "INSERT INTO decided_case (case_id, department, item, facts, act_date, decision_date, "
                    "unit, officer, outcome, fine, penalties, content_hash, batch_id, imported_at) VALUES "
                    "(:c, 'food', 'F-124', :f, '2024-05-01', '2024-06-01', 'u', 'o', 'penalty', 60000, "
                    "'[]', 'h', 'b', '2024-06-01')"
                ),
                {"c": cid, "f": json.dumps(facts)},
            )
    sid = api.post("/v1/sweeps", json={"department": "food"}, headers=h(api, "sup")).json()["id"]
    for _ in range(200):
        got = api.get(f"/v1/sweeps/{sid}", headers=h(api, "sup")).json()
        if got["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert got["status"] == "done", got
    bad = {r["case_id"] for r in got["report"]["rejected"]}
    assert {"BAD1", "BAD2"} <= bad and got["report"]["summary"]["cases_swept"] >= 4
    _approved(seeded, "2025", "2025-01-01")
    imp = api.get("/v1/rulesets/food/2025/impact?against=2024", headers=h(api, "bob"))
    assert imp.status_code == 200, imp.text
    not_replayed = {c["case_id"] for c in imp.json()["changed"] if c["kind"] == "not_replayed"}
    assert {"BAD1", "BAD2"} <= not_replayed and imp.json()["replayed"] >= 4

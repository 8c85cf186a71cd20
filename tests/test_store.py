"""The store on SQLite and PostgreSQL alike: migrations, lifecycle, append-only audit, imports."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from discretion import RulesetLoadError
from discretion.errors import Conflict, Forbidden
from discretion.store import migrate
from discretion.store.audit import entries, record
from discretion.store.cases import import_cases, parse_rows
from discretion.audit.verify import approval_check
from discretion.store.lifecycle import approve, get_version, live_texts, publish, seed_bundled, upload_draft
from discretion.store.tables import DecidedCase, RulesetVersion

from .conftest import FIXTURES

FOOD = (FIXTURES / "food" / "2024.yaml").read_text(encoding="utf-8")
FOOD_2025 = FOOD.replace('version: "2024"', 'version: "2025"').replace(
    "effective_from: 2024-01-01", "effective_from: 2025-01-01"
)


def test_migrate_and_seed_are_idempotent(seeded) -> None:
    migrate(seeded)
    with Session(seeded) as s:
        assert seed_bundled(s, FIXTURES) == []
        assert set(live_texts(s)) == {"general/2021", "food/2024"}


def test_audit_log_refuses_update_and_delete(engine) -> None:
    with Session(engine) as s:
        record(s, "tester", "test.action", target="x")
        s.commit()
    for stmt in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises((DBAPIError, IntegrityError)), engine.begin() as conn:
            conn.execute(text(stmt))
    with Session(engine) as s:
        assert [e.actor for e in entries(s)] == ["tester"]


def test_published_version_is_frozen_in_the_database(seeded) -> None:
    with pytest.raises((DBAPIError, IntegrityError)), seeded.begin() as conn:
        conn.execute(text("UPDATE ruleset_version SET document = 'x' WHERE version = '2024'"))
    with pytest.raises((DBAPIError, IntegrityError)), seeded.begin() as conn:
        conn.execute(text("DELETE FROM ruleset_version WHERE version = '2024'"))
    with Session(seeded) as s:
        assert get_version(s, "food", "2024").document == FOOD


def test_lifecycle_draft_approve_publish(seeded) -> None:
    with Session(seeded) as s:
        upload_draft(s, "food", FOOD_2025, "alice")
        s.commit()
        with pytest.raises(Forbidden):
            approve(s, "food", "2025", "alice", verifier=approval_check)
        with pytest.raises(Conflict):
            publish(s, "food", "2025", "bob")
        approve(s, "food", "2025", "bob", verifier=approval_check)
        s.commit()
        row = publish(s, "food", "2025", "bob")
        s.commit()
        assert row.status == "published" and row.published_by == "bob"
        assert get_version(s, "food", "2024").status == "superseded"
        with pytest.raises(Conflict):
            publish(s, "food", "2025", "bob")
        with pytest.raises(Conflict):
            upload_draft(s, "food", FOOD_2025, "carol")
        actions = [e.action for e in entries(s, department="food")]
        assert actions[-3:] == ["ruleset.upload", "ruleset.approve", "ruleset.publish"]


def test_invalid_draft_is_refused_and_nothing_is_stored(seeded) -> None:
    bad = FOOD_2025.replace("when: purchase_checked", "when: \"__import__('os').system('id')\"")
    with Session(seeded) as s:
        with pytest.raises(RulesetLoadError) as e:
            upload_draft(s, "food", bad, "alice")
        assert "lists[0].when" in str(e.value) and "Call is not allowed" in str(e.value)
        s.rollback()
        assert s.exec(select(RulesetVersion).where(RulesetVersion.version == "2025")).first() is None


def test_racing_publishes_end_with_exactly_one(seeded) -> None:
    with Session(seeded) as s:
        upload_draft(s, "food", FOOD_2025, "alice")
        s.commit()
        approve(s, "food", "2025", "bob", verifier=approval_check)
        s.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def go(n: int) -> None:
        barrier.wait()
        with Session(seeded) as s:
            try:
                publish(s, "food", "2025", f"reviewer{n}")
                s.commit()
                outcomes.append("won")
            except (Conflict, DBAPIError):
                s.rollback()
                outcomes.append("lost")

    threads = [threading.Thread(target=go, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1
    with Session(seeded) as s:
        assert len([e for e in entries(s, action="ruleset.publish") if e.target == "food/2025"]) == 1


def _lines(n: int, start: int = 0, **over) -> str:
    import json

    rows = []
    for i in range(start, start + n):
        row = {
            "case_id": f"C{i}",
            "department": "food",
            "item": "F-124",
            "facts": {"goods_value": 8000 + i, "harm": "minor"},
            "act_date": "2024-03-01",
            "decision_date": "2024-04-01",
            "unit": "一所",
            "officer": "张三",
            "outcome": "penalty",
            "fine": "57500",
            "penalties": ["没收违法生产经营的物品"],
        }
        row.update(over)
        rows.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(rows)


def test_import_counts_accepted_duplicates_and_rejected(seeded) -> None:
    from discretion import RulesetLibrary

    lib = RulesetLibrary.load(FIXTURES)
    data = "\n".join(
        [
            _lines(5),
            _lines(1, 2),
            _lines(1, 3, fine="57600"),
            _lines(1, 9, item="F-999"),
            _lines(1, 10, fine="abc"),
            "not json",
            _lines(1, 11, facts={"harm": "minor"}),
        ]
    )
    report = import_cases(seeded, parse_rows(data, "jsonl"), lib, batch_size=2)
    assert report.accepted == 5 and report.duplicates == 1
    reasons = {r.line: r.reason for r in report.rejected}
    assert set(reasons) == {7, 8, 9, 10, 11}
    assert "different content" in reasons[7] and "F-999" in reasons[8] and reasons[9].startswith("fine")
    assert "facts.goods_value" in reasons[11]
    again = import_cases(seeded, parse_rows(_lines(5), "jsonl"), lib)
    assert again.accepted == 0 and again.duplicates == 5
    with Session(seeded) as s:
        assert len(s.exec(select(DecidedCase)).all()) == 5


def test_csv_import_rejects_missing_columns_and_bad_money(seeded) -> None:
    from discretion.store.cases import FormatError

    header = "case_id,department,item,facts,act_date,decision_date,unit,officer,outcome,fine,penalties\n"
    ok = (
        'K1,food,F-124,"{""goods_value"": 100, ""harm"": ""none""}",2024-03-01,2024-04-01,一所,李四,penalty,50000,'
        "警告;没收违法生产经营的物品\n"
    )
    short = "K2,food,F-124\n"
    money = 'K3,food,F-124,"{""goods_value"": 100, ""harm"": ""none""}",2024-03-01,2024-04-01,一所,李四,penalty,五万,\n'
    report = import_cases(seeded, parse_rows(header + ok + short + money, "csv"), None)
    assert report.accepted == 1
    assert [r.line for r in report.rejected] == [3, 4]
    assert report.rejected[1].reason.startswith("fine")
    with pytest.raises(FormatError):
        list(parse_rows("a,b\n1,2\n", "csv"))


# ---------------------------------------------------------------- the schema every store test starts from

_PG_CATALOGUE = {
    "columns": """SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,
                         is_nullable, column_default, ordinal_position
                  FROM information_schema.columns WHERE table_schema = :s""",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s",
    "constraints": """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :s""",
    "triggers": """SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t
                   JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
                   WHERE n.nspname = :s AND NOT t.tgisinternal""",
    "functions": """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s""",
    "sequences": """SELECT sequencename, data_type, start_value, increment_by, last_value FROM pg_sequences
                    WHERE schemaname = :s""",
    "relations": """SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = :s""",
}


def _pg_catalogue(schema: str) -> dict[str, list[str]]:
    from .conftest import _admin

    with _admin().connect() as conn:
        found = {
            what: sorted(repr(tuple(row)).replace(schema, "<schema>") for row in conn.execute(text(q), {"s": schema}))
            for what, q in _PG_CATALOGUE.items()
        }
        for table in ("alembic_version", "store_state"):
            found[table] = sorted(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {schema}.{table}")))
    return found


def _sqlite_catalogue(path) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return {
            "schema": sorted(repr(r) for r in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")),
            "alembic_version": sorted(repr(r) for r in conn.execute("SELECT * FROM alembic_version")),
            "store_state": sorted(repr(r) for r in conn.execute("SELECT * FROM store_state")),
        }
    finally:
        conn.close()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_real_migration_from_empty_gives_the_schema_every_store_test_starts_from(
    db: str, request: pytest.FixtureRequest, tmp_path
) -> None:
    """The store tests do not run Alembic each: SQLite ones copy a file migrated once per process, PostgreSQL
    ones replay the statements the migration sent once per process (tests/conftest.py). Here Alembic upgrades
    an empty database for real, and the result must be the same, object for object, as what the tests get."""
    from discretion.store import make_engine

    from .conftest import _drop_schema, _postgres_schema_url

    if db == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        migrate(engine)
        engine.dispose()
        migrated = _sqlite_catalogue(tmp_path / "fresh.db")
        assert migrated["store_state"] and migrated["alembic_version"]
        assert migrated == _sqlite_catalogue(request.getfixturevalue("sqlite_template"))
        return
    url, fresh = _postgres_schema_url()
    _, replayed = _postgres_schema_url(request.getfixturevalue("postgres_migration"))
    try:
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        migrated = _pg_catalogue(fresh)
        assert all(migrated[k] for k in ("columns", "indexes", "triggers", "functions", "store_state"))
        assert migrated == _pg_catalogue(replayed)
    finally:
        _drop_schema(fresh)
        _drop_schema(replayed)


def _rows(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    with engine.connect() as conn:
        return {
            t: sorted(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {t}")))
            for t in inspect(conn).get_table_names()
        }


def test_the_replayed_seed_is_the_real_seed(seeded, db_url: str, request: pytest.FixtureRequest) -> None:
    """`seeded` replays what `seed_bundled` sent once (tests/conftest.py): seeding an empty store for real and
    replaying that on another empty store gives the same rows, byte for byte; and the `seeded` store of
    this test holds the same rows as a real seed but for the moment it was written."""
    from discretion.store import make_engine

    from .conftest import _drop_schema, _postgres_schema_url, _recording, _replay, _seed

    dialect = seeded.dialect.name
    fresh: list = []
    for _ in range(2):
        if dialect == "sqlite":
            path = request.getfixturevalue("tmp_path") / f"s{len(fresh)}.db"
            path.write_bytes(request.getfixturevalue("sqlite_template").read_bytes())
            fresh.append((make_engine(f"sqlite:///{path}"), None))
        else:
            url, schema = _postgres_schema_url(request.getfixturevalue("postgres_migration"))
            fresh.append((make_engine(url), schema))
    (real, _), (replayed, _) = fresh
    try:
        sent: list = []
        stop = _recording(real, sent)
        _seed(real)
        stop()
        with replayed.begin() as conn:
            _replay(conn, sent)
        by_seed = _rows(real)
        assert by_seed["ruleset_version"] and by_seed["audit_log"] and by_seed["department"]
        assert _rows(replayed) == by_seed
        with Session(seeded) as s:
            assert seed_bundled(s, FIXTURES) == []  # everything is there already
            assert set(live_texts(s)) == {"general/2021", "food/2024"}

        def timeless(rows: dict[str, list[str]]) -> dict[str, int]:
            return {t: len(r) for t, r in rows.items()}

        assert timeless(_rows(seeded)) == timeless(by_seed)
    finally:
        for engine, schema in fresh:
            engine.dispose()
            if schema:
                _drop_schema(schema)

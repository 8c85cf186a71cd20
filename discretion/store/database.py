"""The database: an engine from the settings' database URL (default: a SQLite file here, WAL mode),
and `migrate`, which brings any database to the newest schema (Alembic), safely from several workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from ..settings import load_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 7_304_112  # pg_advisory_lock key: one migrator at a time across workers


def database_url() -> str:
    """DISCRETION_DATABASE_URL, or a SQLite file in the working directory (discretion.settings)."""
    return load_settings().database_url


def owner_database_url() -> str | None:
    """The owner's URL for migrations, when the service connects as a role that owns nothing
    (DISCRETION_OWNER_DATABASE_URL; see store/roles.py)."""
    return load_settings().owner_database_url or None


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout for concurrent writers."""
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # the sqlite3 connection, its pool record
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # parallel branches each revise 0001

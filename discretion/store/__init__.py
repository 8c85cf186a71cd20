"""The store: SQLModel over SQLite (default file, WAL) or PostgreSQL, migrated by Alembic.

database.py (engine, migrate) · tables.py (records) · lifecycle.py (ruleset versions) ·
cases.py (decided-case import) · keys.py (API keys) · audit.py (append-only log).
"""

from .database import database_url, make_engine, migrate

__all__ = ["database_url", "make_engine", "migrate"]

"""Two PostgreSQL roles: the owner, who migrates, and the service, which owns nothing.

Why: triggers keep the audit log append-only and published versions frozen, but a table's owner
can disable or drop a trigger. The service connects as a role that owns no table, so not even a
compromised service can: it may read and write rows (the triggers still judge every write), and
it may not TRUNCATE, ALTER, DROP, or update or delete audit entries.

    owner   (DISCRETION_OWNER_DATABASE_URL): runs the migrations, owns every table and trigger
    service (DISCRETION_DATABASE_URL): granted by `discretion db grant ROLE`, run as the owner
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

#: what the service may do beyond SELECT, INSERT, UPDATE, DELETE on every table of the schema
_REVOKED = {
    "audit_log": "UPDATE, DELETE",  # append-only, also by trigger
    "ruleset_version": "DELETE",  # drafts are never deleted by the service either
    "evaluation": "UPDATE, DELETE",
    "decided_case": "UPDATE, DELETE",
    "alembic_version": "INSERT, UPDATE, DELETE",  # the schema is the owner's
}


def grant_service_role(owner: Engine, role: str) -> list[str]:
    """Grant `role` what the service needs on the current schema's tables (run as the owner, after
    migrating). Returns the statements run."""
    if owner.dialect.name != "postgresql":
        raise ValueError("roles exist on PostgreSQL only (a SQLite file is guarded by its file permissions)")
    done: list[str] = []
    with owner.begin() as conn:
        q = conn.dialect.identifier_preparer.quote
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        tables = [
            r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        ]
        statements = [
            f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(role)}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(role)}",
        ]
        for table in sorted(tables):
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {q(table)} TO {q(role)}")
            if table in _REVOKED:
                statements.append(f"REVOKE {_REVOKED[table]} ON {q(table)} FROM {q(role)}")
        for statement in statements:
            conn.execute(text(statement))
            done.append(statement)
    return done

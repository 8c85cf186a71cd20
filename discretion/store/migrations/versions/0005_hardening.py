"""Hardening (issue 10): append-only for everyone but the owner, one live version per department and
day, withdrawal, the audit hash chain, and the key revocation counter.

- ruleset_version: withdrawn_by / withdrawn_at / withdrawn_reason; a partial unique index makes two
  live (published or superseded) versions of one department with the same effective date
  impossible; triggers freeze every column of a published, superseded or withdrawn version except
  the one-way status (draft → approved | withdrawn, published → superseded | withdrawn, superseded → withdrawn) and, once, the
  withdrawal's who/when/why.
- audit_log: prev_hash and hash (each entry carries the previous entry's hash); TRUNCATE refused.
- SQLite: REPLACE INTO deletes the row it replaces without firing delete triggers (unless
  recursive_triggers is on), so an INSERT or UPDATE that would replace a non-draft version or an
  audit row is refused before it happens.
- store_state: named counters — `audit_head` (last entry id and its hash), `key_revocations`
  (every instance compares it per request, so a revoked key stops everywhere at once).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FROZEN_COLUMNS = ("id", "department", "version", "document", "content_hash", "effective_from", "effective_to",
                  "uploaded_by", "uploaded_at", "approved_by", "approved_at", "published_by", "published_at")
WITHDRAWAL = ("withdrawn_by", "withdrawn_at", "withdrawn_reason")
LIVE = "('published', 'superseded')"


def upgrade() -> None:
    for name, type_ in (("withdrawn_by", sa.String(64)), ("withdrawn_at", sa.DateTime(timezone=True)),
                        ("withdrawn_reason", sa.String(2000))):
        op.add_column("ruleset_version", sa.Column(name, type_, nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "store_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(64), nullable=False),
    )
    op.create_index("uq_live_effective_from", "ruleset_version", ["department", "effective_from"], unique=True,
                    postgresql_where=sa.text(f"status IN {LIVE}"), sqlite_where=sa.text(f"status IN {LIVE}"))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()
    _chain_existing_entries()
    op.execute("INSERT INTO store_state (name, counter, text) VALUES ('key_revocations', 0, '')")


def _postgresql() -> None:
    frozen = ", ".join(f"'{c}'" for c in ("status", *WITHDRAWAL))
    op.execute(f"""
        CREATE OR REPLACE FUNCTION ruleset_version_frozen() RETURNS trigger AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'only drafts can be deleted'; END IF;
            RETURN OLD;
          END IF;
          IF OLD.status IN ('published', 'superseded', 'withdrawn') THEN
            -- every column, present and future, but the status and the withdrawal record
            IF (to_jsonb(NEW) - ARRAY[{frozen}]) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{frozen}]) THEN
              RAISE EXCEPTION 'a published ruleset version is frozen';
            END IF;
            IF NOT (NEW.status = OLD.status
                    OR (OLD.status = 'published' AND NEW.status IN ('superseded', 'withdrawn'))
                    OR (OLD.status = 'superseded' AND NEW.status = 'withdrawn')) THEN
              RAISE EXCEPTION 'status % cannot become %', OLD.status, NEW.status;
            END IF;
            IF OLD.withdrawn_at IS NOT NULL AND (NEW.withdrawn_by, NEW.withdrawn_at, NEW.withdrawn_reason)
                IS DISTINCT FROM (OLD.withdrawn_by, OLD.withdrawn_at, OLD.withdrawn_reason) THEN
              RAISE EXCEPTION 'a withdrawal is recorded once';
            END IF;
          ELSIF NOT (NEW.status = OLD.status OR (OLD.status = 'draft' AND NEW.status IN ('approved', 'withdrawn'))
                     OR (OLD.status = 'approved' AND NEW.status = 'published')) THEN
            RAISE EXCEPTION 'status % cannot become %', OLD.status, NEW.status;
          END IF;
          IF (NEW.status = 'withdrawn') <> (NEW.withdrawn_at IS NOT NULL AND NEW.withdrawn_by IS NOT NULL) THEN
            RAISE EXCEPTION 'a withdrawn version records who withdrew it and when, and only it does';
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE FUNCTION refuse_truncate() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE is refused', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql""")
    for table in ("audit_log", "ruleset_version"):
        op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()""")


def _sqlite() -> None:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)
    op.execute("DROP TRIGGER ruleset_version_frozen")
    op.execute(f"""CREATE TRIGGER ruleset_version_frozen BEFORE UPDATE ON ruleset_version
                   WHEN OLD.status IN ('published', 'superseded', 'withdrawn') AND ({changed})
                   BEGIN SELECT RAISE(ABORT, 'a published ruleset version is frozen'); END""")
    op.execute("""CREATE TRIGGER ruleset_version_one_way BEFORE UPDATE OF status ON ruleset_version
                  WHEN NOT (NEW.status = OLD.status
                            OR (OLD.status = 'draft' AND NEW.status IN ('approved', 'withdrawn'))
                            OR (OLD.status = 'approved' AND NEW.status = 'published')
                            OR (OLD.status = 'published' AND NEW.status IN ('superseded', 'withdrawn'))
                            OR (OLD.status = 'superseded' AND NEW.status = 'withdrawn'))
                  BEGIN SELECT RAISE(ABORT, 'ruleset status transitions are one-way'); END""")
    op.execute("""CREATE TRIGGER ruleset_version_withdrawal BEFORE UPDATE ON ruleset_version
                  WHEN (OLD.withdrawn_at IS NOT NULL AND (NEW.withdrawn_by IS NOT OLD.withdrawn_by
                        OR NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.withdrawn_reason IS NOT OLD.withdrawn_reason))
                       OR ((NEW.status = 'withdrawn') <> (NEW.withdrawn_at IS NOT NULL AND NEW.withdrawn_by IS NOT NULL))
                  BEGIN SELECT RAISE(ABORT, 'a withdrawal is recorded once, with who and when'); END""")
    # REPLACE deletes the conflicting row first, and that delete fires no trigger: refuse the conflict itself
    conflict = f"""(r.id = NEW.id OR (r.department = NEW.department AND r.version = NEW.version)
                    OR (r.department = NEW.department AND r.effective_from = NEW.effective_from
                        AND r.status IN {LIVE} AND NEW.status IN {LIVE}))"""
    op.execute(f"""CREATE TRIGGER ruleset_version_no_replace BEFORE INSERT ON ruleset_version
                   WHEN EXISTS (SELECT 1 FROM ruleset_version r WHERE r.status <> 'draft' AND {conflict})
                   BEGIN SELECT RAISE(ABORT, 'a ruleset version cannot be replaced'); END""")
    op.execute(f"""CREATE TRIGGER ruleset_version_no_replace_by_update BEFORE UPDATE ON ruleset_version
                   WHEN EXISTS (SELECT 1 FROM ruleset_version r WHERE r.id <> OLD.id AND r.status <> 'draft'
                                AND {conflict})
                   BEGIN SELECT RAISE(ABORT, 'a ruleset version cannot be replaced'); END""")
    op.execute("""CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
                  WHEN EXISTS (SELECT 1 FROM audit_log a WHERE a.id = NEW.id)
                  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")


def _chain_existing_entries() -> None:
    """Entries written before this revision get their links, computed once by the owner."""
    from discretion.store.chain import GENESIS, entry_hash

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, at, actor, action, department, target, detail FROM audit_log ORDER BY id"))
    prev, last_id, links = GENESIS, 0, []
    for row in rows.mappings():
        h = entry_hash(prev, row)
        links.append({"id": row["id"], "prev": prev, "hash": h})
        prev, last_id = h, row["id"]
    if links:
        pg = conn.dialect.name == "postgresql"
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only" if pg
                   else "DROP TRIGGER audit_log_no_update")
        conn.execute(sa.text("UPDATE audit_log SET prev_hash = :prev, hash = :hash WHERE id = :id"), links)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only" if pg else
                   """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")
    conn.execute(sa.text("INSERT INTO store_state (name, counter, text) VALUES ('audit_head', :id, :hash)"),
                 {"id": last_id, "hash": prev})


def downgrade() -> None:
    raise NotImplementedError("append-only guarantees have no downgrade: restore from a backup instead")

"""Initial schema: departments, ruleset versions, decided cases, evaluations, API keys, audit log.

The audit log refuses UPDATE and DELETE by trigger (PostgreSQL and SQLite alike), and a
published or superseded ruleset version refuses any change to its document or hash.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ruleset_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), sa.ForeignKey("department.code"), nullable=False, index=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("department", "version", name="uq_ruleset_version"),
    )
    op.create_table(
        "decided_case",
        sa.Column("case_id", sa.String(128), primary_key=True),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("item", sa.String(64), nullable=False, index=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("act_date", sa.Date(), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False, index=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("officer", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("fine", sa.Numeric(18, 2), nullable=True),
        sa.Column("penalties", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(64), nullable=False, index=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("ruleset_hash", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("department", sa.String(64), nullable=True, index=True),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
        op.execute("""
            CREATE FUNCTION ruleset_version_frozen() RETURNS trigger AS $$
            BEGIN
              IF OLD.status IN ('published', 'superseded', 'withdrawn') AND
                 (NEW.document IS DISTINCT FROM OLD.document OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
                  OR NEW.version IS DISTINCT FROM OLD.version OR NEW.department IS DISTINCT FROM OLD.department) THEN
                RAISE EXCEPTION 'a published ruleset version is frozen';
              END IF;
              IF TG_OP = 'DELETE' AND OLD.status <> 'draft' THEN
                RAISE EXCEPTION 'only drafts can be deleted';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER ruleset_version_frozen BEFORE UPDATE OR DELETE ON ruleset_version
                      FOR EACH ROW EXECUTE FUNCTION ruleset_version_frozen()""")
    else:
        op.execute("""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")
        op.execute("""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")
        op.execute("""CREATE TRIGGER ruleset_version_frozen BEFORE UPDATE ON ruleset_version
                      WHEN OLD.status IN ('published', 'superseded', 'withdrawn') AND
                           (NEW.document IS NOT OLD.document OR NEW.content_hash IS NOT OLD.content_hash
                            OR NEW.version IS NOT OLD.version OR NEW.department IS NOT OLD.department)
                      BEGIN SELECT RAISE(ABORT, 'a published ruleset version is frozen'); END""")
        op.execute("""CREATE TRIGGER ruleset_version_no_delete BEFORE DELETE ON ruleset_version
                      WHEN OLD.status <> 'draft'
                      BEGIN SELECT RAISE(ABORT, 'only drafts can be deleted'); END""")


def downgrade() -> None:
    raise NotImplementedError("the initial schema has no downgrade: restore from a backup instead")

"""Named users (sign-in for the web pages), the app's signing secret, keys owned by a user, and
the units a sweep started from the supervisor's page was narrowed to.

Existing keys keep working: the new `api_key.user_name` column is nullable.

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "app_secret",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("user_name", sa.String(64), nullable=True))
    op.create_table(
        "sweep_scope",
        sa.Column("sweep_id", sa.String(32), primary_key=True),
        sa.Column("units", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sweep_scope")
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("user_name")
    op.drop_table("app_secret")
    op.drop_table("app_user")

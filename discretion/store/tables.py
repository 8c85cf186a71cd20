"""The stored records (SQLModel tables). Schema changes go through Alembic (migrations/).

Money is NUMERIC(18,2) (Decimal in Python); JSON columns hold facts, results and details.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Department(SQLModel, table=True):
    """A department (部门) that publishes rulesets: code and name."""

    __tablename__ = "department"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)


class RulesetVersion(SQLModel, table=True):
    """One version of a department's ruleset and where it is in its lifecycle.

    draft → approved (reviewer, not the uploader) → published (frozen: document and hash never
    change) → superseded | withdrawn.
    """

    __tablename__ = "ruleset_version"
    __table_args__ = (UniqueConstraint("department", "version", name="uq_ruleset_version"),)
    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(foreign_key="department.code", index=True, max_length=64)
    version: str = Field(max_length=32)
    document: str
    content_hash: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=16, index=True)
    effective_from: dt.date
    effective_to: dt.date | None = None
    uploaded_by: str = Field(max_length=64)
    uploaded_at: dt.datetime = Field(default_factory=utcnow)
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: dt.datetime | None = None
    published_by: str | None = Field(default=None, max_length=64)
    published_at: dt.datetime | None = None
    withdrawn_by: str | None = Field(default=None, max_length=64)
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = Field(default=None, max_length=2000)


class DecidedCase(SQLModel, table=True):
    """A case already decided (from an import), for consistency sweeps and impact analysis."""

    __tablename__ = "decided_case"
    case_id: str = Field(primary_key=True, max_length=128)
    department: str = Field(index=True, max_length=64)
    item: str = Field(index=True, max_length=64)
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    act_date: dt.date
    decision_date: dt.date = Field(index=True)
    unit: str = Field(default="", max_length=200)
    officer: str = Field(default="", max_length=200)
    outcome: str = Field(max_length=16)
    fine: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2), nullable=True))
    penalties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    batch_id: str = Field(index=True, max_length=64)
    imported_at: dt.datetime = Field(default_factory=utcnow)


class Evaluation(SQLModel, table=True):
    """An evaluation an officer chose to record: the request, the result, the ruleset hash."""

    __tablename__ = "evaluation"
    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(index=True, max_length=64)
    item: str = Field(max_length=64)
    request: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    ruleset_hash: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """An API key: only its sha256 is stored; role and department scope (None = every department)."""

    __tablename__ = "api_key"
    id: str = Field(primary_key=True, max_length=32)
    secret_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    department: str | None = Field(default=None, max_length=64)
    label: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None
    user_name: str | None = Field(default=None, max_length=64, description="the user the key belongs to")


class AuditEntry(SQLModel, table=True):
    """One line of the append-only audit log: who did what to what, when."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    department: str | None = Field(default=None, max_length=64, index=True)
    target: str = Field(default="", max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class SweepRun(SQLModel, table=True):
    """A consistency sweep a supervisor asked for: its scope, status and, when done, its report."""

    __tablename__ = "sweep_run"
    id: str = Field(primary_key=True, max_length=32)
    requested_by: str = Field(max_length=64)
    department: str | None = Field(default=None, max_length=64)
    since: dt.date | None = None
    until: dt.date | None = None
    status: str = Field(default="queued", max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    error: str | None = None
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Decision(SQLModel, table=True):
    """A decision actually made (事中预警), beside its decided case: what the check needs beyond the
    decided-case format, the ruleset it was checked against, and how it was recorded (api | import)."""

    __tablename__ = "decision"
    case_id: str = Field(primary_key=True, max_length=128)
    department: str = Field(index=True, max_length=64)
    source: str = Field(default="api", max_length=16)
    act_end_date: dt.date | None = None
    discovery_date: dt.date | None = None
    measures: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    evaluation_id: int | None = None
    reason: str = Field(default="")
    ruleset_hash: str = Field(default="", max_length=64)
    ruleset_version: str = Field(default="", max_length=32)
    recorded_by: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)
    answer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """One finding of a decision's check, for the supervisor: open → acknowledged → closed."""

    __tablename__ = "alert"
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True, max_length=128)
    department: str = Field(index=True, max_length=64)
    item: str = Field(max_length=64)
    unit: str = Field(default="", max_length=200, index=True)
    officer: str = Field(default="", max_length=200, index=True)
    decision_date: dt.date = Field(index=True)
    kind: str = Field(max_length=40)
    severity: str = Field(max_length=16, index=True)
    rule: str = Field(default="", max_length=200)
    citation: str = Field(default="")
    message: str
    state: str = Field(default="open", max_length=16, index=True)
    note: str = Field(default="")
    handled_by: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime | None = None


class Webhook(SQLModel, table=True):
    """A URL an admin registered to receive alerts, signed with its own secret (HMAC-SHA256)."""

    __tablename__ = "webhook"
    id: str = Field(primary_key=True, max_length=32)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=128)
    department: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    removed_at: dt.datetime | None = None


class Job(SQLModel, table=True):
    """Durable long work (sweeps, bulk checks, webhook deliveries): taken by any instance's worker,
    held by a lease its heartbeat renews; a job whose lease ran out is taken again."""

    __tablename__ = "job"
    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=32, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="queued", max_length=16, index=True)
    run_after: dt.datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    max_attempts: int = 5
    lease_until: dt.datetime | None = None
    worker: str | None = Field(default=None, max_length=64)
    progress_done: int = 0
    progress_total: int | None = None
    cancel_requested: bool = False
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = None
    department: str | None = Field(default=None, max_length=64)
    created_by: str = Field(default="system", max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class User(SQLModel, table=True):
    """A named person who signs in to the web pages: role, department scope, argon2 password hash."""

    __tablename__ = "app_user"
    name: str = Field(primary_key=True, max_length=64)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    department: str | None = Field(default=None, max_length=64)
    password_hash: str = Field(max_length=256)
    disabled: bool = False
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class AppSecret(SQLModel, table=True):
    """A server secret shared by every worker (the session-cookie signing key), made on first use."""

    __tablename__ = "app_secret"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)


class SweepScope(SQLModel, table=True):
    """The units a sweep was narrowed to (sweeps started from the supervisor's page)."""

    __tablename__ = "sweep_scope"
    sweep_id: str = Field(primary_key=True, max_length=32)
    units: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class StoreState(SQLModel, table=True):
    """Named counters every instance shares: `audit_head` (last audit entry id and its hash, the
    row appenders lock), `key_revocations` (compared per request: a revoked key stops at once)."""

    __tablename__ = "store_state"
    name: str = Field(primary_key=True, max_length=32)
    counter: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    text: str = Field(default="", max_length=64)

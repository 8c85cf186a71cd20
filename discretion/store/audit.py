"""The append-only audit log: every transition and every recorded evaluation, with actor and time.

There is no update or delete path here; the database refuses them by trigger as well. Each entry
carries the hash of the one before it (chain.py), so even the owner cannot change it unseen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from .chain import entry_hash
from .tables import AuditEntry, StoreState

HEAD = "audit_head"


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    department: str | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the change it records)."""
    entry = AuditEntry(actor=actor, action=action, department=department, target=target, detail=detail or {})
    # the head row is locked (PostgreSQL row lock; SQLite write lock) until the caller commits:
    # appenders take turns, so every entry links to the one committed before it
    session.execute(update(StoreState).where(col(StoreState.name) == HEAD).values(counter=StoreState.counter + 1))
    prev = session.execute(select(StoreState.text).where(col(StoreState.name) == HEAD)).scalar_one()
    entry.prev_hash = prev
    entry.hash = entry_hash(prev, entry.model_dump())
    session.execute(update(StoreState).where(col(StoreState.name) == HEAD).values(text=entry.hash))
    session.add(entry)
    return entry


def head(session: Session) -> tuple[int, str]:
    """(entries appended, hash of the last one): what a reader keeps outside the database."""
    row = session.execute(select(StoreState.counter, StoreState.text).where(col(StoreState.name) == HEAD)).one()
    return int(row[0]), str(row[1])


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    department: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    after_id: int | None = None,
) -> list[AuditEntry]:
    """The log, oldest first, filtered; page with `after_id`."""
    q = select(AuditEntry)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action == action)
    if department:
        q = q.where(AuditEntry.department == department)
    if since:
        q = q.where(AuditEntry.at >= since)
    if until:
        q = q.where(AuditEntry.at < until)
    if after_id is not None:
        q = q.where(col(AuditEntry.id) > after_id)
    return list(session.exec(q.order_by(col(AuditEntry.id)).limit(limit)))

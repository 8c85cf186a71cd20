"""The append-only audit log: every transition and every recorded evaluation, with actor and time.

There is no update or delete path here; the database refuses them by trigger as well.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from .tables import AuditEntry


def record(session: Session, actor: str, action: str, *, department: str | None = None, target: str = "",
           detail: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the change it records)."""
    entry = AuditEntry(actor=actor, action=action, department=department, target=target, detail=detail or {})
    session.add(entry)
    return entry


def entries(session: Session, *, actor: str | None = None, action: str | None = None, department: str | None = None,
            since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100,
            after_id: int | None = None) -> list[AuditEntry]:
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

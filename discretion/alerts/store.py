"""Alerts for supervisors: filtered, paged lists, and acknowledge / close with a note (audit-logged)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from ..errors import Conflict, NotFound
from ..store.audit import record
from ..store.tables import Alert, utcnow

STATES = ("open", "acknowledged", "closed")
#: which state each action may leave from and where it goes
ACTIONS = {
    "acknowledge": (("open",), "acknowledged"),
    "close": (("open", "acknowledged"), "closed"),
}


def list_alerts(
    session: Session,
    *,
    department: str | None = None,
    item: str | None = None,
    unit: str | None = None,
    officer: str | None = None,
    severity: str | None = None,
    state: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    after_id: int | None = None,
    before_id: int | None = None,
    newest_first: bool = False,
    limit: int = 100,
) -> list[Alert]:
    """Alerts oldest first (newest first for a supervisor's page), filtered by department, item and who,
    decision dates in [since, until]; paged by after_id (oldest first) or before_id (newest first)."""
    q = select(Alert)
    for column, value in (
        (Alert.department, department),
        (Alert.item, item),
        (Alert.unit, unit),
        (Alert.officer, officer),
        (Alert.severity, severity),
        (Alert.state, state),
    ):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        q = q.where(Alert.decision_date >= since)
    if until is not None:
        q = q.where(Alert.decision_date <= until)
    if after_id is not None:
        q = q.where(col(Alert.id) > after_id)
    if before_id is not None:
        q = q.where(col(Alert.id) < before_id)
    order = col(Alert.id).desc() if newest_first else col(Alert.id)
    return list(session.exec(q.order_by(order).limit(limit)))


def handle(session: Session, alert_id: int, action: str, note: str, *, actor: str, department: str | None) -> Alert:
    """Acknowledge or close an alert with a note; `department` is the actor's scope (None: all)."""
    alert = session.get(Alert, alert_id)
    if alert is None or (department is not None and alert.department != department):
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    allowed, target = ACTIONS[action]
    if alert.state not in allowed:
        raise Conflict(f"alert {alert_id} is {alert.state}; it cannot be {target}", field="state")
    alert.state, alert.note, alert.handled_by, alert.updated_at = target, note, actor, utcnow()
    session.add(alert)
    record(
        session,
        actor,
        f"alert.{action}",
        department=alert.department,
        target=str(alert_id),
        detail={"note": note, "case_id": alert.case_id, "kind": alert.kind},
    )
    return alert

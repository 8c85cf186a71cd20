"""GET /v1/alerts and acknowledge / close: the alerts decision checks raised, for supervisors."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from discretion.alerts.store import handle, list_alerts
from discretion.store.tables import Alert
from discretion.store.users import actor_name

from ..deps import CurrentKey, SessionDep, check_department, check_role
from ..params import AfterId, DateFrom, DepartmentQuery, FilterText, Limit, RowIdPath

#: an alert id as the database can hold it (a larger number is a 422, not an overflow)
AlertId = RowIdPath

router = APIRouter(prefix="/v1", tags=["alerts"])


class AlertPublic(BaseModel):
    """One alert: the decision (case, unit, officer, date), what was found with its rule and article, its state."""

    id: int
    case_id: str
    department: str
    item: str
    unit: str
    officer: str
    decision_date: dt.date
    kind: str
    severity: str
    rule: str
    citation: str
    message: str
    state: str
    note: str
    handled_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime | None


class AlertPage(BaseModel):
    """A page of alerts; pass `next_after_id` as `after_id` for the next page (null: the last page)."""

    alerts: list[AlertPublic]
    next_after_id: int | None


class AlertNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="处理意见")


@router.get("/alerts", response_model=AlertPage)
def alerts(
    session: SessionDep,
    key: CurrentKey,
    department: DepartmentQuery = None,
    unit: FilterText = None,
    officer: FilterText = None,
    severity: str | None = Query(None, pattern="^(critical|high|medium|low)$"),
    state: str | None = Query(None, pattern="^(open|acknowledged|closed)$"),
    since: DateFrom = None,
    until: DateFrom = None,
    after_id: AfterId = None,
    limit: Limit = 100,
) -> AlertPage:
    """Alerts, oldest first, filtered (supervisor; a scoped key sees its own department's)."""
    check_role(key, "supervisor")
    if department is not None:
        check_department(key, department, ["query", "department"])
    rows = list_alerts(
        session,
        department=department or key.department,
        unit=unit,
        officer=officer,
        severity=severity,
        state=state,
        since=since,
        until=until,
        after_id=after_id,
        limit=limit,
    )
    return AlertPage(
        alerts=[AlertPublic.model_validate(r, from_attributes=True) for r in rows],
        next_after_id=rows[-1].id if len(rows) == limit else None,
    )


def _act(alert_id: int, action: str, body: AlertNote, session: SessionDep, key: CurrentKey) -> Alert:
    check_role(key, "supervisor")
    alert = handle(session, alert_id, action, body.note, actor=actor_name(key), department=key.department)
    session.commit()
    session.refresh(alert)
    return alert


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge(alert_id: AlertId, session: SessionDep, key: CurrentKey, body: AlertNote = Body(...)) -> Alert:
    """Acknowledge an open alert with a note (supervisor; audit-logged)."""
    return _act(alert_id, "acknowledge", body, session, key)


@router.post("/alerts/{alert_id}/close", response_model=AlertPublic)
def close(alert_id: AlertId, session: SessionDep, key: CurrentKey, body: AlertNote = Body(...)) -> Alert:
    """Close an open or acknowledged alert with a note (supervisor; audit-logged)."""
    return _act(alert_id, "close", body, session, key)

"""GET /v1/audit: the append-only log, filterable (admin, supervisor)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from discretion.store import audit

from ..deps import CurrentKey, SessionDep, check_department, check_role

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    department: str | None
    target: str
    detail: dict[str, Any]


@router.get("/audit", response_model=list[AuditPublic])
def audit_log(session: SessionDep, key: CurrentKey, actor: str | None = None, action: str | None = None,
              department: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
              after_id: int | None = Query(default=None, ge=0, le=2**62), limit: int = Query(default=100, ge=1, le=1000)) -> list[Any]:
    """Entries oldest first; a department-scoped key sees its department only."""
    check_role(key, "supervisor")
    if key.department is not None:
        check_department(key, department or key.department, ["query", "department"])
        department = key.department
    return audit.entries(session, actor=actor, action=action, department=department, since=since, until=until,
                         limit=limit, after_id=after_id)

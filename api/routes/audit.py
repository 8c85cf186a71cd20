"""GET /v1/audit: the append-only log, filterable (admin, supervisor)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from discretion.store import audit

from ..deps import CurrentKey, SessionDep, check_department, check_role
from ..params import AfterId, DepartmentQuery, InstantQuery, Limit, ShortText

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    department: str | None
    target: str
    detail: dict[str, Any]


class AuditHead(BaseModel):
    """The audit log's hash chain head: keep it outside the database and check the log against it
    with `discretion audit verify --head HASH`."""

    entries: int
    hash: str


@router.get("/audit/head", response_model=AuditHead)
def audit_head(session: SessionDep, key: CurrentKey) -> AuditHead:
    """The chain head now (admin, supervisor)."""
    check_role(key, "supervisor")
    entries, hash_ = audit.head(session)
    return AuditHead(entries=entries, hash=hash_)


@router.get("/audit", response_model=list[AuditPublic])
def audit_log(
    session: SessionDep,
    key: CurrentKey,
    response: Response,
    actor: ShortText = None,
    action: ShortText = None,
    department: DepartmentQuery = None,
    since: InstantQuery = None,
    until: InstantQuery = None,
    after_id: AfterId = None,
    limit: Limit = 100,
) -> list[Any]:
    """Entries oldest first; a department-scoped key sees its department only. The X-Audit-Head
    header carries the hash chain's head (GET /v1/audit/head)."""
    check_role(key, "supervisor")
    response.headers["X-Audit-Head"] = audit.head(session)[1]
    if key.department is not None:
        check_department(key, department or key.department, ["query", "department"])
        department = key.department
    return audit.entries(
        session,
        actor=actor,
        action=action,
        department=department,
        since=since,
        until=until,
        limit=limit,
        after_id=after_id,
    )

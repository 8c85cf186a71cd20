"""POST /v1/sweeps and GET/DELETE /v1/sweeps/{id}: consistency sweeps over the stored decided cases,
run as durable jobs (any instance may take one; a restart does not lose it)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from discretion.errors import NotFound
from discretion.jobs import cancel, enqueue
from discretion.consistency.job import KIND
from discretion.store.audit import record
from discretion.store.tables import AuditEntry, Job, SweepRun
from sqlmodel import select

from discretion.store.users import actor_name

from ..params import RecordIdPath
from ..deps import CurrentKey, SessionDep, check_department, check_role

router = APIRouter(prefix="/v1", tags=["sweeps"])


class SweepRequest(BaseModel):
    """Which decided cases to sweep: one department (a scoped key's own by default) and decision dates."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(default=None, max_length=64)
    since: dt.date | None = Field(default=None, description="决定日期起（含）")
    until: dt.date | None = Field(default=None, description="决定日期止（含）")

    @model_validator(mode="after")
    def _order(self) -> SweepRequest:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since")
        return self


class AuditHeadAt(BaseModel):
    """The audit log's hash chain head when the sweep was started (its `sweep.start` entry): kept with the
    report, outside the database, it lets `discretion audit verify --head HASH` prove that nothing logged up
    to then was removed or changed since."""

    entry: int
    hash: str


class SweepPublic(BaseModel):
    id: str
    status: str
    department: str | None
    since: dt.date | None
    until: dt.date | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    progress_done: int = 0
    progress_total: int | None = None
    report: dict[str, Any] | None
    audit_head: AuditHeadAt | None = None


def _public(run: SweepRun, job: Job | None, session: SessionDep) -> dict[str, Any]:
    out = run.model_dump()
    started = session.exec(
        select(AuditEntry).where(AuditEntry.action == "sweep.start", AuditEntry.target == run.id)
    ).first()
    if started is not None and started.id is not None and started.hash is not None:
        out["audit_head"] = {"entry": started.id, "hash": started.hash}
    if job is not None:
        out |= {"progress_done": job.progress_done, "progress_total": job.progress_total}
        if job.state in ("queued", "failed", "cancelled") and run.status in ("queued", "running"):
            out["status"] = job.state  # a job retried, given up, or cancelled before it ran
            out["error"] = run.error or job.error
    return out


def _own(session: SessionDep, key: CurrentKey, sweep_id: str) -> SweepRun:
    run = session.get(SweepRun, sweep_id)
    if run is None or (key.department is not None and run.department != key.department):
        raise NotFound(f"no sweep {sweep_id!r}", field="sweep_id")
    return run


@router.post("/sweeps", response_model=SweepPublic, status_code=202)
def start_sweep(body: SweepRequest, http: Request, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """Queue a consistency sweep over stored decided cases (supervisor); poll GET /v1/sweeps/{id}.
    Sweeps run one at a time per instance: more wait in the queue."""
    check_role(key, "supervisor")
    department = body.department or key.department
    if department is not None:
        check_department(key, department, ["body", "department"])
    run = SweepRun(
        id=secrets.token_hex(8), requested_by=actor_name(key), department=department, since=body.since, until=body.until
    )
    session.add(run)
    job = enqueue(
        session,
        KIND,
        {"sweep_id": run.id},
        department=department,
        created_by=actor_name(key),
        max_attempts=3,
        job_id=run.id,
    )
    record(
        session,
        actor_name(key),
        "sweep.start",
        department=department,
        target=run.id,
        detail={"since": str(body.since) if body.since else None, "until": str(body.until) if body.until else None},
    )
    session.commit()
    session.refresh(run)
    http.app.state.worker.wake()
    return _public(run, job, session)


@router.get("/sweeps/{sweep_id}", response_model=SweepPublic)
def get_sweep(sweep_id: RecordIdPath, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """A sweep's status and progress (cases) and, when done, its report (findings, units, officers, rejected rows)."""
    check_role(key, "supervisor")
    run = _own(session, key, sweep_id)
    return _public(run, session.get(Job, sweep_id), session)


@router.delete("/sweeps/{sweep_id}", response_model=SweepPublic)
def cancel_sweep(sweep_id: RecordIdPath, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """Cancel a queued or running sweep (supervisor); a running one stops at its next progress report."""
    check_role(key, "supervisor")
    run = _own(session, key, sweep_id)
    job = cancel(session, sweep_id)
    record(session, actor_name(key), "sweep.cancel", department=run.department, target=run.id)
    session.commit()
    session.refresh(run)
    return _public(run, job, session)

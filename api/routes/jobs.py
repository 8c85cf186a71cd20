"""GET /v1/jobs: durable jobs (sweeps, bulk checks, webhook deliveries), their progress; cancel, retry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import col, select

from discretion.errors import NotFound
from discretion.jobs.queue import cancel, retry
from discretion.store.audit import record
from discretion.store.tables import Job
from discretion.store.users import actor_name

from ..params import RecordIdPath
from ..deps import CurrentKey, SessionDep, check_role

router = APIRouter(prefix="/v1", tags=["jobs"])


class JobPublic(BaseModel):
    """A job as supervisors see it (a delivery's payload holds the alerts it carries)."""

    id: str
    kind: str
    state: str
    department: str | None
    attempts: int
    max_attempts: int
    progress_done: int
    progress_total: int | None
    cancel_requested: bool
    result: dict[str, Any] | None
    error: str | None
    run_after: dt.datetime
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def _own(session: SessionDep, key: CurrentKey, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None or (key.department is not None and job.department != key.department):
        raise NotFound(f"no job {job_id!r}", field="job_id")
    return job


@router.get("/jobs", response_model=list[JobPublic])
def list_jobs(
    session: SessionDep,
    key: CurrentKey,
    kind: str | None = Query(None, max_length=32),
    state: str | None = Query(None, max_length=16),
    limit: int = Query(100, ge=1, le=1000),
) -> list[Job]:
    """Jobs, newest first (supervisor; a scoped key sees its department's)."""
    check_role(key, "supervisor")
    q = select(Job)
    if key.department is not None:
        q = q.where(Job.department == key.department)
    if kind:
        q = q.where(Job.kind == kind)
    if state:
        q = q.where(Job.state == state)
    return list(session.exec(q.order_by(col(Job.created_at).desc(), col(Job.id)).limit(limit)))


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: RecordIdPath, session: SessionDep, key: CurrentKey) -> Job:
    """One job: state, attempts, progress, result or error (supervisor)."""
    check_role(key, "supervisor")
    return _own(session, key, job_id)


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic)
def cancel_job(job_id: RecordIdPath, session: SessionDep, key: CurrentKey) -> Job:
    """Cancel a queued or running job (supervisor); a running one stops at its next progress report."""
    check_role(key, "supervisor")
    job = _own(session, key, job_id)
    job = cancel(session, job.id)
    record(
        session,
        actor_name(key),
        "job.cancel",
        department=job.department,
        target=job.id,
        detail={"kind": job.kind},
    )
    session.commit()
    session.refresh(job)
    return job


@router.post("/jobs/{job_id}/retry", response_model=JobPublic)
def retry_job(job_id: RecordIdPath, http: Request, session: SessionDep, key: CurrentKey) -> Job:
    """Queue a failed job again (admin), e.g. webhook deliveries once their receiver is back."""
    check_role(key, "admin")
    job = retry(session, _own(session, key, job_id).id)
    record(
        session,
        actor_name(key),
        "job.retry",
        department=job.department,
        target=job.id,
        detail={"kind": job.kind},
    )
    session.commit()
    session.refresh(job)
    http.app.state.worker.wake()
    return job

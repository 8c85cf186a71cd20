"""The job queue's statements: enqueue, claim, renew a lease, report progress, finish, retry, cancel.

A job is `queued` (waiting for `run_after`), `running` (held by `worker` until `lease_until`; the
worker's heartbeat renews the lease), then `done`, `failed` or `cancelled`. A running job whose lease
ran out (its worker died: a restart, a crash) is claimable again, so nothing is lost and a job may run
more than once: handlers are written to be idempotent. Claims use SELECT … FOR UPDATE SKIP LOCKED on
PostgreSQL, so instances never wait on each other's rows; on SQLite (one process) the conditional
UPDATE that follows the SELECT is what makes a claim exclusive.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..errors import Conflict, NotFound
from ..store.tables import Job, utcnow

_J = Job.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL = (DONE, FAILED, CANCELLED)


class JobCancelled(Exception):
    """Raised inside a handler (by its progress call) when the job was cancelled."""


class JobFailed(Exception):
    """Raised by a handler for a failure that retrying cannot mend: the job fails at once."""


def backoff(attempts: int, base: float, cap: float) -> dt.timedelta:
    """Exponential backoff after the n-th failed attempt: base·2^(n-1), at most `cap` seconds."""
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    department: str | None = None,
    created_by: str = "system",
    max_attempts: int = 5,
    job_id: str | None = None,
    run_after: dt.datetime | None = None,
) -> Job:
    """Add a job in the caller's transaction (it exists exactly when the work it stands for does)."""
    job = Job(
        id=job_id or secrets.token_hex(8),
        kind=kind,
        payload=payload,
        department=department,
        created_by=created_by,
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
    )
    session.add(job)
    return job


def _claimable(now: dt.datetime) -> Any:
    return or_(
        and_(_J.c.state == QUEUED, _J.c.run_after <= now),
        and_(_J.c.state == RUNNING, _J.c.lease_until < now),
    )


def claim(engine: Engine, kinds: list[str], worker: str, lease: float) -> dict[str, Any] | None:
    """Take the oldest claimable job of one of `kinds` for `worker`, or None. A job that has used up its
    attempts (its workers kept dying) is failed instead of run again."""
    if not kinds:
        return None
    now = utcnow()
    q = select(_J.c.id).where(_J.c.kind.in_(kinds), _claimable(now)).order_by(_J.c.run_after, _J.c.id).limit(1)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        job_id = conn.execute(q).scalar()
        if job_id is None:
            return None
        won = conn.execute(
            update(_J)
            .where(_J.c.id == job_id, _claimable(now))
            .values(
                state=RUNNING,
                worker=worker,
                lease_until=now + dt.timedelta(seconds=lease),
                attempts=_J.c.attempts + 1,
                started_at=func.coalesce(_J.c.started_at, now),
            )
        )
        if won.rowcount != 1:
            return None  # taken by another claim between the SELECT and the UPDATE (SQLite)
        row = conn.execute(select(_J).where(_J.c.id == job_id)).mappings().one()
        if row["attempts"] > row["max_attempts"]:
            conn.execute(
                update(_J)
                .where(_J.c.id == job_id)
                .values(
                    state=FAILED,
                    finished_at=now,
                    lease_until=None,
                    error=f"gave up after {row['max_attempts']} attempts: {row['error'] or 'its worker stopped'}",
                )
            )
            return None
        if row["cancel_requested"]:
            conn.execute(update(_J).where(_J.c.id == job_id).values(state=CANCELLED, finished_at=now, lease_until=None))
            return None
        return dict(row)


def renew(engine: Engine, worker: str, job_ids: list[str], lease: float) -> set[str]:
    """Extend the leases of the worker's running jobs; returns those whose cancellation was asked."""
    if not job_ids:
        return set()
    until = utcnow() + dt.timedelta(seconds=lease)
    mine = and_(_J.c.id.in_(job_ids), _J.c.worker == worker, _J.c.state == RUNNING)
    with engine.begin() as conn:
        conn.execute(update(_J).where(mine).values(lease_until=until))
        return set(conn.execute(select(_J.c.id).where(mine, _J.c.cancel_requested.is_(True))).scalars())


def progress(engine: Engine, job_id: str, worker: str, done: int, total: int | None) -> bool:
    """Record progress; returns whether the job was cancelled meanwhile."""
    mine = and_(_J.c.id == job_id, _J.c.worker == worker, _J.c.state == RUNNING)
    with engine.begin() as conn:
        conn.execute(update(_J).where(mine).values(progress_done=done, progress_total=total))
        return bool(conn.execute(select(_J.c.cancel_requested).where(_J.c.id == job_id)).scalar())


def finish(
    engine: Engine,
    job_id: str,
    worker: str,
    state: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    retry_in: dt.timedelta | None = None,
) -> bool:
    """End a run of the job: `done`, `failed`, `cancelled`, or back to `queued` after `retry_in`.
    Only the worker that holds the job may: a worker that lost its lease changes nothing (False)."""
    now = utcnow()
    values: dict[str, Any] = {"lease_until": None, "error": error}
    if retry_in is not None:
        values |= {"state": QUEUED, "run_after": now + retry_in, "worker": None}
    else:
        values |= {"state": state, "finished_at": now, "result": result}
    with engine.begin() as conn:
        won = conn.execute(
            update(_J).where(_J.c.id == job_id, _J.c.worker == worker, _J.c.state == RUNNING).values(**values)
        )
        return won.rowcount == 1


def cancel(session: Session, job_id: str) -> Job:
    """Cancel a job: a queued one at once; a running one at its next progress report (or heartbeat)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}", field="job_id")
    if job.state in FINAL:
        raise Conflict(f"job {job_id} is already {job.state}", field="state")
    session.execute(
        update(_J).where(_J.c.id == job_id, _J.c.state == QUEUED).values(state=CANCELLED, finished_at=utcnow())
    )
    session.execute(update(_J).where(_J.c.id == job_id, _J.c.state == RUNNING).values(cancel_requested=True))
    session.flush()
    session.refresh(job)
    return job


def retry(session: Session, job_id: str) -> Job:
    """Queue a failed job again with fresh attempts (e.g. a webhook delivery once its receiver is back)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}", field="job_id")
    if job.state != FAILED:
        raise Conflict(f"only a failed job can be retried; job {job_id} is {job.state}", field="state")
    session.execute(
        update(_J)
        .where(_J.c.id == job_id, _J.c.state == FAILED)
        .values(state=QUEUED, run_after=utcnow(), attempts=0, finished_at=None, cancel_requested=False)
    )
    session.flush()
    session.refresh(job)
    return job

"""The sweep job: a consistency sweep over stored decided cases, its report kept on its SweepRun.

Run again from the start if its worker died (a sweep reads and writes nothing else, so a rerun is
harmless); a failure the sweep itself reports is final (running it again would fail again).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from .sources import from_engine
from .sweep import sweep
from ..store.tables import SweepRun, utcnow
from ..jobs.queue import JobCancelled, JobFailed
from ..jobs.worker import JobContext

KIND = "sweep"


def _set(ctx: JobContext, run_id: str, **values: Any) -> None:
    with Session(ctx.engine) as session:
        run = session.get(SweepRun, run_id)
        if run is None:
            raise JobFailed(f"sweep run {run_id} is gone")
        for k, v in values.items():
            setattr(run, k, v)
        session.add(run)
        session.commit()


def run_sweep(ctx: JobContext) -> dict[str, Any]:
    """Sweep the run's scope with the instance's published rules; progress counts cases."""
    run_id = ctx.payload["sweep_id"]
    with Session(ctx.engine) as session:
        run = session.get(SweepRun, run_id)
        if run is None:
            raise JobFailed(f"sweep run {run_id} is gone")
        department, since, until = run.department, run.since, run.until
    _set(ctx, run_id, status="running", error=None)
    try:
        library = ctx.services["library"]()
        table = from_engine(
            ctx.engine, department=department, since=since, until=until, units=ctx.payload.get("units") or None
        )
        total, done = len(table), 0
        ctx.progress(0, total, every=0)

        def advance(n: int) -> None:
            nonlocal done
            done += n
            ctx.progress(done, total)

        report = sweep(library, table, department=department, since=since, until=until, progress=advance)
    except JobCancelled:
        _set(ctx, run_id, status="cancelled", finished_at=utcnow())
        raise
    except Exception as e:  # noqa: BLE001 - stored for the supervisor; the same sweep would fail again
        _set(ctx, run_id, status="failed", error=f"{type(e).__name__}: {e}", finished_at=utcnow())
        raise JobFailed(f"{type(e).__name__}: {e}") from None
    ctx.progress(total, total, every=0)
    _set(ctx, run_id, status="done", report=report.model_dump(mode="json"), finished_at=utcnow())
    return {"cases_swept": report.summary.cases_swept, "findings": len(report.findings)}

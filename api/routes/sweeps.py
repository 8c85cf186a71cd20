"""POST /v1/sweeps and GET /v1/sweeps/{id}: consistency sweeps over the stored decided cases."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session

from discretion.consistency.sources import from_engine
from discretion.consistency.sweep import sweep
from discretion.errors import NotFound
from discretion.store.audit import record
from discretion.store.tables import SweepRun, utcnow

from discretion.store.users import actor_name

from ..deps import CurrentKey, LibraryDep, SessionDep, check_department, check_role
from ..library import LibraryCache

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


class SweepPublic(BaseModel):
    id: str
    status: str
    department: str | None
    since: dt.date | None
    until: dt.date | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    report: dict[str, Any] | None


def _run(engine: Engine, library: LibraryCache, sweep_id: str, units: list[str] | None = None) -> None:
    """Run one sweep to completion and store its report (or its error); `units` narrows the cases."""
    with Session(engine) as session:
        run = session.get(SweepRun, sweep_id)
        assert run is not None
        run.status = "running"
        session.add(run)
        session.commit()
        try:
            report = sweep(library.get(), from_engine(engine, department=run.department, since=run.since, until=run.until,
                                                 units=units))
            run.report, run.status = report.model_dump(mode="json"), "done"
        except Exception as e:  # noqa: BLE001 - stored for the supervisor, never a 500
            run.status, run.error = "failed", f"{type(e).__name__}: {e}"
        run.finished_at = utcnow()
        session.add(run)
        session.commit()


@router.post("/sweeps", response_model=SweepPublic, status_code=202)
def start_sweep(body: SweepRequest, background: BackgroundTasks, http: Request, session: SessionDep, key: CurrentKey,
                library: LibraryDep) -> SweepRun:
    """Start a consistency sweep over stored decided cases (supervisor); poll GET /v1/sweeps/{id}."""
    check_role(key, "supervisor")
    department = body.department or key.department
    if department is not None:
        check_department(key, department, ["body", "department"])
    run = SweepRun(id=secrets.token_hex(8), requested_by=actor_name(key), department=department, since=body.since, until=body.until)
    session.add(run)
    record(session, actor_name(key), "sweep.start", department=department, target=run.id,
           detail={"since": str(body.since) if body.since else None, "until": str(body.until) if body.until else None})
    session.commit()
    session.refresh(run)
    background.add_task(_run, http.app.state.engine, library, run.id)
    return run


@router.get("/sweeps/{sweep_id}", response_model=SweepPublic)
def get_sweep(sweep_id: str, session: SessionDep, key: CurrentKey) -> SweepRun:
    """A sweep's status and, when done, its report (findings, units, officers, rejected rows)."""
    check_role(key, "supervisor")
    run = session.get(SweepRun, sweep_id)
    if run is None or (key.department is not None and run.department != key.department):
        raise NotFound(f"no sweep {sweep_id!r}", field="sweep_id")
    return run

"""POST /v1/decisions: record a decision actually made and check it at once (事中预警)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from discretion.decisions.bulk import KIND as CHECK_IMPORTED
from discretion.decisions.record import DecisionIn, Pending, check_decision
from discretion.errors import NotFound
from discretion.jobs import enqueue
from discretion.store.audit import record
from discretion.store.tables import Decision, Job
from discretion.store.users import actor_name

from ..decision_writer import writer_for
from ..params import CaseIdPath
from ..deps import CurrentKey, SessionDep, check_department, check_role, library_of
from ..workers import warm_inline
from .jobs import JobPublic

router = APIRouter(prefix="/v1", tags=["decisions"])


class FindingPublic(BaseModel):
    kind: str
    label: str
    severity: str
    rule: str
    citation: str
    message: str
    alert_id: int | None


class DecisionAnswer(BaseModel):
    """What the check found (in Chinese, each with its rule and article), the ruleset it was checked
    against, and the recommendation for the same case. 201 when recorded now, 200 when already recorded."""

    case_id: str
    officer: str
    ruleset: dict[str, str]
    ok: bool
    reason_required: bool
    findings: list[FindingPublic]
    recommendation: dict[str, Any]


def officer_of(key: Any) -> str:
    """Who decided: the key's user (keys made before users existed: the key id), as the audit log names them."""
    return actor_name(key)


@router.post(
    "/decisions",
    response_model=DecisionAnswer,
    status_code=201,
    responses={200: {"model": DecisionAnswer, "description": "already recorded with the same content"}},
)
async def record_decision(body: DecisionIn, key: CurrentKey, http: Request) -> Response:
    """Record the decision made in a case and check it against the benchmark at once (officer)."""
    check_role(key, "officer")
    check_department(key, body.department, ["body", "department"])
    # evaluation and check inline when the cell is warm, else a worker thread; the write with others' in one transaction
    lib = await library_of(http).aget()  # no dependency of its own: each costs FastAPI ~30 µs per request
    result, crs = await warm_inline(lambda: check_decision(lib, body))
    pending = Pending(body=body, officer=officer_of(key), actor=officer_of(key), result=result, crs=crs)
    answer, created, queued = await writer_for(http.app.state.engine).store(pending)
    if queued:
        http.app.state.worker.wake()
    return Response(
        content=orjson.dumps(answer),
        media_type="application/json",
        status_code=201 if created else 200,
    )


@router.get("/decisions/{case_id}", response_model=DecisionAnswer)
def get_decision(case_id: CaseIdPath, session: SessionDep, key: CurrentKey) -> Response:
    """A recorded decision's answer, as it was given (officer, supervisor)."""
    check_role(key, "officer", "supervisor")
    row = session.get(Decision, case_id)
    if row is None or row.source != "api" or (key.department is not None and row.department != key.department):
        raise NotFound(f"no recorded decision {case_id!r}", field="case_id")
    return Response(content=orjson.dumps(row.answer), media_type="application/json")


class CheckImported(BaseModel):
    """Which imported decided cases to check: one department (a scoped key's own by default), decision dates."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(default=None, max_length=64)
    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _order(self) -> CheckImported:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since")
        return self


@router.post("/decisions/check-imported", response_model=JobPublic, status_code=202)
def check_imported(body: CheckImported, http: Request, session: SessionDep, key: CurrentKey) -> Job:
    """Check imported decided cases as decisions are checked, in bulk, as a job (supervisor); alerts as for
    recorded decisions. Poll GET /v1/jobs/{id}."""
    check_role(key, "supervisor")
    department = body.department or key.department
    if department is not None:
        check_department(key, department, ["body", "department"])
    job = enqueue(
        session,
        CHECK_IMPORTED,
        body.model_copy(update={"department": department}).model_dump(mode="json"),
        department=department,
        created_by=actor_name(key),
        max_attempts=3,
    )
    record(session, actor_name(key), "decision.check_imported.start", department=department, target=job.id)
    session.commit()
    session.refresh(job)
    http.app.state.worker.wake()
    return job

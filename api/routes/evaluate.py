"""POST /v1/evaluate: the same result object as `discretion evaluate --json`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlmodel import Session

from discretion.evaluation import EvaluationRequest, evaluate
from discretion.evaluation.result import Recommendation
from discretion.store.audit import record
from discretion.store.tables import Evaluation

from ..deps import CurrentKey, LibraryDep, check_department, check_role

router = APIRouter(prefix="/v1", tags=["evaluate"])


class EvaluateBody(EvaluationRequest):
    """The facts of one case; `record: true` stores the evaluation (and its audit entry)."""

    decision_date: dt.date = Field(default_factory=dt.date.today, description="作出处罚决定之日（缺省：今天）")
    record: bool = False


@router.post("/evaluate", response_model=Recommendation)
def evaluate_case(body: EvaluateBody, key: CurrentKey, library: LibraryDep, http: Request) -> Response:
    """Recommend a penalty for one case, with its citation trace."""
    check_role(key, "officer")
    check_department(key, body.department, ["body", "department"])
    request = EvaluationRequest.model_validate(body.model_dump(exclude={"record"}))
    rec = evaluate(library.get(), request)
    payload = rec.model_dump_json()
    if body.record:
        with Session(http.app.state.engine) as session, session.begin():
            ev = Evaluation(department=body.department, item=body.item, request=request.model_dump(mode="json"),
                            result=rec.model_dump(mode="json"), ruleset_hash=rec.ruleset.hash, actor=key.id)
            session.add(ev)
            session.flush()
            record(session, key.id, "evaluation.record", department=body.department, target=str(ev.id),
                   detail={"item": body.item, "outcome": rec.outcome, "ruleset_hash": rec.ruleset.hash})
    return Response(content=payload, media_type="application/json")

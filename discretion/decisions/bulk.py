"""Imported decided cases checked as decisions are, in bulk, as a durable job.

Cases without a check yet (no `decision` row) are read in batches; each is evaluated and checked like a
recorded decision (check.py) and stored with its alerts and their webhook deliveries, one transaction per
batch, so a rerun after a restart carries on where the last committed batch ended. Imported cases list
only their penalties (by name) and no reason, so the measures they omit are checked only among penalties,
and a missing reason is not reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ..errors import DiscretionError
from ..evaluation import EvaluationRequest
from ..jobs.worker import JobContext
from ..loader import RulesetLibrary
from ..store.audit import record
from ..store.tables import Alert, DecidedCase, Decision
from .check import DecisionMade, check
from .record import enqueue_deliveries

KIND = "decisions.check_imported"
BATCH = 500

_C = DecidedCase.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped
_D = Decision.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped


def _unchecked(department: str | None, since: dt.date | None, until: dt.date | None) -> Any:
    q = select(_C).select_from(_C.outerjoin(_D, _D.c.case_id == _C.c.case_id)).where(_D.c.case_id.is_(None))
    if department:
        q = q.where(_C.c.department == department)
    if since:
        q = q.where(_C.c.decision_date >= since)
    if until:
        q = q.where(_C.c.decision_date <= until)
    return q


def check_stored_cases(ctx: JobContext) -> dict[str, Any]:
    """The job: check every unchecked imported case in scope; progress counts cases."""
    p = ctx.payload
    department = p.get("department")
    since = dt.date.fromisoformat(p["since"]) if p.get("since") else None
    until = dt.date.fromisoformat(p["until"]) if p.get("until") else None
    library: RulesetLibrary = ctx.services["library"]()
    base = _unchecked(department, since, until)
    with ctx.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar() or 0)
    done = alerts = errors = 0
    ctx.progress(0, total, every=0)
    while True:
        with ctx.engine.connect() as conn:
            rows = conn.execute(base.order_by(_C.c.case_id).limit(BATCH)).mappings().all()
        if not rows:
            break
        with Session(ctx.engine) as session, session.begin():
            for row in rows:
                found, failed = _check_one(session, library, row)
                alerts += found
                errors += failed
            record(
                session,
                ctx.job["created_by"],
                "decision.check_imported",
                department=department,
                target=ctx.job["id"],
                detail={"cases": len(rows), "first": rows[0]["case_id"]},
            )
        done += len(rows)
        ctx.progress(done, total)
    return {"cases": done, "alerts": alerts, "not_checked": errors}


def _check_one(session: Session, library: RulesetLibrary, row: Any) -> tuple[int, int]:
    """Check one imported case and store its decision row and alerts. Returns (alerts, 1 if it could not be checked)."""
    request = EvaluationRequest(
        department=row["department"],
        item=row["item"],
        facts=row["facts"],
        act_date=row["act_date"],
        decision_date=row["decision_date"],
    )
    made = DecisionMade(
        request=request,
        outcome=row["outcome"],
        fine=row["fine"],
        measures=None,
        penalty_names=frozenset(row["penalties"]),
        reason=None,
    )
    try:
        result = check(library, made)
    except DiscretionError as e:
        session.add(
            Decision(
                case_id=row["case_id"],
                department=row["department"],
                source="import",
                recorded_by="import",
                content_hash=row["content_hash"],
                answer={"error": str(e)},
            )
        )
        return 0, 1
    rec = result.recommendation
    alerts = [
        Alert(
            case_id=row["case_id"],
            department=row["department"],
            item=row["item"],
            unit=row["unit"],
            officer=row["officer"],
            decision_date=row["decision_date"],
            kind=f.kind,
            severity=f.severity,
            rule=f.rule[:200],
            citation=f.citation,
            message=f.message,
        )
        for f in result.findings
    ]
    session.add_all(alerts)
    session.add(
        Decision(
            case_id=row["case_id"],
            department=row["department"],
            source="import",
            ruleset_hash=rec.ruleset.hash,
            ruleset_version=rec.ruleset.version,
            recorded_by="import",
            content_hash=row["content_hash"],
            answer={"findings": [f.model_dump() for f in result.findings]},
        )
    )
    if alerts:
        session.flush()
        enqueue_deliveries(session, row["department"], alerts)
    return len(alerts), 0

"""Recording a decision: its format, its check, and one transaction that stores the decided case, the
decision with its ruleset hash, its alerts, the webhook deliveries of those alerts, and an audit entry.

Idempotent by case id: the same content again returns the first answer; other content under a case id
already stored is refused (the first stands). Nothing is stored half-way: everything is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationInfo, field_validator, model_validator
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from ..compiler import CompiledRuleset
from ..errors import Conflict, EvaluationError
from ..evaluation import EvaluationRequest
from ..loader import RulesetLibrary
from ..store.audit import record
from ..store.cases import DecidedCaseIn
from ..store.tables import Alert, DecidedCase, Decision, Evaluation, Webhook
from .check import CheckResult, DecisionMade, check

#: how often a webhook delivery is tried before it waits for an admin's retry (backoff up to 10 min)
DELIVERY_ATTEMPTS = 12


class DecisionIn(BaseModel):
    """A decision actually made, as the officer records it (the body of POST /v1/decisions)."""

    model_config = ConfigDict(extra="forbid")

    case_id: str = Field(min_length=1, max_length=128, description="案件编号（同一编号只记录一次）")
    department: str = Field(min_length=1, max_length=64)
    item: str = Field(min_length=1, max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict)
    act_date: dt.date = Field(description="违法行为发生之日")
    act_end_date: dt.date | None = Field(default=None, description="连续或者继续状态的终了之日")
    discovery_date: dt.date | None = Field(default=None, description="发现（立案）之日，缺省为决定之日")
    decision_date: dt.date = Field(description="作出处罚决定之日")
    outcome: Literal["no_penalty", "exemption", "penalty"]
    fine: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2, description="罚款（元）")
    measures: list[StrictStr] = Field(default_factory=list, max_length=64,
                                      description="所采取的处罚与措施（编码，如 order_correction）")
    unit: str = Field(default="", max_length=200, description="执法机构或镇街")
    evaluation_id: int | None = Field(default=None, ge=1, description="所依据的已记录的求值（如有）")
    reason: str = Field(default="", max_length=4000, description="偏离基准或适用“可以”条目的理由")

    @field_validator("fine", mode="before")
    @classmethod
    def _no_float_or_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("not a number")
        return Decimal(repr(v)) if isinstance(v, float) else v

    @field_validator("decision_date")
    @classmethod
    def _not_before_act(cls, v: dt.date, info: ValidationInfo) -> dt.date:
        act = info.data.get("act_date")
        if act is not None and v < act:
            raise ValueError(f"the decision ({v}) is before the act ({act})")
        return v

    @model_validator(mode="after")
    def _fine_only_with_penalty(self) -> DecisionIn:
        if self.outcome != "penalty" and self.fine:
            raise ValueError("fine: a fine is imposed only with outcome 'penalty'")
        return self

    def request(self) -> EvaluationRequest:
        return EvaluationRequest(department=self.department, item=self.item, facts=self.facts, act_date=self.act_date,
                                 act_end_date=self.act_end_date, discovery_date=self.discovery_date,
                                 decision_date=self.decision_date)

    def content_hash(self, officer: str) -> str:
        doc = {**self.model_dump(mode="json"), "officer": officer}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def check_decision(library: RulesetLibrary, body: DecisionIn) -> tuple[CheckResult, CompiledRuleset]:
    """Evaluate and check; measures must be measures of the version that applies (422 naming the entry)."""
    result = check(library, DecisionMade(request=body.request(), outcome=body.outcome, fine=body.fine,
                                         measures=frozenset(body.measures), reason=body.reason))
    ident = result.recommendation.ruleset
    crs = library.version(ident.department, ident.version)
    known = crs.ruleset.measures
    for i, code in enumerate(body.measures):
        if code not in known:
            raise EvaluationError(f"{code!r} is not a measure of {ident.department} {ident.version} "
                                  f"(known: {', '.join(sorted(known))})", field=f"measures[{i}]")
    return result, crs


def _answer(body: DecisionIn, officer: str, result: CheckResult, alert_ids: list[int]) -> dict[str, Any]:
    rec = result.recommendation
    return {"case_id": body.case_id, "officer": officer,
            "ruleset": {"department": rec.ruleset.department, "version": rec.ruleset.version, "hash": rec.ruleset.hash},
            "ok": not result.findings, "reason_required": result.reason_required,
            "findings": [{**f.model_dump(), "alert_id": a} for f, a in zip(result.findings, alert_ids)],
            "recommendation": rec.model_dump(mode="json")}


def store_decision(engine: Engine, body: DecisionIn, *, officer: str, actor: str, result: CheckResult,
                   crs: CompiledRuleset) -> tuple[dict[str, Any], bool, int]:
    """Store the decision (or find it stored). Returns (answer, newly stored, webhook deliveries queued)."""
    digest = body.content_hash(officer)
    for attempt in (1, 2):  # a concurrent request may store the same case id first: re-read once
        try:
            with Session(engine) as session, session.begin():
                return _store(session, body, officer, actor, result, crs, digest)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _store(session: Session, body: DecisionIn, officer: str, actor: str, result: CheckResult,
           crs: CompiledRuleset, digest: str) -> tuple[dict[str, Any], bool, int]:
    stored = session.get(Decision, body.case_id)
    if stored is not None:
        if stored.content_hash == digest:
            return stored.answer, False, 0
        raise Conflict(f"case {body.case_id!r} was already recorded with different content; the first record "
                       "stands (record a correction under a new case id)", field="case_id")
    if session.get(DecidedCase, body.case_id) is not None:
        raise Conflict(f"case {body.case_id!r} is already stored as an imported decided case", field="case_id")
    if body.evaluation_id is not None:
        ev = session.get(Evaluation, body.evaluation_id)
        if ev is None or ev.department != body.department or ev.item != body.item:
            raise EvaluationError(f"no recorded evaluation {body.evaluation_id} of {body.department} {body.item}",
                                  field="evaluation_id")
    rec = result.recommendation
    names = crs.ruleset.measures
    case = DecidedCaseIn(case_id=body.case_id, department=body.department, item=body.item, facts=body.facts,
                         act_date=body.act_date, decision_date=body.decision_date, unit=body.unit, officer=officer,
                         outcome=body.outcome, fine=body.fine,
                         penalties=sorted(names[m] for m in set(body.measures) if m in crs.ruleset.penalty_measures))
    session.add(DecidedCase(**case.model_dump(), content_hash=case.content_hash(), batch_id=f"decision:{actor}"))
    alerts = [Alert(case_id=body.case_id, department=body.department, item=body.item, unit=body.unit, officer=officer,
                    decision_date=body.decision_date, kind=f.kind, severity=f.severity, rule=f.rule[:200],
                    citation=f.citation, message=f.message) for f in result.findings]
    session.add_all(alerts)
    session.flush()
    ids = [a.id for a in alerts]
    answer = _answer(body, officer, result, ids)  # type: ignore[arg-type]
    session.add(Decision(case_id=body.case_id, department=body.department, source="api",
                         act_end_date=body.act_end_date, discovery_date=body.discovery_date, measures=body.measures,
                         evaluation_id=body.evaluation_id, reason=body.reason, ruleset_hash=rec.ruleset.hash,
                         ruleset_version=rec.ruleset.version, recorded_by=actor, content_hash=digest, answer=answer))
    queued = enqueue_deliveries(session, body.department, alerts) if alerts else 0
    record(session, actor, "decision.record", department=body.department, target=body.case_id,
           detail={"item": body.item, "outcome": body.outcome, "fine": str(body.fine) if body.fine is not None else None,
                   "ruleset_hash": rec.ruleset.hash, "alerts": len(alerts)})
    return answer, True, queued


def alert_body(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "case_id": alert.case_id, "department": alert.department, "item": alert.item,
            "unit": alert.unit, "officer": alert.officer, "decision_date": alert.decision_date.isoformat(),
            "kind": alert.kind, "severity": alert.severity, "rule": alert.rule, "citation": alert.citation,
            "message": alert.message}


def enqueue_deliveries(session: Session, department: str, alerts: list[Alert]) -> int:
    """One delivery job per live webhook of the department (or of every department) for these alerts,
    in the caller's transaction: the alerts and their deliveries are stored together or not at all."""
    from ..alerts.webhooks import KIND
    from ..jobs import enqueue

    hooks = session.exec(select(Webhook).where(col(Webhook.removed_at).is_(None),
                                               or_(col(Webhook.department).is_(None), Webhook.department == department)))
    n = 0
    for hook in hooks:
        job_id = secrets.token_hex(8)
        body = {"event": "alerts.created", "idempotency_key": job_id, "department": department,
                "alerts": [alert_body(a) for a in alerts]}
        enqueue(session, KIND, {"webhook_id": hook.id, "body": body}, department=department,
                max_attempts=DELIVERY_ATTEMPTS, job_id=job_id)
        n += 1
    return n

"""Recording a decision: its format, its check, and one transaction that stores the decided case, the
decision with its ruleset hash, its alerts, the webhook deliveries of those alerts, and an audit entry.

Idempotent by case id: the same content again returns the first answer; other content under a case id
already stored is refused (the first stands). Nothing is stored half-way: everything is one transaction.
The audit entry is the log's usual row (store/audit.py), written by the same Core INSERT as the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..compiler import CompiledRuleset
from ..errors import Conflict, EvaluationError
from ..evaluation import CaseRequest, EvaluationRequest
from ..loader import RulesetLibrary
from ..store.cases import DecidedCaseIn
from ..store.tables import Alert, AuditEntry, DecidedCase, Decision, Evaluation, Webhook, utcnow
from .check import CheckResult, DecisionMade, check

#: how often a webhook delivery is tried before it waits for an admin's retry (backoff up to 10 min)
DELIVERY_ATTEMPTS = 12


class DecisionIn(CaseRequest):
    """A decision actually made, as the officer records it (the body of POST /v1/decisions): the case
    as an evaluation states it (the same fields and bounds), and what was decided."""

    case_id: str = Field(min_length=1, max_length=128, description="案件编号（同一编号只记录一次）")
    outcome: Literal["no_penalty", "exemption", "penalty"]
    fine: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2, description="罚款（元）")
    measures: list[StrictStr] = Field(
        default_factory=list,
        max_length=64,
        description="所采取的处罚与措施（编码，如 order_correction）",
    )
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
        return EvaluationRequest(**self.model_dump(include=set(EvaluationRequest.model_fields)))

    def content_hash(self, officer: str) -> str:
        doc = {**self.model_dump(mode="json"), "officer": officer}
        return hashlib.sha256(
            json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()


#: the decided-case fields a decision gives as they are (the officer and the penalties are derived)
_CASE_FIELDS = set(DecidedCaseIn.model_fields) - {"officer", "penalties"}


def check_decision(library: RulesetLibrary, body: DecisionIn) -> tuple[CheckResult, CompiledRuleset]:
    """Evaluate and check; measures must be measures of the version that applies (422 naming the entry)."""
    result = check(
        library,
        DecisionMade(
            request=body.request(),
            outcome=body.outcome,
            fine=body.fine,
            measures=frozenset(body.measures),
            reason=body.reason,
        ),
    )
    ident = result.recommendation.ruleset
    crs = library.version(ident.department, ident.version)
    known = crs.ruleset.measures
    for i, code in enumerate(body.measures):
        if code not in known:
            raise EvaluationError(
                f"{code!r} is not a measure of {ident.department} {ident.version} (known: {', '.join(sorted(known))})",
                field=f"measures[{i}]",
            )
    return result, crs


def _answer(body: DecisionIn, officer: str, result: CheckResult, alert_ids: list[int]) -> dict[str, Any]:
    rec = result.recommendation
    return {
        "case_id": body.case_id,
        "officer": officer,
        "ruleset": {
            "department": rec.ruleset.department,
            "version": rec.ruleset.version,
            "hash": rec.ruleset.hash,
        },
        "ok": not result.findings,
        "reason_required": result.reason_required,
        "findings": [{**f.model_dump(), "alert_id": a} for f, a in zip(result.findings, alert_ids, strict=True)],
        "recommendation": rec.model_dump(mode="json"),
    }


_CASE = DecidedCase.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped
_DECISION = Decision.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped
_ALERT = Alert.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped
_AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped


def store_decision(
    engine: Engine,
    body: DecisionIn,
    *,
    officer: str,
    actor: str,
    result: CheckResult,
    crs: CompiledRuleset,
) -> tuple[dict[str, Any], bool, int]:
    """Store the decision, or find it stored. Returns (answer, newly stored, webhook deliveries queued).

    The common case is a few INSERTs in one transaction, written as Core statements (no ORM unit of
    work: this is on every decision's path); a case id already taken shows as the first INSERT's
    IntegrityError, and only then is the stored record read."""
    digest = body.content_hash(officer)
    p = Pending(body, officer, actor, result, crs)
    try:
        if engine.dialect.name == "postgresql" and not result.findings and body.evaluation_id is None:
            return _insert_in_one_statement(engine, p, digest)
        with Session(engine) as session, session.begin():
            return _insert(session, p, digest)
    except IntegrityError:
        with Session(engine) as session:
            return _stored(session, body, digest)


def _stored(session: Session, body: DecisionIn, digest: str) -> tuple[dict[str, Any], bool, int]:
    """The case id is taken: the same decision again (its first answer), or a refusal."""
    stored = session.get(Decision, body.case_id)
    if stored is not None and stored.content_hash == digest:
        return stored.answer, False, 0
    if stored is not None:
        raise Conflict(
            f"case {body.case_id!r} was already recorded with different content; the first record "
            "stands (record a correction under a new case id)",
            field="case_id",
        )
    raise Conflict(f"case {body.case_id!r} is already stored as an imported decided case", field="case_id")


def _rows(p: Pending, digest: str) -> dict[str, Any]:
    """The rows one decision writes: its decided case, its alerts (no ids yet), its decision row (but the
    answer, which needs the alert ids) and its audit entry."""
    body, officer, actor, result, crs = p.body, p.officer, p.actor, p.result, p.crs
    rec, now = result.recommendation, utcnow()
    case = DecidedCaseIn.model_construct(
        **body.model_dump(include=_CASE_FIELDS),
        officer=officer,
        penalties=sorted(crs.ruleset.measures[m] for m in set(body.measures) if m in crs.ruleset.penalty_measures),
    )
    return {
        "case": {
            **case.model_dump(),
            "content_hash": case.content_hash(),
            "batch_id": f"decision:{actor}",
            "imported_at": now,
        },
        "alerts": [
            {
                "case_id": body.case_id,
                "department": body.department,
                "item": body.item,
                "unit": body.unit,
                "officer": officer,
                "decision_date": body.decision_date,
                "kind": f.kind,
                "severity": f.severity,
                "rule": f.rule[:200],
                "citation": f.citation,
                "message": f.message,
                "state": "open",
                "note": "",
                "created_at": now,
            }
            for f in result.findings
        ],
        "decision": {
            "case_id": body.case_id,
            "department": body.department,
            "source": "api",
            "act_end_date": body.act_end_date,
            "discovery_date": body.discovery_date,
            "measures": body.measures,
            "evaluation_id": body.evaluation_id,
            "reason": body.reason,
            "ruleset_hash": rec.ruleset.hash,
            "ruleset_version": rec.ruleset.version,
            "recorded_by": actor,
            "content_hash": digest,
            "created_at": now,
        },
        "audit": {
            "at": now,
            "actor": actor,
            "action": "decision.record",
            "department": body.department,
            "target": body.case_id,
            "detail": {
                "item": body.item,
                "outcome": body.outcome,
                "fine": str(body.fine) if body.fine is not None else None,
                "ruleset_hash": rec.ruleset.hash,
                "alerts": len(result.findings),
            },
        },
    }


def _insert(session: Session, p: Pending, digest: str) -> tuple[dict[str, Any], bool, int]:
    body = p.body
    if body.evaluation_id is not None:
        ev = session.get(Evaluation, body.evaluation_id)
        if ev is None or ev.department != body.department or ev.item != body.item:
            raise EvaluationError(
                f"no recorded evaluation {body.evaluation_id} of {body.department} {body.item}",
                field="evaluation_id",
            )
    out: list[Any] = [None]
    _insert_many(session, [p], [0], out)
    return out[0]  # type: ignore[no-any-return]  # _insert_many fills out


_JSON_COLUMNS = {"facts", "penalties", "measures", "answer", "detail"}
_ONE_STATEMENT: dict[tuple[str, ...], Any] = {}


def _insert_in_one_statement(engine: Engine, p: Pending, digest: str) -> tuple[dict[str, Any], bool, int]:
    """PostgreSQL, a decision without alerts: its three rows in one statement (data-modifying CTEs) sent in
    autocommit, so one round trip instead of five (BEGIN, three INSERTs, COMMIT). All or nothing, as one
    statement is; a case id already taken raises the same IntegrityError."""
    rows = _rows(p, digest)
    answer = _answer(p.body, p.officer, p.result, [])
    parts = (
        ("decided_case", rows["case"]),
        ("decision", {**rows["decision"], "answer": answer}),
        ("audit_log", rows["audit"]),
    )
    shape = tuple(f"{t}:{','.join(r)}" for t, r in parts)
    stmt = _ONE_STATEMENT.get(shape)
    if stmt is None:
        inserts = []
        for n, (table, row) in enumerate(parts):
            values = ", ".join(f"CAST(:p{n}_{c} AS json)" if c in _JSON_COLUMNS else f":p{n}_{c}" for c in row)
            inserts.append(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({values})")
        stmt = _ONE_STATEMENT[shape] = text(f"WITH c AS ({inserts[0]}), d AS ({inserts[1]}) {inserts[2]}")
    params = {
        f"p{n}_{c}": (json.dumps(v, ensure_ascii=False, default=str) if c in _JSON_COLUMNS else v)
        for n, (_, row) in enumerate(parts)
        for c, v in row.items()
    }
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(stmt, params)
    return answer, True, 0


_ALERT_FIELDS = (
    "id",
    "case_id",
    "department",
    "item",
    "unit",
    "officer",
    "decision_date",
    "kind",
    "severity",
    "rule",
    "citation",
    "message",
)


def alert_body(alert: Alert | dict[str, Any]) -> dict[str, Any]:
    """An alert as a webhook receives it."""
    get = alert.get if isinstance(alert, dict) else alert.__getattribute__
    out: dict[str, Any] = {k: get(k) for k in _ALERT_FIELDS}
    out["decision_date"] = out["decision_date"].isoformat()
    return out


def enqueue_deliveries(
    session: Session,
    department: str,
    alerts: list[Alert] | list[dict[str, Any]],
    hooks: list[Webhook] | None = None,
) -> int:
    """One delivery job per live webhook of the department (or of every department) for these alerts,
    in the caller's transaction: the alerts and their deliveries are stored together or not at all.
    `hooks`: the live webhooks, when the caller has read them already."""
    from ..alerts.webhooks import KIND
    from ..jobs import enqueue

    if hooks is None:
        hooks = list(session.exec(select(Webhook).where(col(Webhook.removed_at).is_(None))))
    n = 0
    for hook in hooks:
        if hook.department is not None and hook.department != department:
            continue
        job_id = secrets.token_hex(8)
        body = {
            "event": "alerts.created",
            "idempotency_key": job_id,
            "department": department,
            "alerts": [alert_body(a) for a in alerts],
        }
        enqueue(
            session,
            KIND,
            {"webhook_id": hook.id, "body": body},
            department=department,
            max_attempts=DELIVERY_ATTEMPTS,
            job_id=job_id,
        )
        n += 1
    return n


@dataclass
class Pending:
    """A checked decision waiting to be stored (see store_decisions)."""

    body: DecisionIn
    officer: str
    actor: str
    result: CheckResult
    crs: CompiledRuleset


Stored = tuple[dict[str, Any], bool, int]


def store_decisions(engine: Engine, batch: list[Pending]) -> list[Stored | Exception]:
    """Store several checked decisions in one transaction (group commit: the statements of a batch cost
    about what one decision's do). Each gets what store_decision would give it, or the exception it would
    raise. Case ids already taken, repeated within the batch, or decisions naming an evaluation are stored
    one by one after the batch; if another writer takes a case id meanwhile, the whole batch is."""
    out: list[Stored | Exception | None] = [None] * len(batch)
    ids = [p.body.case_id for p in batch]
    first = {cid: i for i, cid in reversed(list(enumerate(ids)))}
    alone = [i for i, p in enumerate(batch) if first[p.body.case_id] != i or p.body.evaluation_id is not None]
    try:
        with Session(engine) as session, session.begin():
            taken = set(session.execute(select(_CASE.c.case_id).where(_CASE.c.case_id.in_(ids))).scalars())
            skip = set(alone)
            alone += [i for i, cid in enumerate(ids) if cid in taken and i not in skip]
            skip = set(alone)
            fresh = [i for i in range(len(batch)) if i not in skip]
            if fresh:
                _insert_many(session, batch, fresh, out)
    except IntegrityError:
        fresh, alone = [], list(range(len(batch)))
    for i in sorted(alone):
        p = batch[i]
        try:
            out[i] = store_decision(engine, p.body, officer=p.officer, actor=p.actor, result=p.result, crs=p.crs)
        except Exception as e:  # noqa: BLE001 - handed back to the request it belongs to
            out[i] = e
    return out  # type: ignore[return-value]  # every slot is filled by now


def _insert_many(session: Session, batch: list[Pending], fresh: list[int], out: list[Any]) -> None:
    rows = [_rows(batch[i], batch[i].body.content_hash(batch[i].officer)) for i in fresh]
    session.execute(insert(_CASE), [r["case"] for r in rows])
    alerts = [a for r in rows for a in r["alerts"]]
    if alerts:
        got = (
            session.execute(insert(_ALERT).returning(_ALERT.c.id, sort_by_parameter_order=True), alerts).scalars().all()
        )
        for a, i in zip(alerts, got, strict=True):
            a["id"] = i
    hooks = list(session.exec(select(Webhook).where(col(Webhook.removed_at).is_(None)))) if alerts else []
    decisions = []
    for i, r in zip(fresh, rows, strict=True):
        p = batch[i]
        answer = _answer(p.body, p.officer, p.result, [a["id"] for a in r["alerts"]])
        decisions.append({**r["decision"], "answer": answer})
        queued = enqueue_deliveries(session, p.body.department, r["alerts"], hooks) if r["alerts"] and hooks else 0
        out[i] = (answer, True, queued)
    session.execute(insert(_DECISION), decisions)
    session.execute(insert(_AUDIT), [r["audit"] for r in rows])

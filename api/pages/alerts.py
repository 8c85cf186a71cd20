"""The supervisor's alerts (事中预警): the findings decision checks raised, for the supervisor's department.

A list filtered by state, item, unit, officer and decision dates, paged; each alert in words (what was
decided, what the benchmark allows, the rule and the article, the officer's stated reason); acknowledge
and close with a note, audit-logged under the user's name by the same `discretion.alerts.store.handle`
the API uses. Another department's alert is refused without a word of its content.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from discretion.alerts.store import handle, list_alerts
from discretion.condition_words import amount, condition_words
from discretion.wording import step_name
from discretion.decisions.check import KIND_LABELS
from discretion.errors import Conflict, DiscretionError, NotFound
from discretion.evaluation import EvaluationRequest, evaluate
from discretion.evaluation.result import OUTCOME_LABELS, Recommendation
from discretion.loader import RulesetLibrary
from discretion.store.tables import Alert, DecidedCase, Decision, User

from .web import CSRF_MESSAGE, PageError, csrf_ok, render, require_department, require_role, signed_in

router = APIRouter(include_in_schema=False)
PAGE = 50
MAX_NOTE = 2000
STATE_NAMES = {"open": "待处理", "acknowledged": "已知悉", "closed": "已关闭"}
SEVERITY_NAMES = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}
#: the list's filters: name, label, longest value
FILTERS = (
    ("state", "状态", 16),
    ("item", "事项编码", 64),
    ("unit", "执法单位", 200),
    ("officer", "执法人员", 200),
    ("since", "决定日期起", 10),
    ("until", "决定日期止", 10),
)
ACTION_NAMES = {"acknowledge": "知悉", "close": "关闭"}


_CODE = re.compile(r"（[a-z][a-z0-9_]*）")


def said(message: str) -> str:
    """The check's sentence as a supervisor reads it: a measure's internal code beside its name left out."""
    return _CODE.sub("", message)


async def _supervisor(request: Request) -> User:
    user = await signed_in(request)
    require_role(user, "supervisor")
    return user


def _filters(params: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The typed filters (kept as typed), the query they make, and what is wrong with them (in Chinese)."""
    typed = {name: str(params.get(name, "")).strip()[:limit] for name, _, limit in FILTERS}
    query: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if typed["state"]:
        if typed["state"] in STATE_NAMES:
            query["state"] = typed["state"]
        else:
            errors["state"] = "「状态」只能是待处理、已知悉或已关闭"
    for name in ("item", "unit", "officer"):
        if typed[name]:
            query[name] = typed[name]
    for name, label, _ in FILTERS[4:]:
        if typed[name]:
            try:
                query[name] = dt.date.fromisoformat(typed[name])
            except ValueError:
                errors[name] = f"「{label}」不是有效日期，请按 年-月-日 填写"
    if "since" in query and "until" in query and query["until"] < query["since"]:
        errors["until"] = "「决定日期止」不能早于「决定日期起」"
    return typed, query, errors


def _cursor(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31 else None


def _page(
    engine: Any, library: RulesetLibrary, user: User, query: dict[str, Any], after: int | None
) -> tuple[list[Alert], int | None, dict[tuple[str, str], str], dict[str, str]]:
    """One page of alerts, the names of their items (a lookup may compile an item: not on the event loop)
    and the display names of their officers."""
    with Session(engine) as session:
        rows = list_alerts(  # newest first: a supervisor watches what was just decided
            session, department=user.department, before_id=after, newest_first=True, limit=PAGE + 1, **query
        )
        logins = {r.officer for r in rows[:PAGE] if r.officer}
        people = session.exec(select(User).where(col(User.name).in_(logins))).all() if logins else []
        officers = {p.name: f"{p.display_name}（{p.name}）" for p in people}
        for r in rows:
            session.expunge(r)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1].id if more and rows else None), _item_names(library, rows), officers


@router.get("/alerts")
async def index(request: Request) -> HTMLResponse:
    user = await _supervisor(request)
    typed, query, errors = _filters(request.query_params)
    after = _cursor(str(request.query_params.get("before", "")))
    library = await request.app.state.library.aget()
    rows, next_after, names, officers = (
        ([], None, {}, {})
        if errors
        else await run_in_threadpool(_page, request.app.state.engine, library, user, query, after)
    )
    kept = {k: v for k, v in typed.items() if v}
    return render(
        request,
        "alerts.html.j2",
        422 if errors else 200,
        rows=rows,
        names=names,
        officers=officers,
        form=typed,
        errors=errors,
        error="请更正标出的筛选条件。" if errors else None,
        next_url=f"/alerts?{urlencode({**kept, 'before': next_after})}" if next_after else None,
        first_url=f"/alerts?{urlencode(kept)}" if after else None,
        states=STATE_NAMES,
        severities=SEVERITY_NAMES,
        kinds=KIND_LABELS,
        said=said,
    )


def _item_names(library: RulesetLibrary, rows: list[Alert]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for r in rows:
        key = (r.department, r.item)
        if key not in out and r.department in library.departments():
            ci = library.versions(r.department)[-1].find_item(r.item)
            out[key] = ci.item.name if ci is not None else ""
    return out


@dataclass
class AlertView:
    """One alert in words, with the decision it is about."""

    alert: Alert
    item_name: str = ""
    decided: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    rule: str = ""
    reason: str | None = None
    imported: bool = False
    others: list[Alert] = field(default_factory=list)
    officer: str = ""


def _load(engine: Any, alert_id: int) -> tuple[Alert, DecidedCase | None, Decision | None, list[Alert], str]:
    with Session(engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise PageError(404, "没有这条预警", "没有找到这条预警，请从预警列表中选择。")
        case = session.get(DecidedCase, alert.case_id)
        decision = session.get(Decision, alert.case_id)
        others = list(session.exec(select(Alert).where(Alert.case_id == alert.case_id, Alert.id != alert.id)))
        person = session.get(User, alert.officer) if alert.officer else None
        officer = f"{person.display_name}（{person.name}）" if person is not None else alert.officer
        for row in (alert, case, decision, *others):
            if row is not None:
                session.expunge(row)
        return alert, case, decision, others, officer


def _recommendation(
    library: RulesetLibrary, case: DecidedCase | None, decision: Decision | None
) -> Recommendation | None:
    """The recommendation the decision was checked against: stored with it, or (an imported case) evaluated
    again from its facts, as the check did."""
    stored = (decision.answer or {}).get("recommendation") if decision is not None else None
    if stored:
        return Recommendation.model_validate(stored)
    if case is None:
        return None
    try:
        return evaluate(
            library,
            EvaluationRequest(
                department=case.department,
                item=case.item,
                facts=case.facts,
                act_date=case.act_date,
                act_end_date=decision.act_end_date if decision else None,
                discovery_date=decision.discovery_date if decision else None,
                decision_date=case.decision_date,
            ),
        )
    except DiscretionError:
        return None


def _span(lo: Decimal, hi: Decimal) -> str:
    return amount(lo) if lo == hi else f"{amount(lo)}至{amount(hi)}"


#: the stored outcome code → its label
_OUTCOMES = {str(k): v for k, v in OUTCOME_LABELS.items()}


def _decided(case: DecidedCase | None, decision: Decision | None, rec: Recommendation | None) -> list[str]:
    if case is None:
        return ["（未找到这份决定的记录）"]
    out = [f"处理结论：{_OUTCOMES.get(case.outcome, case.outcome)}"]
    out.append(f"罚款：{amount(case.fine)}" if case.fine else "罚款：无")
    names = dict.fromkeys(case.penalties)
    if decision is not None and decision.measures is not None and rec is not None:
        by_code = {m.code: m.name for m in rec.measures}
        names.update(dict.fromkeys(by_code.get(c, "") for c in decision.measures if by_code.get(c)))
    if names:
        out.append("处罚与措施：" + "、".join(n for n in names if n))
    return out


def _allowed(rec: Recommendation | None) -> list[str]:
    if rec is None:
        return ["（无法按所记录的事实重新得出基准建议；请以预警说明为准）"]
    out = [f"处理结论：{rec.outcome_label}"]
    if rec.fine is not None and rec.fine.max > 0:
        fine = rec.fine
        out.append(f"建议罚款幅度：{_span(fine.min, fine.max)}" + (f"（{fine.tier}）" if fine.tier else ""))
        out.append(f"法定罚款幅度：{_span(fine.statutory_min, fine.statutory_max)}")
    if rec.measures:
        out.append("应当采取的措施：" + "、".join(m.name for m in rec.measures))
    for o in rec.options:
        out.append(f"可以适用：{o.label}（{o.effect}）")
    out.append(f"裁量基准：{rec.ruleset.department_name} {rec.ruleset.version}版")
    return out


def _rule_words(alert: Alert, rec: Recommendation | None, library: RulesetLibrary) -> str:
    """The rule the alert names, in words: the step of the recommendation it comes from, a measure, or the
    duty to state reasons."""
    rule = alert.rule
    if rule == "reason":
        return "偏离基准或适用“可以”条目应当说明理由"
    if rule.startswith("measure:"):
        code = rule.removeprefix("measure:")
        name = next((m.name for m in rec.measures if m.code == code), "") if rec is not None else ""
        return f"应当采取的措施：{name or '（措施）'}"
    if rec is not None:
        step = next((s for s in reversed(rec.trace) if s.rule == rule), None)
        if step is not None:
            crs = library.compiled.get(f"{rec.ruleset.department}/{rec.ruleset.version}")
            ci = crs.find_item(rec.item.code) if crs is not None else None
            said = condition_words(step.condition, ci.schema) if step.condition and ci is not None else ""
            return f"{step_name(step.step)}：{step.effect}" + (f"（条件：{said}）" if said else "")
    return "裁量基准的规定"


def _view(engine: Any, library: RulesetLibrary, user: User, alert_id: int) -> AlertView:
    alert, case, decision, others, officer = _load(engine, alert_id)
    require_department(user, alert.department)
    rec = _recommendation(library, case, decision)
    item_name = (
        rec.item.name if rec is not None else _item_names(library, [alert]).get((alert.department, alert.item), "")
    )
    imported = decision is None or decision.source == "import"
    return AlertView(
        alert=alert,
        item_name=item_name,
        decided=_decided(case, decision, rec),
        allowed=_allowed(rec),
        rule=_rule_words(alert, rec, library),
        reason=None if imported or decision is None else decision.reason,
        imported=imported,
        others=others,
        officer=officer,
    )


def _alert_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) < 2**31:
        raise PageError(404, "没有这条预警", "没有找到这条预警，请从预警列表中选择。")
    return int(raw)


async def _detail(request: Request, user: User, alert_id: int, status: int = 200, **ctx: Any) -> HTMLResponse:
    library = await request.app.state.library.aget()
    view = await run_in_threadpool(_view, request.app.state.engine, library, user, alert_id)
    return render(
        request,
        "alert.html.j2",
        status,
        v=view,
        states=STATE_NAMES,
        severities=SEVERITY_NAMES,
        kinds=KIND_LABELS,
        said=said,
        note=ctx.pop("note", ""),
        errors=ctx.pop("errors", {}),
        max_note=MAX_NOTE,
        **ctx,
    )


@router.get("/alerts/{alert_id}")
async def detail(request: Request, alert_id: str) -> HTMLResponse:
    user = await _supervisor(request)
    return await _detail(request, user, _alert_id(alert_id), done=request.query_params.get("done"))


def _handle(engine: Any, user: User, alert_id: int, action: str, note: str) -> None:
    with Session(engine) as session:
        handle(session, alert_id, action, note, actor=user.name, department=user.department)
        session.commit()


@router.post("/alerts/{alert_id}/{action}", response_model=None)
async def act(request: Request, alert_id: str, action: str) -> Response:
    """Acknowledge or close the alert with a note (处理意见), under the user's name."""
    user = await _supervisor(request)
    ident = _alert_id(alert_id)
    if action not in ACTION_NAMES:
        raise PageError(404, "没有这个操作", "预警只能标为知悉或关闭。")
    data = await request.form(max_fields=5, max_files=0)
    note = str(data.get("note", ""))
    if not csrf_ok(request, data):
        return await _detail(request, user, ident, 403, error=CSRF_MESSAGE, note=note[:MAX_NOTE])
    # the department is checked (and the alert found) before anything is said about the form
    await run_in_threadpool(_view, request.app.state.engine, await request.app.state.library.aget(), user, ident)
    words = ACTION_NAMES[action]
    if not note.strip():
        errors = {action: f"{words}预警须填写处理意见。"}
        return await _detail(request, user, ident, 422, error="请填写处理意见。", errors=errors, note=note)
    if len(note) > MAX_NOTE:
        errors = {action: f"处理意见最多 {MAX_NOTE} 字。"}
        return await _detail(
            request, user, ident, 422, error=errors[action], errors=errors, note=note[: MAX_NOTE + 100]
        )
    try:
        await run_in_threadpool(_handle, request.app.state.engine, user, ident, action, note.strip())
    except Conflict:
        msg = f"这条预警当前的状态不能再{words}（可能已由他人处理），未作任何改动。"
        return await _detail(request, user, ident, 409, error=msg, note=note)
    except NotFound:
        raise PageError(404, "没有这条预警", "没有找到这条预警，请从预警列表中选择。") from None
    return RedirectResponse(f"/alerts/{ident}?done={action}", status_code=303)

"""The officer's workplace: find the item, fill in the case, read the answer, take an option,
record the evaluation and print its 裁量适用说明.

Every evaluation is the library's `evaluate()` (the same as POST /v1/evaluate); this module only
asks, checks the typed values in Chinese first, and shows the result in words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from discretion.catalogue import Catalogue
from discretion.compiler import CompiledItem
from discretion.errors import (
    DateError,
    DiscretionError,
    FactError,
    RulesetDefect,
    UnknownItem,
    VersionNotInForce,
)
from discretion.evaluation import EvaluationRequest, evaluate
from discretion.evaluation.result import Recommendation
from discretion.loader import RulesetLibrary
from discretion.store.audit import record
from discretion.store.tables import Evaluation, User
from discretion.evaluation.taking import MAX_REASON, find_option, take_option
from discretion.condition_words import amount, condition_words, facts_words, value_words
from discretion.wording import step_name

from .factform import DATE_LABELS, DATES, groups, read_dates, read_facts
from .web import (
    CSRF_MESSAGE,
    PageError,
    SignInNeeded,
    csrf_ok,
    fetch,
    render,
    require_department,
    require_role,
    signed_in,
)

router = APIRouter(include_in_schema=False)
MAX_FIELDS = 200


def _catalogue(request: Request, library: RulesetLibrary) -> Catalogue:
    hit = getattr(request.app.state, "catalogue", None)
    if hit is None or hit[0] is not library:
        hit = (library, Catalogue.of(library))
        request.app.state.catalogue = hit
    return hit[1]


@router.get("/evaluate")
async def search(request: Request, q: str = "") -> HTMLResponse:
    """Find the item: words of its name, its code, the law or the article."""
    user = await signed_in(request)
    require_role(user, "officer")
    library = await request.app.state.library.aget()
    q = q[:200]
    # building the catalogue's index and ranking a 6,000-item catalogue are tens of milliseconds: off the loop
    hits = (
        await run_in_threadpool(lambda: _catalogue(request, library).search(q, department=user.department))
        if q.strip()
        else []
    )
    return render(request, "search.html.j2", q=q, hits=hits)


def _item(library: RulesetLibrary, department: str, code: str, act: dt.date | None) -> CompiledItem:
    if department not in library.departments():
        raise PageError(404, "没有这个部门", "请从事项检索中选择事项。")
    crs = library.in_force(department, act or dt.date.today()) or library.versions(department)[-1]
    ci = crs.find_item(code)
    if ci is None:
        raise PageError(
            404,
            "没有这个事项",
            f"{crs.ruleset.department_name}{crs.version}版裁量基准中没有编码为 {code} 的事项。请从事项检索中重新选择。",
        )
    return ci


def _act(form: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(form.get("act_date", "")).strip()[:10])
    except ValueError:
        return None


def _form_page(
    request: Request,
    ci: CompiledItem,
    department: str,
    form: dict[str, str],
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    library = request.app.state.library.get()
    crs = library.in_force(department, _act(form) or dt.date.today()) or library.versions(department)[-1]
    return render(
        request,
        "evaluate.html.j2",
        status,
        ci=ci,
        department=department,
        groups=groups(ci),
        form=form,
        dates=DATES,
        errors=errors or {},
        error=error,
        version=crs,
    )


@router.get("/evaluate/{department}/{code}")
async def item_form(request: Request, department: str, code: str) -> HTMLResponse:
    """The case form; values in the query fill it in (a form kept across a new sign-in)."""
    user = await signed_in(request)
    require_role(user, "officer")
    require_department(user, department)
    form = dict(list(request.query_params.items())[:MAX_FIELDS])
    # finding the item may compile it (milliseconds): in a worker thread, not on the event loop
    ci = await run_in_threadpool(_item, await request.app.state.library.aget(), department, code, _act(form))
    return _form_page(request, ci, department, form)


async def _form(request: Request) -> dict[str, str]:
    data = await request.form(max_fields=MAX_FIELDS, max_files=0)
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def _post_user(request: Request, form: dict[str, str], department: str, code: str) -> User:
    """The signed-in officer; if the session ran out, sign-in leads back to the form as typed."""
    try:
        user = await signed_in(request)
    except SignInNeeded as e:
        kept = {k: v for k, v in form.items() if k not in ("csrf", "reason")}
        raise SignInNeeded(f"/evaluate/{department}/{code}?{urlencode(kept)}", e.expired) from None
    require_role(user, "officer")
    require_department(user, department)
    return user


_LIBRARY_ERRORS = {
    VersionNotInForce: (
        "act_date",
        "违法行为发生日没有施行中的本部门裁量基准，请核对「违法行为发生日」。",
    ),
    UnknownItem: (
        None,
        "该事项在违法行为发生日施行的裁量基准中不存在（编码可能已变更），请重新检索事项。",
    ),
    RulesetDefect: (
        None,
        "本事项的裁量基准在这种情形下有缺陷（阶次缺口或重叠），无法给出建议。请报法制审核人员处理；"
        "此前填写的内容已保留。",
    ),
}


async def _evaluate(
    request: Request, ci: CompiledItem, department: str, form: dict[str, str]
) -> tuple[Recommendation | None, dict[str, str], str | None]:
    """Check the form in Chinese, then evaluate: (result, field errors, page error). In a worker thread, as
    the API's heavy work is: the first case of a cell asks durable_rules and plans the cell, which must not
    hold the event loop (and every other user's request) while it runs."""
    library = await request.app.state.library.aget()
    return await run_in_threadpool(_check_and_evaluate, library, ci, department, form)


def _check_and_evaluate(
    library: RulesetLibrary, ci: CompiledItem, department: str, form: dict[str, str]
) -> tuple[Recommendation | None, dict[str, str], str | None]:
    fields = [f for g in groups(ci) for f in g.facts]
    facts, errors = read_facts(form, fields)
    dates, date_errors = read_dates(form)
    errors.update(date_errors)
    if errors:
        return None, errors, "请更正标出的内容。"
    try:
        req = EvaluationRequest(
            department=department,
            item=ci.item.code,
            facts=facts,
            act_date=dates["act_date"],
            act_end_date=dates["act_end_date"],
            discovery_date=dates["discovery_date"],
            decision_date=dates["decision_date"] or dt.date.today(),
        )
        return evaluate(library, req), {}, None
    except DiscretionError as e:
        for kind, (fld, msg) in _LIBRARY_ERRORS.items():
            if isinstance(e, kind):
                return None, ({fld: msg} if fld else {}), msg
        name = (e.field or "").removeprefix("facts.")
        if isinstance(e, DateError) and name in DATE_LABELS:
            return (
                None,
                {name: f"「{DATE_LABELS[name]}」与其他日期的先后不符"},
                "请更正标出的日期。",
            )
        if isinstance(e, FactError) and name in ci.schema:
            label = ci.schema[name].label
            return (
                None,
                {name: f"「{label}」需要填写或填写有误"},
                f"「{label}」需要填写或填写有误（比较处罚决定时施行的规定也需要此项）。",
            )
        return None, {}, "无法按所填内容给出裁量建议，请核对后重试。"


def _steps(rec: Recommendation, library: RulesetLibrary) -> list[dict[str, Any]]:
    """The trace in words: each step's name, effect, condition in words, facts read, citation."""
    crs = library.compiled.get(f"{rec.ruleset.department}/{rec.ruleset.version}")
    ci = crs.find_item(rec.item.code) if crs is not None else None
    schema = ci.schema if ci is not None else {}
    out = []
    for s in rec.trace:
        read = [] if s.step == "facts" else facts_words(s.facts, schema)
        out.append(
            {
                "name": step_name(s.step),
                "effect": s.effect,
                "citation": s.citation,
                "condition": condition_words(s.condition, schema) if s.condition else None,
                "read": read,
            }
        )
    return out


def _facts_given(rec_req: dict[str, Any], ci: CompiledItem | None) -> list[tuple[str, str]]:
    """The facts as found: amounts and choices, and the circumstances that were found to hold
    (a circumstance not found is not listed: the statement says so once)."""
    schema = ci.schema if ci is not None else {}
    return [
        (schema[n].label, value_words(schema[n], v))
        for n, v in rec_req.items()
        if n in schema and schema[n].derived is None and not (schema[n].type == "bool" and not v)
    ]


async def _result_page(
    request: Request,
    rec: Recommendation,
    ci: CompiledItem,
    department: str,
    form: dict[str, str],
    taken: str | None = None,
    option_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    library = await request.app.state.library.aget()
    kept = {k: v for k, v in form.items() if k not in ("csrf", "reason", "option")}
    steps = await run_in_threadpool(_steps, rec, library)  # conditions parsed and said in words: off the loop
    return render(
        request,
        "result.html.j2",
        status,
        rec=rec,
        ci=ci,
        department=department,
        kept=kept,
        steps=steps,
        amount=amount,
        taken=taken,
        option_errors=option_errors or {},
        reason=form.get("reason", ""),
        max_reason=MAX_REASON,
    )


@router.post("/evaluate/{department}/{code}", response_model=None)
async def submit(request: Request, department: str, code: str) -> Response:
    """Evaluate the typed case: the result, or the form again with what is wrong (422)."""
    form = await _form(request)
    await _post_user(request, form, department, code)
    # finding the item may compile it (milliseconds): in a worker thread, not on the event loop
    ci = await run_in_threadpool(_item, await request.app.state.library.aget(), department, code, _act(form))
    if not csrf_ok(request, form):
        return _form_page(request, ci, department, form, 403, error=CSRF_MESSAGE)
    rec, errors, error = await _evaluate(request, ci, department, form)
    if rec is None:
        return _form_page(request, ci, department, form, 422, errors=errors, error=error)
    return await _result_page(request, rec, ci, department, form)


def _with_option(rec: Recommendation, form: dict[str, str]) -> tuple[Recommendation, str | None, dict[str, str]]:
    """Apply the option the form names (with its reason), if any."""
    option_id = form.get("option", "")
    if not option_id:
        return rec, None, {}
    option = find_option(rec, option_id)
    if option is None:
        return rec, None, {"option": "所选的选项不适用于本案（事实可能已更改），请重新选择。"}
    reason = form.get("reason", "").strip()
    if not reason:
        return rec, None, {option_id: "适用此项须说明理由。"}
    if len(reason) > MAX_REASON:
        return rec, None, {option_id: f"理由最多 {MAX_REASON} 字。"}
    return take_option(rec, option, reason), option_id, {}


async def _posted_case(
    request: Request, department: str, code: str
) -> tuple[dict[str, str], User, CompiledItem, Recommendation | None, Response | None]:
    """The posted case evaluated: (form, user, item, result, None), or the page to answer instead
    (the form again with what is wrong, or the result saying the form's token was refused)."""
    form = await _form(request)
    user = await _post_user(request, form, department, code)
    # finding the item may compile it (milliseconds): in a worker thread, not on the event loop
    ci = await run_in_threadpool(_item, await request.app.state.library.aget(), department, code, _act(form))
    rec, errors, error = await _evaluate(request, ci, department, form)
    if rec is None:
        return (
            form,
            user,
            ci,
            None,
            _form_page(request, ci, department, form, 422, errors=errors, error=error),
        )
    if not csrf_ok(request, form):
        page = await _result_page(
            request, rec, ci, department, form, option_errors={"option": CSRF_MESSAGE}, status=403
        )
        return form, user, ci, rec, page
    return form, user, ci, rec, None


@router.post("/evaluate/{department}/{code}/option", response_model=None)
async def option(request: Request, department: str, code: str) -> Response:
    """Take a discretionary (可以) option: the case evaluated again with it applied, and why."""
    form, _, ci, rec, answer = await _posted_case(request, department, code)
    if answer is not None or rec is None:
        return answer  # type: ignore[return-value]  # rec None comes with an answer
    taken, taken_id, option_errors = _with_option(rec, form)
    return await _result_page(
        request,
        taken if taken_id else rec,
        ci,
        department,
        form,
        taken=taken_id,
        option_errors=option_errors,
        status=422 if option_errors else 200,
    )


def _store(
    engine: Any,
    user: User,
    rec: Recommendation,
    req: dict[str, Any],
    option_id: str | None,
    reason: str,
) -> int:
    with Session(engine) as session, session.begin():
        ev = Evaluation(
            department=rec.ruleset.department,
            item=rec.item.code,
            request=req,
            result=rec.model_dump(mode="json"),
            ruleset_hash=rec.ruleset.hash,
            actor=user.name,
        )
        session.add(ev)
        session.flush()
        record(
            session,
            user.name,
            "evaluation.record",
            department=rec.ruleset.department,
            target=str(ev.id),
            detail={
                "item": rec.item.code,
                "outcome": rec.outcome,
                "ruleset_hash": rec.ruleset.hash,
                "option": option_id,
                "reason": reason or None,
                "via": "web",
            },
        )
        assert ev.id is not None
        return ev.id


@router.post("/evaluate/{department}/{code}/record", response_model=None)
async def record_evaluation(request: Request, department: str, code: str) -> Response:
    """Record the evaluation (with the option taken, if any) and open its 裁量适用说明."""
    form, user, ci, rec, answer = await _posted_case(request, department, code)
    if answer is not None or rec is None:
        return answer  # type: ignore[return-value]  # rec None comes with an answer
    final, taken_id, option_errors = _with_option(rec, form)
    if option_errors:
        return await _result_page(request, rec, ci, department, form, option_errors=option_errors, status=422)
    fields = [f for g in groups(ci) for f in g.facts]
    facts, _ = read_facts(form, fields)
    dates, _ = read_dates(form)
    req = {
        "department": department,
        "item": ci.item.code,
        "facts": facts,
        **{k: (v.isoformat() if v else None) for k, v in dates.items()},
    }
    req["decision_date"] = final.decision_date.isoformat()
    ev_id = await run_in_threadpool(
        _store, request.app.state.engine, user, final, req, taken_id, form.get("reason", "").strip()
    )
    return RedirectResponse(f"/evaluations/{ev_id}", status_code=303)


def _visible(user: User, ev: Evaluation) -> bool:
    """Officers see their own records; supervisors and admins their department's."""
    if user.role == "officer":
        return ev.actor == user.name
    return user.department is None or user.department == ev.department


def _list(engine: Any, user: User) -> list[Evaluation]:
    with Session(engine) as session:
        q = select(Evaluation).order_by(col(Evaluation.id).desc()).limit(200)
        if user.role == "officer":
            q = q.where(Evaluation.actor == user.name)
        elif user.department is not None:
            q = q.where(Evaluation.department == user.department)
        rows = list(session.exec(q))
        for r in rows:
            session.expunge(r)
        return rows


@router.get("/evaluations")
async def evaluations(request: Request) -> HTMLResponse:
    user = await signed_in(request)
    require_role(user, "officer", "supervisor")
    rows = await run_in_threadpool(_list, request.app.state.engine, user)
    return render(request, "evaluations.html.j2", rows=rows)


@router.get("/evaluations/{ev_id}")
async def statement(request: Request, ev_id: int) -> HTMLResponse:
    """The recorded evaluation as an A4 裁量适用说明 (print CSS)."""
    user = await signed_in(request)
    require_role(user, "officer", "supervisor")
    ev = await run_in_threadpool(fetch, request.app.state.engine, Evaluation, ev_id)
    if ev is None or not _visible(user, ev):
        raise PageError(404, "没有这条记录", "没有找到这条裁量记录，或它不属于您。")
    rec = Recommendation.model_validate(ev.result)
    library = await request.app.state.library.aget()
    crs = library.compiled.get(f"{rec.ruleset.department}/{rec.ruleset.version}")
    ci = crs.find_item(rec.item.code) if crs is not None else None
    given = _facts_given(ev.request.get("facts", {}), ci)
    dates = [(label, ev.request.get(name)) for name, label, _, _ in DATES if ev.request.get(name)]
    author = await run_in_threadpool(_get_user, request.app.state.engine, ev.actor)
    return render(
        request,
        "statement.html.j2",
        ev=ev,
        rec=rec,
        given=given,
        dates=dates,
        steps=await run_in_threadpool(_steps, rec, library),
        amount=amount,
        author=author,
    )


def _get_user(engine: Any, name: str) -> str:
    with Session(engine) as session:
        u = session.get(User, name)
        return f"{u.display_name}（{u.name}）" if u is not None else name

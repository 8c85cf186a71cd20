"""The supervisor's workplace (执法监督): start a consistency sweep over the department's decided
cases (decision dates, units), follow its progress, list past sweeps, read the HTML report.

The sweep is the API's (a durable job, discretion.consistency.job); the report is
`discretion.consistency.html.render_html`, given the library so items have names and conditions
read in words.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from discretion.consistency.html import render_html
from discretion.consistency.report import ConsistencyReport
from discretion.store.audit import record
from discretion.store.tables import Department, SweepRun, SweepScope, User

from discretion.jobs import enqueue
from discretion.consistency.job import KIND as SWEEP_JOB
from .web import CSRF_MESSAGE, PageError, csrf_ok, render, require_department, require_role, signed_in

router = APIRouter(include_in_schema=False)
STATUS = {"queued": "排队中", "running": "正在检查", "done": "已完成", "failed": "未能完成"}
MAX_UNITS = 50


async def _supervisor(request: Request) -> User:
    user = await signed_in(request)
    require_role(user, "supervisor")
    return user


def _overview(engine: Any, user: User) -> tuple[list[tuple[str, str]], list[SweepRun]]:
    with Session(engine) as session:
        q = select(Department).order_by(Department.code)
        if user.department is not None:
            q = q.where(Department.code == user.department)
        depts = [(d.code, d.name) for d in session.exec(q) if d.code != "general"]
        runs = select(SweepRun).order_by(col(SweepRun.created_at).desc()).limit(100)
        if user.department is not None:
            runs = runs.where(SweepRun.department == user.department)
        rows = list(session.exec(runs))
        for r in rows:
            session.expunge(r)
        return depts, rows


async def _index(request: Request, user: User, status: int = 200, **ctx: Any) -> HTMLResponse:
    depts, runs = await run_in_threadpool(_overview, request.app.state.engine, user)
    return render(
        request,
        "supervise.html.j2",
        status,
        departments=depts,
        runs=runs,
        status_names=STATUS,
        form=ctx.pop("form", {}),
        errors=ctx.pop("errors", {}),
        **ctx,
    )


@router.get("/supervise")
async def index(request: Request) -> HTMLResponse:
    return await _index(request, await _supervisor(request))


def _dates(form: dict[str, str]) -> tuple[dict[str, dt.date | None], dict[str, str]]:
    out: dict[str, dt.date | None] = {}
    errors: dict[str, str] = {}
    for name, label in (("since", "决定日期起"), ("until", "决定日期止")):
        raw = form.get(name, "").strip()[:20]
        try:
            out[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            out[name] = None
            errors[name] = f"「{label}」不是有效日期，请按 年-月-日 填写"
    if out.get("since") and out.get("until") and out["until"] < out["since"]:  # type: ignore[operator]  # both set (checked first in this condition)
        errors["until"] = "「决定日期止」不能早于「决定日期起」"
    return out, errors


def _start(
    engine: Any,
    user: User,
    department: str,
    since: dt.date | None,
    until: dt.date | None,
    units: list[str],
) -> str:
    with Session(engine) as session:
        run = SweepRun(
            id=secrets.token_hex(8),
            requested_by=user.name,
            department=department,
            since=since,
            until=until,
        )
        session.add(run)
        if units:
            session.add(SweepScope(sweep_id=run.id, units=units))
        record(
            session,
            user.name,
            "sweep.start",
            department=department,
            target=run.id,
            detail={
                "since": str(since) if since else None,
                "until": str(until) if until else None,
                "units": units or None,
                "via": "web",
            },
        )
        enqueue(
            session,
            SWEEP_JOB,
            {"sweep_id": run.id, "units": units or None},
            department=department,
            created_by=user.name,
            max_attempts=3,
            job_id=run.id,
        )
        session.commit()
        return run.id


@router.post("/supervise", response_model=None)
async def start(request: Request) -> Response:
    user = await _supervisor(request)
    data = await request.form(max_fields=10, max_files=0)
    form = {k: str(v)[:2000] for k, v in data.items()}
    if not csrf_ok(request, form):
        return await _index(request, user, 403, error=CSRF_MESSAGE, form=form)
    department = form.get("department", "")
    require_department(user, department)
    dates, errors = _dates(form)
    units = [u.strip() for u in form.get("units", "").replace("，", ",").replace("、", ",").split(",") if u.strip()]
    if len(units) > MAX_UNITS:
        errors["units"] = f"「执法单位」最多 {MAX_UNITS} 个"
    if errors:
        return await _index(request, user, 422, error="请更正标出的内容。", errors=errors, form=form)
    sweep_id = await run_in_threadpool(
        _start, request.app.state.engine, user, department, dates["since"], dates["until"], units
    )
    request.app.state.worker.wake()
    return RedirectResponse(f"/supervise/{sweep_id}", status_code=303)


def _get(engine: Any, user: User, sweep_id: str) -> tuple[SweepRun, list[str]]:
    with Session(engine) as session:
        run = session.get(SweepRun, sweep_id[:32])
        if run is None or (user.department is not None and run.department != user.department):
            raise PageError(404, "没有这次检查", "没有找到这次一致性检查，或它不属于您的部门。")
        scope = session.get(SweepScope, run.id)
        session.expunge(run)
        return run, list(scope.units) if scope else []


@router.get("/supervise/{sweep_id}")
async def progress(request: Request, sweep_id: str) -> HTMLResponse:
    user = await _supervisor(request)
    run, units = await run_in_threadpool(_get, request.app.state.engine, user, sweep_id)
    summary = ConsistencyReport.model_validate(run.report).summary if run.report else None
    return render(request, "supervise_run.html.j2", run=run, units=units, status_names=STATUS, summary=summary)


@router.get("/supervise/{sweep_id}/report")
async def report(request: Request, sweep_id: str) -> HTMLResponse:
    user = await _supervisor(request)
    run, _ = await run_in_threadpool(_get, request.app.state.engine, user, sweep_id)
    if run.status != "done" or not run.report:
        raise PageError(409, "报告尚未生成", "这次检查还没有完成，请稍后在进度页查看。")
    rep = ConsistencyReport.model_validate(run.report)
    html = await run_in_threadpool(
        render_html,
        rep,
        library=(await request.app.state.library.aget()),
        generated=run.finished_at or run.created_at,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})

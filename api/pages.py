"""The officer's web page: pick an item, fill in its facts, read the recommendation with its citations.

Server-rendered (no script): the form is built from the item's fact schema, the answer is the same
`evaluate()` as POST /v1/evaluate, with the same key, role and department checks. The page asks for
the API key in a password field each time; nothing is stored in the browser.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from discretion.errors import DiscretionError
from discretion.evaluation import EvaluationRequest, evaluate
from discretion.evaluation.explain import explain
from discretion.loader import RulesetLibrary

from .deps import _lookup, check_department, check_role

router = APIRouter(include_in_schema=False)
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"]))
MAX_FORM = 64 * 1024


def _form_context(library: RulesetLibrary, form: dict[str, str]) -> dict[str, Any]:
    """Departments, the chosen department's items in force on the act date, and the chosen item's facts."""
    departments = [(d, library.versions(d)[-1].ruleset.department_name) for d in library.departments()
                   if any(c.items for c in library.versions(d))]
    ctx: dict[str, Any] = {"departments": departments, "form": form, "items": [], "facts": []}
    dept = form.get("department")
    if dept not in dict(departments):
        return ctx
    try:
        act = dt.date.fromisoformat(form.get("act_date") or "")
    except ValueError:
        act = dt.date.today()
    crs = library.in_force(dept, act) or library.versions(dept)[-1]  # type: ignore[arg-type]
    ctx["items"] = [(code, ci.item.name) for code, ci in crs.items.items()]
    ci = crs.find_item(form.get("item") or "")
    if ci is not None:
        ctx["facts"] = [dict(name=n, spec=s) for n, s in ci.schema.items() if s.derived is None]
        ctx["version"] = crs.version
    return ctx


def _facts(form: dict[str, str], facts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in facts:
        name, spec = f["name"], f["spec"]
        raw = form.get(f"fact.{name}", "").strip()
        if spec.type == "bool":
            out[name] = raw == "on"
        elif raw == "":
            continue
        elif spec.type == "integer":
            out[name] = int(raw) if raw.lstrip("-").isdigit() else raw  # validation names a non-integer
        else:
            out[name] = raw  # money and numbers as exact text; enums as chosen
    return out


def _page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**ctx), status_code=status)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/evaluate")


@router.get("/evaluate")
async def evaluate_form(request: Request) -> HTMLResponse:
    """The form; choosing a department or an item reloads it (GET) with that item's facts."""
    form = {k: v for k, v in request.query_params.items()}
    return _page("evaluate.html.j2", **_form_context(await request.app.state.library.aget(), form))


@router.post("/evaluate")
async def evaluate_submit(request: Request) -> HTMLResponse:
    """Evaluate the form's case: the result page, or the form again with the error (422)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return _page("evaluate.html.j2", 413, error="表单过大", **_form_context(await request.app.state.library.aget(), {}))
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", errors="replace")).items()}
    library = await request.app.state.library.aget()
    ctx = _form_context(library, form)

    def again(message: str, status: int = 422) -> HTMLResponse:
        return _page("evaluate.html.j2", status, error=message, **ctx)

    key = await run_in_threadpool(_lookup, request.app.state.engine, form.get("api_key", ""))
    if key is None:
        return again("API 密钥无效或已吊销（api_key）", 401)
    try:  # the same checks as POST /v1/evaluate
        check_role(key, "officer")
        check_department(key, form.get("department", ""), ["form", "department"])
    except HTTPException as e:
        return again(e.detail[0]["msg"], e.status_code)
    if not ctx["facts"]:
        return again("请选择部门和事项（department, item）")
    try:
        req = EvaluationRequest(department=form.get("department", ""), item=form.get("item", ""), facts=_facts(form, ctx["facts"]),
                                act_date=form.get("act_date") or None, decision_date=form.get("decision_date") or dt.date.today())
        rec = evaluate(library, req)
    except ValidationError as e:
        first = e.errors()[0]
        return again(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    except DiscretionError as e:
        return again(str(e))
    return _page("result.html.j2", rec=rec, text=explain(rec), form=form)

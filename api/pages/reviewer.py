"""The reviewer's workplace (法制审核): the department's versions and drafts, upload (file or paste)
with errors beside their line, the verify report, the diff in words, the impact on decided cases,
approve and publish, withdraw or replace a draft before approval.

Every action is the library's (discretion.store.lifecycle / drafts, discretion.audit); the rules
they enforce (another reviewer approves, only approved versions publish) hold here as in the API.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from sqlmodel import Session, col, select

from discretion.audit.diff import diff as diff_versions
from discretion.audit.impact import impact as replay
from discretion.audit.verify import verify_version
from discretion.consistency.sources import from_engine
from discretion.errors import DiscretionError, Forbidden, NotFound, RulesetLoadError
from discretion.audit.verify import approval_check
from discretion.store import lifecycle
from discretion.store.drafts import replace_draft, withdraw_draft
from discretion.store.tables import Department, RulesetVersion, User
from discretion.condition_words import facts_words
from discretion.tables.marks import TAG as MARKER

from ..importing import MAX_UPLOAD
from ..review import compiled_pair
from ..workers import in_worker
from .reviewwords import numbered, problem_words, upload_error
from .web import (
    CSRF_MESSAGE,
    PageError,
    csrf_ok,
    render,
    require_department,
    require_role,
    signed_in,
)

T = TypeVar("T")

router = APIRouter(include_in_schema=False)
MAX_DRAFT = 2 * 1024 * 1024
STATUS = {
    "draft": "草稿",
    "approved": "已批准",
    "published": "已发布",
    "superseded": "已被取代",
    "withdrawn": "已撤回",
}


def _departments(engine: Any, user: User) -> list[tuple[str, str]]:
    with Session(engine) as session:
        q = select(Department).order_by(Department.code)
        if user.department is not None:
            q = q.where(Department.code == user.department)
        return [(d.code, d.name) for d in session.exec(q) if d.code != "general"]


def _versions(engine: Any, departments: list[str]) -> list[RulesetVersion]:
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(RulesetVersion)
                .where(col(RulesetVersion.department).in_(departments))
                .order_by(
                    RulesetVersion.department,
                    col(RulesetVersion.effective_from).desc(),
                    col(RulesetVersion.id).desc(),
                )
            )
        )
        for r in rows:
            session.expunge(r)
        return rows


async def _reviewer(request: Request) -> User:
    user = await signed_in(request)
    require_role(user, "reviewer")
    return user


async def _index(request: Request, user: User, status: int = 200, **ctx: Any) -> HTMLResponse:
    engine = request.app.state.engine
    depts = await run_in_threadpool(_departments, engine, user)
    rows = await run_in_threadpool(_versions, engine, [d for d, _ in depts])
    return render(
        request,
        "review.html.j2",
        status,
        departments=depts,
        rows=rows,
        status_names=STATUS,
        text=ctx.pop("text", ""),
        lines=ctx.pop("lines", None),
        import_limit=f"{MAX_UPLOAD / 1024 / 1024:g} MB",
        **ctx,
    )


@router.get("/review")
async def index(request: Request) -> HTMLResponse:
    return await _index(request, await _reviewer(request))


def _parsed(fn: Any, *args: Any) -> Any:
    """Call `fn`; a value the YAML reader itself cannot build (a date like 2025-13-01 is a ValueError of
    PyYAML's, not a YAML error) is an upload error like the others, not a server error."""
    try:
        return fn(*args)
    except ValueError as e:
        if isinstance(e, DiscretionError):
            raise
        raise RulesetLoadError(f"malformed YAML: {e}", file="draft.yaml") from None


def _upload(engine: Any, department: str, text: str, actor: str) -> str:
    with Session(engine) as session:
        row = _parsed(lifecycle.upload_draft, session, department, text, actor)
        session.commit()
        return str(row.version)


async def _document(request: Request) -> tuple[dict[str, str], str | None, str | None]:
    """The form's fields and the draft's text (a file wins over pasted text), or why not."""
    try:
        data = await request.form(max_files=1, max_fields=10, max_part_size=MAX_DRAFT)
    except StarletteHTTPException:  # a field over the limit (a pasted draft of more than 2 MB), or a broken form
        return {}, None, "内容超过 2 MB，或表单无法读取，未作任何处理。请检查是否粘贴或选错了内容。"
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    upload = data.get("file")
    text = fields.get("text", "")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = await upload.read(MAX_DRAFT + 1)
        if len(raw) > MAX_DRAFT:
            return fields, None, "文件超过 2 MB，请检查是否选错了文件。"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return fields, None, "文件不是 UTF-8 编码的文本，请另存为 UTF-8 后再上传。"
    if not text.strip():
        return fields, None, "请选择文件或粘贴裁量基准文本。"
    return fields, text, None


@router.post("/review/upload", response_model=None)
async def upload(request: Request) -> Response:
    user = await _reviewer(request)
    fields, text, problem = await _document(request)
    department = fields.get("department", "")
    if problem and not fields:  # the form itself could not be read: nothing was done
        return await _index(request, user, 413, error=problem)
    if not csrf_ok(request, fields):
        return await _index(request, user, 403, error=CSRF_MESSAGE, text=text or "", chosen=department)
    if problem or text is None:
        return await _index(request, user, 422, error=problem, text=text or "", chosen=department)
    require_department(user, department)
    try:
        version = await _heavy(lambda: _upload(request.app.state.engine, department, text, user.name))
    except PageError as e:  # the heavy pool is full: say so and keep what was typed
        return await _index(request, user, e.status, error=e.message, text=text, chosen=department)
    except DiscretionError as e:
        err = upload_error(e)
        left = text.count(f"{MARKER} {{")  # markers an imported draft still holds (discretion/tables/yamlout.py)
        return await _index(
            request,
            user,
            422,
            error=f"草稿未保存：{err.reason}"
            + (f"（第 {err.line} 行）" if err.line else "")
            + (f"。草稿中还有 {left} 个未处理的标记。" if left else ""),
            upload_errors=[err],
            lines=numbered(text, [err]),
            text=text,
            chosen=department,
        )
    return RedirectResponse(f"/review/{department}/{version}?done=uploaded", status_code=303)


def _load(engine: Any, department: str, version: str) -> tuple[RulesetVersion, list[RulesetVersion]]:
    with Session(engine) as session:
        try:
            row = lifecycle.get_version(session, department, version)
        except NotFound:
            raise PageError(404, "没有这个版本", f"{department} 没有 {version} 版。") from None
        others = list(
            session.exec(
                select(RulesetVersion)
                .where(RulesetVersion.department == department, RulesetVersion.id != row.id)
                .order_by(col(RulesetVersion.effective_from).desc())
            )
        )
        session.expunge(row)
        for o in others:
            session.expunge(o)
        return row, others


DONE = {
    "uploaded": "草稿已上传。请先查看核查报告，再由另一位审核人员批准。",
    "approved": "已批准。",
    "published": "已发布，自即日起用于裁量。",
    "withdrawn": "草稿已撤回。",
    "replaced": "草稿已替换为新的文本。",
}


async def _version_page(
    request: Request, user: User, department: str, version: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    require_department(user, department)
    row, others = await run_in_threadpool(_load, request.app.state.engine, department, version)
    done = DONE.get(request.query_params.get("done", ""))
    return render(
        request,
        "review_version.html.j2",
        status,
        row=row,
        others=others,
        status_names=STATUS,
        done=done,
        text=ctx.pop("text", row.document),
        lines=ctx.pop("lines", None),
        **ctx,
    )


@router.get("/review/{department}/{version}")
async def version_page(request: Request, department: str, version: str) -> HTMLResponse:
    return await _version_page(request, await _reviewer(request), department, version)


async def _heavy(work: Callable[[], T]) -> T:
    """Reviewer work (compile, verify, diff, impact) in the service's bounded heavy pool, as the API runs it;
    a full pool is a page saying so, not an error."""
    return await paged(in_worker(work))


async def paged(call: Awaitable[T]) -> T:
    """Await heavy-pool work (in_worker, or api/review.py's child processes); a full pool is a page saying so."""
    try:
        return await call
    except HTTPException as e:
        if e.status_code == 503:
            raise PageError(503, "系统繁忙", "正在进行的校验、比较、上传和导入已达上限，请稍后再试。") from None
        raise


def _verify(engine: Any, department: str, version: str) -> tuple[list[dict[str, Any]], int, int]:
    with Session(engine) as session:
        row = lifecycle.get_version(session, department, version)
        ref = f"{department}/{version}"
        lib = lifecycle.compile_with_live(session, {ref: row.document})
    crs = lib.compiled[ref]
    problems, coverage = verify_version(crs)
    out = []
    for p in problems:
        ci = crs.items.get(p.item or "")
        out.append(
            {
                "item": p.item,
                "name": ci.item.name if ci else "",
                "what": problem_words(p),
                "example": facts_words(p.example or {}, ci.schema if ci else {}),
            }
        )
    return out, len(coverage), sum(c.cells for c in coverage)


@router.get("/review/{department}/{version}/verify")
async def verify_page(request: Request, department: str, version: str) -> HTMLResponse:
    user = await _reviewer(request)
    require_department(user, department)
    try:
        problems, items, cells = await _heavy(lambda: _verify(request.app.state.engine, department, version))
    except NotFound:
        raise PageError(404, "没有这个版本", f"{department} 没有 {version} 版。") from None
    return render(
        request,
        "review_verify.html.j2",
        department=department,
        version=version,
        problems=problems,
        items=items,
        cells=cells,
    )


async def _compared(request: Request, department: str, version: str, against: str, work: Any) -> Any:
    """`work(engine, department, version, against)` for the department's reviewer, off the loop."""
    user = await _reviewer(request)
    require_department(user, department)
    try:
        return await _heavy(lambda: work(request.app.state.engine, department, version, against))
    except NotFound:
        raise PageError(404, "没有这个版本", "请从版本页选择要比较的版本。") from None


def _diff(engine: Any, department: str, version: str, against: str) -> Any:
    old, new = compiled_pair(engine, department, version, against)
    return diff_versions(old, new), _names(old, new)


def _names(*versions: Any) -> dict[str, str]:
    """Item names by code from the versions' resolved items (compiling none of a lazy catalogue); newest wins."""
    return {i.code: i.name for crs in versions for i in crs.ruleset.items}


@router.get("/review/{department}/{version}/diff")
async def diff_page(request: Request, department: str, version: str, against: str = "") -> HTMLResponse:
    report, names = await _compared(request, department, version, against, _diff)
    return render(request, "review_diff.html.j2", department=department, report=report, names=names)


def _impact(engine: Any, department: str, version: str, against: str) -> Any:
    old, new = compiled_pair(engine, department, version, against)
    report = replay(old, new, from_engine(engine, department=department))
    # the items the reasons need, looked up one by one here, off the loop (a lazy catalogue compiles only those)
    items = ChainMap(new.items, old.items)
    unread = [r for r in report.changed if r.kind == "not_replayed"][:200]
    return report, _names(old, new), [_unread_reason(r, items) for r in unread]


@router.get("/review/{department}/{version}/impact")
async def impact_page(request: Request, department: str, version: str, against: str = "") -> HTMLResponse:
    report, names, reasons = await _compared(request, department, version, against, _impact)
    real = [r for r in report.changed if r.kind != "not_replayed"]
    unread = [r for r in report.changed if r.kind == "not_replayed"]
    return render(
        request,
        "review_impact.html.j2",
        department=department,
        report=report,
        real=real[:500],
        real_count=len(real),
        unread=list(zip(unread[:200], reasons, strict=True)),
        unread_count=len(unread),
        names=names,
    )


def _unread_reason(row: Any, items: Mapping[str, Any]) -> str:
    """Why a case could not be replayed, in words: which version, and the fact it lacks."""
    side_new = row.new.startswith("无法评估")
    text = row.new if side_new else row.old
    which = "新版本" if side_new else "原版本"
    m = re.search(r"facts\.(\w+)", text)
    ci = items.get(row.item)
    if m and ci is not None and m.group(1) in ci.schema:
        return f"{which}需要事实「{ci.schema[m.group(1)].label}」，案件记录中没有或不符合要求"
    return f"{which}无法按案件记录的事实评估"


def _act(
    engine: Any,
    action: str,
    department: str,
    version: str,
    actor: str,
    text: str | None,
    override_reason: str | None = None,
) -> None:
    with Session(engine) as session:
        if action == "approve":  # gated on verify: a defective draft needs a written reason
            lifecycle.approve(
                session, department, version, actor, verifier=approval_check, override_reason=override_reason
            )
        elif action == "publish":
            lifecycle.publish(session, department, version, actor)
        elif action == "withdraw":
            withdraw_draft(session, department, version, actor)
        elif action == "replace":
            _parsed(replace_draft, session, department, version, text or "", actor)
        session.commit()


_REFUSED = {
    "approve": "只有草稿可以批准",
    "publish": "只有已批准的版本可以发布",
    "withdraw": "只有草稿可以撤回",
    "replace": "只有草稿可以替换",
}


@router.post("/review/{department}/{version}/{action}", response_model=None)
async def act(request: Request, department: str, version: str, action: str) -> Response:
    user = await _reviewer(request)
    require_department(user, department)
    if action not in _REFUSED:
        raise PageError(404, "没有这个操作", "请从版本页选择操作。")
    if action == "replace":
        fields, text, problem = await _document(request)
    else:
        fields, text, problem = (
            {k: v for k, v in (await request.form(max_fields=5, max_files=0)).items() if isinstance(v, str)},
            None,
            None,
        )
    if not csrf_ok(request, fields):
        return await _version_page(
            request,
            user,
            department,
            version,
            403,
            error=CSRF_MESSAGE,
            **({"text": text} if text else {}),
        )
    if problem:
        return await _version_page(request, user, department, version, 422, error=problem)
    try:
        reason = (fields.get("override_reason") or "").strip()[:2000] or None
        await _heavy(lambda: _act(request.app.state.engine, action, department, version, user.name, text, reason))
    except lifecycle.ApprovalRefused as e:
        found = "；".join(f"{p.item or ''} {p.message}".strip() for p in list(e.problems)[:20])
        return await _version_page(
            request,
            user,
            department,
            version,
            409,
            error=f"校验发现 {len(e.problems)} 个问题，未批准。如仍须批准，请在「批准理由」中写明理由"
            f"（记入审计日志）后再批准。问题：{found}",
        )
    except Forbidden:
        return await _version_page(
            request,
            user,
            department,
            version,
            403,
            error="上传草稿的人不能批准自己的草稿，须由另一位审核人员批准。",
        )
    except NotFound:
        raise PageError(404, "没有这个版本", f"{department} 没有 {version} 版。") from None
    except RulesetLoadError as e:
        err = upload_error(e)
        return await _version_page(
            request,
            user,
            department,
            version,
            422,
            error=f"未替换：{err.reason}" + (f"（第 {err.line} 行）" if err.line else ""),
            text=text,
            lines=numbered(text or "", [err]),
            upload_errors=[err],
        )
    except DiscretionError as e:
        msg = e.message if any("\u4e00" <= ch <= "\u9fff" for ch in e.message) else _REFUSED[action] + "。"
        return await _version_page(request, user, department, version, 409, error=msg)
    done = {
        "approve": "approved",
        "publish": "published",
        "withdraw": "withdrawn",
        "replace": "replaced",
    }[action]
    if action == "publish":
        request.app.state.library.invalidate()
    return RedirectResponse(f"/review/{department}/{version}?done={done}", status_code=303)

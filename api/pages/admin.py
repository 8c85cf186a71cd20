"""The admin's pages: users (create, disable, enable) and API keys (create for a user, revoke).

The store functions are the CLI's and the API's (discretion.store.users / keys), so the same rules
hold: the last admin cannot be disabled, the last admin key cannot be revoked, a token shows once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from discretion.errors import DiscretionError
from discretion.store.keys import ROLES, list_keys, revoke_key
from discretion.store.tables import Department, User
from discretion.store.users import (
    create_user,
    create_user_key,
    list_users,
    make_password,
    set_disabled,
)

from .web import CSRF_MESSAGE, csrf_ok, render, require_role, signed_in

router = APIRouter(include_in_schema=False)

FIELD_LABELS = {
    "name": "登录名",
    "display_name": "姓名",
    "role": "角色",
    "department": "部门",
    "password": "密码",
    "id": "密钥",
}


def _message(e: DiscretionError) -> str:
    """Store errors in Chinese for these pages; English ones are replaced by a plain reason."""
    msg = e.message
    if any("\u4e00" <= ch <= "\u9fff" for ch in msg):
        return msg
    return {"NotFound": "没有找到", "Conflict": "与现有记录冲突"}.get(type(e).__name__, "无法完成") + (
        f"（{FIELD_LABELS.get(e.field or '', '')}）" if e.field in FIELD_LABELS else ""
    )


def _users(engine: Any) -> tuple[list[User], list[tuple[str, str]]]:
    with Session(engine) as session:
        users = list_users(session)
        depts = [(d.code, d.name) for d in session.exec(select(Department).order_by(Department.code))]
        for u in users:
            session.expunge(u)
        return users, depts


async def _users_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    users, depts = await run_in_threadpool(_users, request.app.state.engine)
    return render(
        request,
        "admin_users.html.j2",
        status,
        users=users,
        departments=depts,
        roles=ROLES,
        form=ctx.pop("form", {}),
        **ctx,
    )


@router.get("/admin/users")
async def users_page(request: Request) -> HTMLResponse:
    user = await signed_in(request)
    require_role(user, "admin")
    return await _users_page(request)


def _create(engine: Any, actor: str, form: dict[str, str]) -> str:
    password = form.get("password") or make_password()
    with Session(engine) as session:
        create_user(
            session,
            form.get("name", "").strip(),
            form.get("display_name", ""),
            form.get("role", ""),
            form.get("department") or None,
            password,
            actor=actor,
        )
        session.commit()
    return password


@router.post("/admin/users", response_model=None)
async def users_create(request: Request) -> Response:
    user = await signed_in(request)
    require_role(user, "admin")
    data = await request.form(max_fields=20, max_files=0)
    form = {k: str(v)[:200] for k, v in data.items()}
    if not csrf_ok(request, form):
        return await _users_page(request, 403, error=CSRF_MESSAGE, form=form)
    try:
        password = await run_in_threadpool(_create, request.app.state.engine, user.name, form)
    except DiscretionError as e:
        return await _users_page(request, 422, error=_message(e), bad=e.field, form=form)
    shown = password if not form.get("password") else None
    return await _users_page(request, created=form.get("name", "").strip(), password=shown)


def _toggle(engine: Any, actor: str, name: str, disabled: bool) -> None:
    with Session(engine) as session:
        set_disabled(session, name, disabled, actor=actor)
        session.commit()


@router.post("/admin/users/{name}/{action}", response_model=None)
async def users_toggle(request: Request, name: str, action: str) -> Response:
    user = await signed_in(request)
    require_role(user, "admin")
    form = await request.form(max_fields=5, max_files=0)
    if not csrf_ok(request, form):
        return await _users_page(request, 403, error=CSRF_MESSAGE)
    if action not in ("disable", "enable"):
        return await _users_page(request, 404, error="没有这个操作。")
    try:
        await run_in_threadpool(_toggle, request.app.state.engine, user.name, name, action == "disable")
    except DiscretionError as e:
        return await _users_page(request, e.status if hasattr(e, "status") else 422, error=_message(e))
    return await _users_page(request, done=f"已{'停用' if action == 'disable' else '启用'}用户 {name}。")


def _keys(engine: Any) -> tuple[list[Any], list[User]]:
    with Session(engine) as session:
        keys, users = list_keys(session), list_users(session)
        for k in keys:
            session.expunge(k)
        for u in users:
            session.expunge(u)
        return keys, users


async def _keys_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    keys, users = await run_in_threadpool(_keys, request.app.state.engine)
    return render(request, "admin_keys.html.j2", status, keys=keys, users=users, **ctx)


@router.get("/admin/keys")
async def keys_page(request: Request) -> HTMLResponse:
    user = await signed_in(request)
    require_role(user, "admin")
    return await _keys_page(request)


def _make_key(engine: Any, actor: str, owner: str, label: str) -> str:
    with Session(engine) as session:
        u = session.get(User, owner)
        if u is None or u.disabled:
            raise DiscretionError("请选择一个可用的用户", field="user")
        _, token = create_user_key(session, u, actor=actor, label=label)
        session.commit()
        return token


def _revoke(engine: Any, actor: str, key_id: str) -> None:
    with Session(engine) as session:
        revoke_key(session, key_id, actor=actor)
        session.commit()


@router.post("/admin/keys", response_model=None)
async def keys_create(request: Request) -> Response:
    user = await signed_in(request)
    require_role(user, "admin")
    form = await request.form(max_fields=10, max_files=0)
    if not csrf_ok(request, form):
        return await _keys_page(request, 403, error=CSRF_MESSAGE)
    try:
        token = await run_in_threadpool(
            _make_key,
            request.app.state.engine,
            user.name,
            str(form.get("user", "")),
            str(form.get("label", ""))[:200],
        )
    except DiscretionError as e:
        return await _keys_page(request, 422, error=_message(e) if e.field != "user" else e.message, bad="user")
    return await _keys_page(request, token=token)


@router.post("/admin/keys/{key_id}/revoke", response_model=None)
async def keys_revoke(request: Request, key_id: str) -> Response:
    user = await signed_in(request)
    require_role(user, "admin")
    form = await request.form(max_fields=5, max_files=0)
    if not csrf_ok(request, form):
        return await _keys_page(request, 403, error=CSRF_MESSAGE)
    try:
        await run_in_threadpool(_revoke, request.app.state.engine, user.name, key_id)
    except DiscretionError as e:
        msg = "这是最后一个可用的管理员密钥，请先为管理员另建一个密钥。" if "last" in e.message else _message(e)
        return await _keys_page(request, 409, error=msg)
    cache = request.app.state.key_cache
    for token in [t for t, (_, k) in list(cache.items()) if k.id == key_id]:
        cache.pop(token, None)
    return await _keys_page(request, done=f"已吊销密钥 {key_id}。")

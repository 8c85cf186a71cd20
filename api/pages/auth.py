"""Sign-in and sign-out. Wrong passwords are slowed down, then the account is locked for a while."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session

from discretion.store.users import SignIn, sign_in

from .web import CSRF_MESSAGE, HOME, csrf_ok, render, signed_in

router = APIRouter(include_in_schema=False)


def _safe_next(url: str | None) -> str | None:
    """Only a path on this site (no //host, no scheme): never an open redirect."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


@router.get("/login")
async def login_page(request: Request, next: str | None = None, expired: str | None = None) -> HTMLResponse:
    notice = "登录已超时，请重新登录；登录后回到刚才的页面。" if expired else None
    return render(request, "login.html.j2", next=_safe_next(next) or "", notice=notice, name="")


def _attempt(engine: Engine, name: str, password: str) -> SignIn:
    with Session(engine) as session:
        result = sign_in(session, name, password)
        if result.user is not None:
            session.expunge(result.user)
        return result


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    form = await request.form()
    name, password = str(form.get("name", ""))[:64], str(form.get("password", ""))[:256]
    nxt = _safe_next(str(form.get("next", "")))
    if not csrf_ok(request, form):
        return render(request, "login.html.j2", 403, error=CSRF_MESSAGE, name=name, next=nxt or "")
    if not name.strip() or not password:
        return render(
            request,
            "login.html.j2",
            422,
            error="请填写登录名和密码。",
            name=name,
            next=nxt or "",
            bad="name" if not name.strip() else "password",
        )
    result = await run_in_threadpool(_attempt, request.app.state.engine, name, password)
    if result.user is None:
        await asyncio.sleep(result.delay * float(getattr(request.app.state, "login_delay_scale", 1.0)))
        if result.reason == "locked":
            until = result.locked_until.astimezone().strftime("%H:%M") if result.locked_until else ""
            msg = f"密码连续错误次数过多，账户已暂时锁定，请于 {until} 后再试，或请管理员协助。"
            return render(request, "login.html.j2", 429, error=msg, name=name, next=nxt or "")
        msg = "此账户已停用，请联系管理员。" if result.reason == "disabled" else "登录名或密码不正确。"
        return render(request, "login.html.j2", 401, error=msg, name=name, next=nxt or "", bad="password")
    request.session.clear()
    request.session.update(user=result.user.name, seen=int(time.time()))
    return RedirectResponse(nxt or HOME.get(result.user.role, "/"), status_code=303)


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return render(request, "error.html.j2", 403, title="未退出", message=CSRF_MESSAGE)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_model=None)
async def home(request: Request) -> Response:
    user = await signed_in(request)
    return RedirectResponse(HOME.get(user.role, "/evaluate"), status_code=303)

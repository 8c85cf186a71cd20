"""What every page shares: templates, the signed-in user, CSRF tokens, and errors as Chinese pages.

Sessions live in a signed cookie (starlette SessionMiddleware: itsdangerous, HttpOnly,
SameSite=Strict). The session holds the user's name, when it was last used and a CSRF token; the
user is read from the database on every request, so a disabled user is out at once. A session
idle for longer than `session_ttl` seconds (app.state, default 8 hours) has expired.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from discretion.store.tables import User
from discretion.store.users import ROLE_LABELS

T = TypeVar("T")
SESSION_TTL = 8 * 3600.0
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals["role_labels"] = ROLE_LABELS
#: who did something, as a page names them: the system's own seeding in words, nobody as a dash
ENV.globals["actor"] = lambda name: {"bundled": "系统", None: "—", "": "—"}.get(name, name)

#: where each role starts
HOME = {
    "officer": "/evaluate",
    "reviewer": "/review",
    "supervisor": "/supervise",
    "admin": "/admin/users",
}
#: the navigation each role sees: (path, label)
NAV = {
    "officer": [("/evaluate", "裁量"), ("/evaluations", "已记录")],
    "reviewer": [("/review", "裁量基准")],
    "supervisor": [("/supervise", "一致性检查"), ("/alerts", "预警")],
    "admin": [
        ("/evaluate", "裁量"),
        ("/evaluations", "已记录"),
        ("/review", "裁量基准"),
        ("/supervise", "一致性检查"),
        ("/alerts", "预警"),
        ("/admin/users", "用户"),
        ("/admin/keys", "API 密钥"),
    ],
}


class PageError(Exception):
    """Raised inside a page: answered with a Chinese page saying what is wrong (never a 500)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class SignInNeeded(Exception):
    """No live session: the user is sent to the sign-in page, then back to `next`."""

    def __init__(self, next_url: str, expired: bool) -> None:
        super().__init__(next_url)
        self.next_url, self.expired = next_url, expired


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def csrf_ok(request: Request, form: Any) -> bool:
    """The form carries this session's token (compared in constant time)."""
    sent, mine = form.get("csrf", ""), request.session.get("csrf")
    return bool(mine) and isinstance(sent, str) and secrets.compare_digest(sent, str(mine))


CSRF_MESSAGE = "表单已过期或来源无法确认（安全校验未通过），未作任何处理。请核对下面保留的内容后再提交一次。"


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    user: User | None = getattr(request.state, "user", None)
    html = ENV.get_template(template).render(
        request=request,
        user=user,
        csrf=csrf_token(request),
        nav=NAV.get(user.role, []) if user else [],
        path=request.url.path,
        **ctx,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def fetch(engine: Any, table: type[T], key: Any) -> T | None:
    """One row by primary key, detached from its session (for use after the thread hand-off)."""
    with Session(engine) as session:
        row = session.get(table, key)
        if row is not None:
            session.expunge(row)
        return row


async def signed_in(request: Request) -> User:
    """The live user of this session, or SignInNeeded (expired when it had one that timed out)."""
    name = request.session.get("user")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not name:
        raise SignInNeeded(here, expired=False)
    ttl = float(getattr(request.app.state, "session_ttl", SESSION_TTL))
    last = float(request.session.get("seen", 0))
    if time.time() - last > ttl:
        request.session.pop("user", None)
        raise SignInNeeded(here, expired=True)
    user = await run_in_threadpool(fetch, request.app.state.engine, User, name)
    if user is None or user.disabled:
        request.session.pop("user", None)
        raise SignInNeeded(here, expired=False)
    request.session["seen"] = int(time.time())
    request.state.user = user
    return user


def require_role(user: User, *roles: str) -> None:
    """A page for other roles: 403 page naming the user's role (admins may open every page)."""
    if user.role != "admin" and user.role not in roles:
        need = "、".join(ROLE_LABELS[r] for r in roles)
        raise PageError(
            403,
            "无权打开此页面",
            f"此页面供{need}使用；您登录的身份是{ROLE_LABELS.get(user.role, user.role)}。",
        )


def require_department(user: User, department: str) -> None:
    """Another department's page: 403, saying nothing about what is there."""
    if user.department is not None and user.department != department:
        raise PageError(
            403,
            "无权打开此页面",
            f"此页面属于其他部门；您只能查看本部门（{user.department}）的内容。",
        )


def login_url(next_url: str, expired: bool = False) -> str:
    return f"/login?next={quote(next_url, safe='')}" + ("&expired=1" if expired else "")


def today() -> dt.date:
    return dt.date.today()

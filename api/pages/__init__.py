"""The web pages of the three workplaces (officer, reviewer, supervisor) and the admin's.

`install(app)` adds the signed session cookie, the stylesheet, the pages and their error pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from discretion.settings import load_settings
from discretion.store.users import secret

from . import admin, alerts, auth, importer, officer, reviewer, supervisor
from .web import PageError, SignInNeeded, login_url, render

STATIC = Path(__file__).resolve().parent.parent / "static"
#: the cookie outlives an idle session (web.SESSION_TTL), so an expired one can be told apart
COOKIE_MAX_AGE = 14 * 24 * 3600


class PagesSession:
    """The signed session cookie, for the pages only: the API under /v1/ authenticates by key and never reads
    a session, so its requests skip the cookie's parse and signature check (and set no cookie)."""

    def __init__(
        self, app: ASGIApp, secret_key: str, session_cookie: str, max_age: int, same_site: Any, https_only: bool
    ) -> None:
        self.app = app
        self.sessions = SessionMiddleware(
            app,
            secret_key=secret_key,
            session_cookie=session_cookie,
            max_age=max_age,
            same_site=same_site,
            https_only=https_only,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
        else:
            await self.sessions(scope, receive, send)


def install(app: FastAPI) -> None:
    with Session(app.state.engine) as session:
        key = secret(session)
    app.add_middleware(
        PagesSession,
        secret_key=key,
        session_cookie="discretion_session",
        max_age=COOKIE_MAX_AGE,
        same_site="strict",
        https_only=load_settings().secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, officer, importer, reviewer, supervisor, alerts, admin):
        app.include_router(module.router)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        return render(request, "error.html.j2", exc.status, title=exc.title, message=exc.message)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> RedirectResponse:
        return RedirectResponse(login_url(exc.next_url, exc.expired), status_code=303)

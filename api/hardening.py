"""What makes the app hold against bad input, in one place: the input guard, every error in the
{detail: [{loc, msg, type}]} form (FastAPI's own string details too), and no-store for secrets."""

from __future__ import annotations

import sys

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import revocation_counter
from .guard import InputGuard
from .revocation import Revocations, RevocationWatch


#: seconds between GIL hand-offs (CPython's default is 0.005)
SWITCH_INTERVAL = 0.0005


def harden(app: FastAPI) -> None:
    """Install the guard, the error form, no-store and the revocation watch on `app` (before the
    body limit, which wraps them)."""
    settings = app.state.settings
    watch = RevocationWatch(revocation_counter(app.state.engine), max_age=settings.revocation_max_age)
    app.state.revocations = revocations = Revocations(watch, app.state.engine if settings.revocation_notify else None)
    app.router.add_event_handler("startup", revocations.start)  # a served instance listens (PostgreSQL)
    app.router.add_event_handler("shutdown", revocations.stop)
    # a worker thread busy with CPU (a compile, an import) holds the GIL for the switch interval at a
    # time; the event loop needs it back several times per request: hand it back ten times sooner
    sys.setswitchinterval(SWITCH_INTERVAL)

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # a constraint the database holds (two requests racing for one id, one live version a day)
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["body"],
                        "msg": "conflicts with a stored record (a concurrent request, or a constraint of the store)",
                        "type": "conflict",
                    }
                ]
            },
            409,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail: object = exc.detail  # a str, or the list a route raised
        if not isinstance(detail, list):  # e.g. "There was an error parsing the body", "Not Found"
            loc = ["body"] if exc.status_code == 400 else ["path"]
            detail = [{"loc": loc, "msg": str(detail), "type": "http_error"}]
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    app.add_middleware(InputGuard)
    app.add_middleware(NoStore)


class NoStore:
    """Cache-Control: no-store on every answer that sets no cache policy of its own: every answer
    depends on the caller's key, and some carry a secret (a new key's token)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)

"""The FastAPI application: /v1 API, OpenAPI at /docs, errors as 4xx bodies naming field and reason."""

from __future__ import annotations

from fastapi import FastAPI, Request
from pydantic import ValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from discretion.errors import DiscretionError, RulesetLoadError, StoreError
from discretion.settings import Settings, load_settings
from discretion.store import make_engine

from .errors import ERROR_RESPONSES
from .hardening import harden
from .library import LibraryCache
from .pages.web import ENV
from . import heap, pages
from fastapi_offline import FastAPIOffline
from .routes import audit, cases, evaluate, keys, rulesets, sweeps
from .routes import alerts, decisions, imports, jobs, webhooks
from . import review
from .worker import make_worker


class BodyLimit:
    """Refuse bodies over `limit` bytes (413), by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        page = not scope.get("path", "").startswith("/v1/")  # a page's form: answered with a page, in Chinese
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(self.limit, send, page)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(self.limit, send, page)


class _TooLarge(Exception):
    pass


async def _too_large(limit: int, send: Send, page: bool = False) -> None:
    body: Response = JSONResponse(
        {"detail": [{"loc": ["body"], "msg": f"the body is larger than {limit} bytes", "type": "too_large"}]},
        status_code=413,
    )
    if page:
        html = ENV.get_template("error.html.j2").render(
            user=None,
            nav=[],
            path="",
            title="文件过大",
            message=f"提交的内容超过 {limit / 1024 / 1024:g} MB 的上限，未作任何处理。请检查是否选错了文件。",
        )
        body = HTMLResponse(html, status_code=413, headers={"Cache-Control": "no-store"})
    await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
    await send({"type": "http.response.body", "body": body.body})


def _field_loc(field: str | None) -> list[str]:
    if not field:
        return ["body"]
    return ["body", *field.replace("[", ".").replace("]", "").split(".")]


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over an engine whose schema is migrated (see `discretion serve`); settings from the
    environment unless given (body limit, key cache, library refresh, database when no engine)."""
    settings = settings or load_settings()
    app = FastAPIOffline(
        title="discretion",
        version="0.1.0",
        description="行政处罚裁量基准规则引擎：推荐处罚并给出逐条引用的裁量过程。Keys: `Authorization: Bearer …`.",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.library = LibraryCache(app.state.engine, ttl=settings.library_ttl_seconds)
    app.state.key_cache = {}

    @app.exception_handler(ValidationError)
    async def _model_error(request: Request, exc: ValidationError) -> JSONResponse:
        """A model built from the request inside a route (e.g. the evaluation a decision implies)
        refused a value: the caller's input, so 422 naming the field, never a 500."""
        detail = [
            {"loc": ["body", *(str(p) for p in e["loc"])], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DiscretionError)
    async def _discretion_error(request: Request, exc: DiscretionError) -> JSONResponse:
        status = exc.status if isinstance(exc, StoreError) else 422
        if isinstance(exc, RulesetLoadError):  # a document error: its file and the path inside it
            loc = ["body", *(p for p in (exc.file, exc.path) if p)]
        else:
            loc = _field_loc(exc.field)
        return JSONResponse(
            {"detail": [{"loc": loc, "msg": exc.message, "type": type(exc).__name__}]}, status_code=status
        )

    app.state.worker = make_worker(app)
    app.router.add_event_handler("shutdown", review.shutdown)  # the reviewers' child processes end with it
    # the hot routes first: a request is matched against the routes in order (no other route's path can
    # match /v1/evaluate or /v1/decisions…, so the order changes nothing but the work of matching); the
    # import before the rulesets: POST /v1/rulesets/import is not an upload to a department "import"
    for module in (evaluate, decisions, imports, rulesets, cases, audit, sweeps, keys, alerts, webhooks, jobs):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    pages.install(app)
    harden(app)
    app.add_middleware(BodyLimit, limit=settings.max_body)  # outermost: the guard inside it reads a bounded body
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: DISCRETION_DATABASE_URL picks the (already migrated) database; the
    long-lived heap is kept out of full garbage collections (api/heap.py)."""
    app = create_app()
    app.router.add_event_handler("startup", heap.enable)
    return app

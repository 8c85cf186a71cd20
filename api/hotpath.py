"""The two hot routes (POST /v1/evaluate, POST /v1/decisions) served without FastAPI's per-request machinery
when the request is an ordinary one; anything else goes on to FastAPI unchanged.

Why: measured in process (tools/reqcost.py, 2026-11-30), FastAPI's routing, request handler and dependency
solving cost ~450 µs of CPU per request on these routes — more than the evaluation itself (~70–100 µs for a
warm cell). For a request that is ordinary — `Authorization: Bearer …`, `Content-Type: application/json`,
a body that parses and validates — this middleware does what FastAPI would do, with the same pieces: the
route's own body validator (`route.body_field`, FastAPI's), the same key check (deps.key_for), the route's
own endpoint, and the app's own exception handlers for whatever the endpoint raises (a 403, a 422 from
the evaluation, a 409 from the store). A request that is not ordinary (no or another scheme of
Authorization, another content type, an empty body, JSON that does not parse, a body that does not
validate) is handed on, body and all, to FastAPI, which answers it exactly as before: every error form
comes from the one place it always came from. Nothing the fast path does before handing on has an effect
but the key cache's (the same lookup FastAPI's dependency makes).

It sits inside the input guard and the body limit (they check every request first, these too) and outside
the pages' session (the API never reads it). The endpoints' shape (a body, the caller's key, the Request)
is checked when the app is built: a route that changes shape fails at startup, not per request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from fastapi.security.utils import get_authorization_scheme_param
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import key_for, require_key

#: the routes served here (method POST)
HOT = ("/v1/evaluate", "/v1/decisions")
#: False: every request goes through FastAPI (tests compare the two paths' answers)
ENABLED = True

Endpoint = Callable[..., Awaitable[Response]]


class _Hot:
    """One hot route: its endpoint, its body validator and the names of the endpoint's three parameters."""

    def __init__(self, route: APIRoute) -> None:
        d = route.dependant
        keys = [s for s in d.dependencies if s.call is require_key]
        shape_ok = (
            route.body_field is not None
            and len(d.body_params) == 1
            and not (d.path_params or d.query_params or d.header_params or d.cookie_params)
            and len(d.dependencies) == 1
            and len(keys) == 1
            and d.request_param_name is not None
            and d.response_param_name is None
            and d.background_tasks_param_name is None
            and d.websocket_param_name is None
            and d.security_scopes_param_name is None
            and route.status_code in (None, 200, 201)
        )
        if not shape_ok:
            raise RuntimeError(f"{route.path}: the fast path needs (body, key: CurrentKey, request: Request)")
        assert route.body_field is not None and keys[0].name is not None and d.request_param_name is not None
        self.endpoint: Endpoint = route.endpoint
        self.body_field = route.body_field
        self.names = (route.body_field.name, keys[0].name, d.request_param_name)


class HotRoutes:
    """ASGI middleware: POST /v1/evaluate and /v1/decisions served directly when ordinary (module doc)."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI, routers: list[APIRouter]) -> None:
        self.app, self.fastapi, self.routers = app, fastapi, routers
        self.routes: dict[str, _Hot] | None = None
        self.handling: ExceptionMiddleware | None = None

    def _build(self) -> dict[str, _Hot]:
        """The hot routes from their routers, as included (create_app: with no dependencies added), and the
        exception handlers (the first request: every handler is added by then)."""
        if self.fastapi.router.dependencies:
            raise RuntimeError("the app has dependencies of its own: the fast path would skip them")
        routes = {}
        for route in (r for router in self.routers for r in router.routes):
            if isinstance(route, APIRoute) and route.path in HOT and "POST" in (route.methods or ()):
                routes[route.path] = _Hot(route)
        missing = set(HOT) - set(routes)
        if missing:
            raise RuntimeError(f"no route for {sorted(missing)}")
        # the exception handlers as FastAPI's ExceptionMiddleware has them (500/Exception stay with the
        # server-error middleware outside, as in FastAPI's stack)
        handlers = {k: v for k, v in self.fastapi.exception_handlers.items() if k not in (500, Exception)}
        self.handling = ExceptionMiddleware(self._endpoint, handlers=handlers, debug=self.fastapi.debug)
        self.routes = routes
        return routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in HOT or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        routes = self.routes if self.routes is not None else self._build()
        hot = routes[scope["path"]]
        token = _bearer(scope)
        if token is None or not _is_json(scope) or self.fastapi.dependency_overrides or not ENABLED:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # disconnected: FastAPI sees it as before
                await self.app(scope, _replay(chunks, message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        value = _json(body)
        if value is None:  # empty or not JSON: FastAPI's own answer
            await self.app(scope, _replay([body], None, receive), send)
            return
        request = Request(scope, _replay([body], None, receive), send)
        assert self.handling is not None
        try:
            key = await key_for(request, token)
        except HTTPException as e:
            # unknown or revoked: the 401 FastAPI gives (its dependencies run after the JSON is parsed and
            # before the body is validated), through the same handler, without a second lookup
            await self.handling({**scope, "discretion.hot": _raise(e)}, request.receive, send)
            return
        validated, errors = hot.body_field.validate(value, {}, loc=("body",))
        if errors:  # FastAPI's 422, from FastAPI
            await self.app(scope, _replay([body], None, receive), send)
            return
        kwargs = {hot.names[0]: validated, hot.names[1]: key, hot.names[2]: request}
        await self.handling({**scope, "discretion.hot": lambda: hot.endpoint(**kwargs)}, request.receive, send)

    @staticmethod
    async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        """The app inside the exception handling: the endpoint's answer, or the handler's for what it raised."""
        response = await scope["discretion.hot"]()
        await response(scope, receive, send)


def _raise(e: Exception) -> Callable[[], Awaitable[Response]]:
    async def raising() -> Response:
        raise e

    return raising


def _bearer(scope: Scope) -> str | None:
    """The credentials of `Authorization: Bearer …`, read as HTTPBearer reads them; None for anything else."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, credentials = get_authorization_scheme_param(value.decode("latin-1"))
            return credentials if scheme.lower() == "bearer" and credentials else None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


def _json(body: bytes) -> Any:
    """The body as FastAPI parses it (Starlette's Request.json: json.loads), or None when it does not parse
    or is JSON null (FastAPI answers both)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _replay(bodies: list[bytes], last: Message | None, receive: Receive) -> Receive:
    queue: list[Message] = [{"type": "http.request", "body": b"".join(bodies), "more_body": False}]
    if last is not None:
        queue = [{"type": "http.request", "body": b"".join(bodies), "more_body": True}, last]

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay

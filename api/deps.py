"""Typed dependencies: the database session, the caller's key, and role/department checks."""

from __future__ import annotations

import time
from typing import Annotated
from collections.abc import Callable, Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from discretion.store.keys import authenticate, revocations
from discretion.store.users import key_user
from discretion.store.tables import ApiKey

from .library import LibraryCache

_bearer = HTTPBearer(auto_error=False, description="API key: Authorization: Bearer dk_…")


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_library_cache(request: Request) -> LibraryCache:
    # async: a plain def dependency costs a thread hand-off per request (measured: most of the server time)
    return library_of(request)


LibraryDep = Annotated[LibraryCache, Depends(get_library_cache)]


def library_of(request: Request) -> LibraryCache:
    """The app's library, for the hot routes (evaluate, decisions), which take it without a dependency."""
    return request.app.state.library  # type: ignore[no-any-return]  # app.state is untyped; create_app sets it


def _unauthorized(msg: str) -> HTTPException:
    return HTTPException(
        401,
        detail=[{"loc": ["header", "authorization"], "msg": msg, "type": "unauthorized"}],
        headers={"WWW-Authenticate": "Bearer"},
    )


async def require_key(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> ApiKey:
    """The caller's live key (401 without one). Keys are looked up once per token and cached."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise _unauthorized("a valid API key is required (Authorization: Bearer …)")
    return await key_for(request, creds.credentials)


async def key_for(request: Request, token: str) -> ApiKey:
    """The live key of a bearer token (401 when unknown or revoked), from the cache when it may be used
    (require_key, and the hot routes' fast path, api/hotpath.py)."""
    state = request.app.state
    cache: dict[str, tuple[float, ApiKey]] = state.key_cache
    revocations = state.revocations
    seen = await revocations.current()
    if seen != getattr(state, "revocations_seen", None):  # a key was revoked somewhere
        cache.clear()
        state.revocations_seen = seen
    hit = cache.get(token)
    key = hit[1] if hit is not None and hit[0] > time.monotonic() else None
    if key is None:
        key = await run_in_threadpool(_lookup, state.engine, token)
        if key is None:
            raise _unauthorized("unknown or revoked API key")
        # looked up at most this often per token (settings.key_cache_seconds); a revocation anywhere
        # clears the cache at once (api/revocation.py). Not cached when a revocation was seen while it was
        # looked up: the lookup may have read the key just before it was revoked.
        if state.revocations_seen == seen and (not revocations.live or revocations.current_nowait() == seen):
            cache[token] = (time.monotonic() + state.settings.key_cache_seconds, key)
    return key


def _lookup(engine: Engine, token: str) -> ApiKey | None:
    with Session(engine) as session:
        key = authenticate(session, token)
        if key is not None and key.user_name is not None and key_user(session, key) is None:
            return None  # the key's owner is disabled
        if key is not None:
            session.expunge(key)
        return key


CurrentKey = Annotated[ApiKey, Depends(require_key)]


def forbid(msg: str, loc: list[str]) -> HTTPException:
    return HTTPException(403, detail=[{"loc": loc, "msg": msg, "type": "forbidden"}])


def check_role(key: ApiKey, *roles: str) -> None:
    """403 unless the key has one of the roles (admin may do everything)."""
    if key.role not in roles and key.role != "admin":
        raise forbid(f"role {key.role!r} may not do this (needs {' or '.join(roles)})", ["header", "authorization"])


def check_department(key: ApiKey, department: str, loc: list[str]) -> None:
    """403 when a department-scoped key acts for another department."""
    if key.department is not None and key.department != department:
        raise forbid(f"this key is scoped to department {key.department!r}, not {department!r}", loc)


def revocation_counter(engine: Engine) -> Callable[[], int]:
    """A reader of the store's revocation counter, for RevocationWatch."""

    def read() -> int:
        with Session(engine) as session:
            return revocations(session)

    return read

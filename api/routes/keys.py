"""API keys for admins: list, create (the token is shown once), revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from discretion.store.keys import create_key, list_keys, revoke_key
from discretion.store.tables import ApiKey

from discretion.errors import NotFound
from discretion.store.users import actor_name

from ..params import RecordIdPath
from ..deps import CurrentKey, SessionDep, check_department, check_role, forbid

router = APIRouter(prefix="/v1", tags=["keys"])


class KeyPublic(BaseModel):
    id: str
    role: str
    department: str | None
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreated(KeyPublic):
    token: str = Field(description="the key itself: shown this once, stored only as its sha256")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["officer", "reviewer", "supervisor", "admin"]
    department: str | None = Field(default=None, min_length=1, max_length=64, description="缺省：全部部门")
    label: str = Field(default="", max_length=200)


def _public(key: ApiKey) -> dict[str, Any]:
    return {k: getattr(key, k) for k in KeyPublic.model_fields}


@router.get("/keys", response_model=list[KeyPublic])
def keys(session: SessionDep, key: CurrentKey) -> list[dict[str, Any]]:
    """Every key with its role, scope and state (admin); a department's admin sees its department's."""
    check_role(key, "admin")
    return [_public(k) for k in list_keys(session) if key.department is None or k.department == key.department]


@router.post("/keys", response_model=KeyCreated, status_code=201)
def create(body: KeyIn, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """A new key (admin); the response is the only place its token appears (sent with no-store).
    A department's admin makes keys of its own department only, never unscoped ones."""
    check_role(key, "admin")
    if key.department is not None:
        if body.department is None:
            raise forbid(
                f"this key is scoped to department {key.department!r}: it cannot create keys for every department",
                ["body", "department"],
            )
        check_department(key, body.department, ["body", "department"])
    made, token = create_key(session, body.role, body.department, actor=actor_name(key), label=body.label)
    session.commit()
    session.refresh(made)
    return {**_public(made), "token": token}


@router.delete("/keys/{key_id}", response_model=KeyPublic)
def revoke(key_id: RecordIdPath, http: Request, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """Revoke a key (admin; a department's admin, its department's keys): refused at once by every
    instance (they compare the revocation counter per request). The last live admin key cannot be
    revoked (409)."""
    check_role(key, "admin")
    if key.department is not None:
        target = session.get(ApiKey, key_id)
        if target is None or target.department != key.department:  # another department's key: not ours to see
            raise NotFound(f"no API key {key_id!r} in department {key.department!r}", field="id")
    revoked = revoke_key(session, key_id, actor=actor_name(key))
    session.commit()
    session.refresh(revoked)
    cache = http.app.state.key_cache
    for token in [t for t, (_, k) in list(cache.items()) if k.id == key_id]:
        cache.pop(token, None)
    return _public(revoked)

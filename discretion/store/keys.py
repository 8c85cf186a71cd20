"""API keys: shown once at creation, stored as sha256 only, with a role and a department scope."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from ..errors import Conflict, NotFound
from .audit import record
from .tables import ApiKey, Department, StoreState, utcnow

REVOCATIONS = "key_revocations"
#: the PostgreSQL channel a revocation is announced on, when its transaction commits (api/revocation.py listens)
CHANNEL = "discretion_revocations"

ROLES = ("officer", "reviewer", "supervisor", "admin")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_key(
    session: Session, role: str, department: str | None, *, actor: str = "system", label: str = ""
) -> tuple[ApiKey, str]:
    """Make a key; returns the record and the token (the only time the token exists in clear)."""
    if role not in ROLES:
        raise ValueError(f"role: must be one of {', '.join(ROLES)}")
    if department is not None and session.get(Department, department) is None:
        raise NotFound(f"unknown department {department!r}", field="department")
    key_id = secrets.token_hex(6)
    token = f"dk_{key_id}_{secrets.token_urlsafe(24)}"
    key = ApiKey(id=key_id, secret_hash=_hash(token), role=role, department=department, label=label)
    session.add(key)
    record(session, actor, "key.create", department=department, target=key_id, detail={"role": role, "label": label})
    return key, token


def authenticate(session: Session, token: str) -> ApiKey | None:
    """The live key for a bearer token, or None."""
    key = session.exec(select(ApiKey).where(ApiKey.secret_hash == _hash(token))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def has_admin(session: Session) -> bool:
    return session.exec(select(ApiKey).where(ApiKey.role == "admin", ApiKey.revoked_at == None)).first() is not None  # noqa: E711


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (no secrets: only hashes are stored)."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))))


def revoke_key(session: Session, key_id: str, *, actor: str) -> ApiKey:
    """Revoke a key for good (idempotent). The last live admin key cannot be revoked: nobody could
    then manage keys through the API (`discretion keys create` on the server still can)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id!r}", field="id")
    if key.revoked_at is None:
        if key.role == "admin":
            others = session.exec(
                select(ApiKey).where(
                    ApiKey.role == "admin",
                    ApiKey.revoked_at == None,  # noqa: E711
                    ApiKey.id != key_id,
                )
            ).first()
            if others is None:
                raise Conflict("this is the last live admin key; create another admin key first", field="id")
        key.revoked_at = utcnow()
        session.add(key)
        note_revocation(session)
        record(
            session,
            actor,
            "key.revoke",
            department=key.department,
            target=key_id,
            detail={"role": key.role, "label": key.label},
        )
    return key


def note_revocation(session: Session) -> None:
    """A key stops working (revoked, or its owner disabled): every instance drops its cached keys. The
    counter moves in this transaction; on PostgreSQL the instances listening are told when it commits."""
    session.execute(
        update(StoreState).where(col(StoreState.name) == REVOCATIONS).values(counter=StoreState.counter + 1)
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def revocations(session: Session) -> int:
    """How many revocations the store has seen (a cheap read: one row by primary key)."""
    value = session.execute(select(StoreState.counter).where(col(StoreState.name) == REVOCATIONS)).scalar_one_or_none()
    return int(value or 0)

"""Named users: who signs in to the web pages, with which role and department.

Passwords are hashed with argon2id (argon2-cffi); only the hash is stored. Wrong passwords are
counted per user: each failure slows the next answer (`delay_after`), and `LOCK_AFTER` failures in
a row lock the account for `LOCK_MINUTES`, during which even the right password is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ..errors import Conflict, NotFound, StoreError
from .audit import record
from .keys import ROLES, create_key, note_revocation
from .tables import ApiKey, AppSecret, Department, User, utcnow

LOCK_AFTER = 5
LOCK_MINUTES = 15
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ROLE_LABELS = {
    "officer": "执法人员",
    "reviewer": "法制审核人员",
    "supervisor": "执法监督人员",
    "admin": "系统管理员",
}

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password")  # verified against for unknown names, so both take as long


def delay_after(failures: int) -> float:
    """Seconds to hold the answer to a wrong password: grows with the failures in a row (≤ 4 s)."""
    return 0.0 if failures <= 0 else min(4.0, 0.25 * 2 ** (failures - 1))


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t


def make_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    name: str,
    display_name: str,
    role: str,
    department: str | None,
    password: str,
    *,
    actor: str = "system",
) -> User:
    """Add a user; the name is a short login name (lower case letters, digits, . _ -)."""
    if not NAME.match(name):
        raise StoreError("登录名只能由小写字母、数字和 . _ - 组成（1 至 64 个字符）", field="name")
    if not display_name.strip():
        raise StoreError("请填写姓名", field="display_name")
    if role not in ROLES:
        raise StoreError(f"角色须为 {', '.join(ROLES)} 之一", field="role")
    if department is not None and session.get(Department, department) is None:
        raise NotFound(f"没有部门 {department!r}", field="department")
    if len(password) < 10:
        raise StoreError("密码至少 10 个字符", field="password")
    if session.get(User, name) is not None:
        raise Conflict(f"用户 {name!r} 已存在", field="name")
    user = User(
        name=name,
        display_name=display_name.strip(),
        role=role,
        department=department,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    record(
        session,
        actor,
        "user.create",
        department=department,
        target=name,
        detail={"role": role, "display_name": user.display_name},
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))


def has_admin_user(session: Session) -> bool:
    q = select(User).where(User.role == "admin", User.disabled == False)  # noqa: E712
    return session.exec(q).first() is not None


def set_disabled(session: Session, name: str, disabled: bool, *, actor: str) -> User:
    """Disable (or enable again) a user; a disabled user's sessions and keys stop working."""
    user = session.get(User, name)
    if user is None:
        raise NotFound(f"没有用户 {name!r}", field="name")
    if disabled and user.role == "admin" and not user.disabled:
        others = session.exec(
            select(User).where(
                User.role == "admin",
                User.disabled == False,  # noqa: E712
                User.name != name,
            )
        ).first()
        if others is None:
            raise Conflict("这是最后一个可用的管理员，不能停用", field="name")
    if user.disabled != disabled:
        user.disabled = disabled
        if not disabled:
            user.failed_logins, user.locked_until = 0, None
        else:
            note_revocation(session)  # the user's keys stop on every instance now, not when a cache expires
        session.add(user)
        record(
            session,
            actor,
            "user.disable" if disabled else "user.enable",
            department=user.department,
            target=name,
        )
    return user


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or why not, and how long to hold the answer."""

    user: User | None
    reason: str | None = None  # "wrong" | "locked" | "disabled"
    locked_until: dt.datetime | None = None
    delay: float = 0.0


def sign_in(session: Session, name: str, password: str, *, now: dt.datetime | None = None) -> SignIn:
    """Check a password and count failures (committed here: a failure must be remembered)."""
    now = now or utcnow()
    user = session.get(User, name.strip().lower()) if name.strip() else None
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY, password)  # unknown names take as long
        return SignIn(None, "wrong", delay=delay_after(1))
    locked = _aware(user.locked_until)
    if locked is not None and locked > now:
        return SignIn(None, "locked", locked_until=locked)
    ok: bool
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            record(session, user.name, "user.locked", department=user.department, target=user.name)
        session.add(user)
        session.commit()
        until = _aware(user.locked_until)
        if until is not None and until > now:
            return SignIn(None, "locked", locked_until=until, delay=delay_after(LOCK_AFTER))
        return SignIn(None, "wrong", delay=delay_after(user.failed_logins))
    if user.disabled:
        return SignIn(None, "disabled")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.add(user)
    record(session, user.name, "user.sign_in", department=user.department, target=user.name)
    session.commit()
    session.refresh(user)
    return SignIn(user)


def create_user_key(session: Session, user: User, *, actor: str, label: str = "") -> tuple[ApiKey, str]:
    """An API key owned by `user`, with the user's role and department; the token is shown once."""
    key, token = create_key(session, user.role, user.department, actor=actor, label=label or user.display_name)
    key.user_name = user.name
    session.add(key)
    return key, token


def key_user(session: Session, key: ApiKey) -> User | None:
    """The live owner of a key (None for keys made before users existed, or a disabled owner)."""
    if key.user_name is None:
        return None
    user = session.get(User, key.user_name)
    return user if user is not None and not user.disabled else None


def actor_name(key: ApiKey) -> str:
    """What the audit log calls a key's holder: its user's name, or the key id for older keys."""
    return key.user_name or key.id


def secret(session: Session, name: str = "session") -> str:
    """A random secret every worker shares (made once, stored in the database)."""
    row = session.get(AppSecret, name)
    if row is None:
        row = AppSecret(name=name, value=secrets.token_urlsafe(48))
        session.add(row)
        try:
            session.commit()
        except Exception:  # noqa: BLE001 - another worker made it first
            session.rollback()
            row = session.get(AppSecret, name)
            assert row is not None
    return row.value

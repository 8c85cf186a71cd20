"""Helpers for the web-page tests: a signed-in test client, CSRF tokens read from the page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from discretion.store.lifecycle import ensure_department
from discretion.store.users import create_user

PASSWORD = "correct-horse-9"
#: name, display name, role, department
PEOPLE = [
    ("admin", "系统管理员", "admin", None),
    ("li", "李明", "officer", "food"),
    ("wang", "王芳", "officer", "food"),
    ("zhao", "赵敏", "reviewer", "food"),
    ("qian", "钱进", "reviewer", "food"),
    ("sun", "孙立", "supervisor", "food"),
    ("zhou", "周强", "officer", "other"),
]


def add_people(engine: Any) -> None:
    with Session(engine) as s:
        ensure_department(s, "other", "其他部门")
        s.commit()
        for name, display, role, dept in PEOPLE:
            create_user(s, name, display, role, dept, PASSWORD)
        s.commit()


def client(engine: Any) -> TestClient:
    app = create_app(engine)
    app.state.login_delay_scale = 0.0  # the slow-down is counted, not waited for, in tests
    return TestClient(app)


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "the page has a form with a CSRF token"
    return m.group(1)


def sign_in(c: TestClient, name: str, password: str = PASSWORD) -> Any:
    token = csrf(c.get("/login").text)
    return c.post(
        "/login",
        data={"csrf": token, "name": name, "password": password, "next": ""},
        follow_redirects=False,
    )


def alerts(html: str) -> list[str]:
    return re.findall(r'role="alert">([^<]+)<', html)


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="err"[^>]*>([^<]+)<', html)


def visible(html: str) -> str:
    """The text a reader sees: tags, attributes and the stylesheet link removed."""
    return re.sub(r"<[^>]+>", " ", html)


def people_client(engine: Any, who: str | None = None) -> TestClient:
    """A client over `engine` with PEOPLE added, signed in as `who` (if given); keeps `.engine`. The people are
    made for real once per process, store state and password hasher, replayed after that (tests/conftest.py
    `replay_or_run`: the same rows, password hashes included)."""
    from discretion.store import users

    from .conftest import replay_or_run

    replay_or_run(engine, f"people, hasher {id(users._hasher)}", add_people)
    c = client(engine)
    c.engine = engine  # type: ignore[attr-defined]
    if who:
        sign_in(c, who)
    return c


def loop_spy(fn: Any, calls: list[bool]) -> Any:
    """`fn`, recording for each call whether it ran on a thread with a running event loop (True: on the loop)."""
    import asyncio

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            calls.append(True)
        except RuntimeError:
            calls.append(False)
        return fn(*args, **kwargs)

    return wrapped

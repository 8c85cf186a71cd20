"""Named users on the web: sign-in, slowed then locked wrong passwords, expired sessions, CSRF,
pages of another role or department opened by URL, sign-out, and the admin's user and key pages."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from discretion.store.tables import ApiKey, AuditEntry, User
from discretion.store.users import LOCK_AFTER, delay_after

from .web_support import PASSWORD, alerts, csrf, people_client, sign_in


@pytest.fixture
def web(seeded):
    return people_client(seeded)


def test_sign_in_sets_a_signed_httponly_strict_cookie_and_goes_to_the_roles_page(web) -> None:
    r = sign_in(web, "li")
    assert r.status_code == 303 and r.headers["location"] == "/evaluate"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    assert web.get("/evaluate").status_code == 200
    web.cookies.clear()
    assert sign_in(web, "zhao").headers["location"] == "/review"


def test_a_forged_cookie_is_not_a_session(web) -> None:
    sign_in(web, "li")
    value = web.cookies.get("discretion_session")
    web.cookies.set("discretion_session", value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb"))
    r = web.get("/evaluate", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_wrong_password_is_chinese_keeps_the_name_and_is_counted(web) -> None:
    r = sign_in(web, "li", "nope-nope-nope")
    assert r.status_code == 401 and alerts(r.text) == ["登录名或密码不正确。"]
    assert 'value="li"' in r.text and 'aria-invalid="true"' in r.text
    with Session(web.engine) as s:
        assert s.get(User, "li").failed_logins == 1


def test_repeated_wrong_passwords_slow_down_then_lock_even_the_right_one(web) -> None:
    assert [delay_after(n) for n in range(1, 5)] == sorted(delay_after(n) for n in range(1, 5))
    assert delay_after(1) < delay_after(LOCK_AFTER - 1)
    for _ in range(LOCK_AFTER - 1):
        assert sign_in(web, "li", "wrong-password").status_code == 401
    r = sign_in(web, "li", "wrong-password")
    assert r.status_code == 429 and "已暂时锁定" in alerts(r.text)[0]
    r = sign_in(web, "li", PASSWORD)  # locked: the right password is refused too
    assert r.status_code == 429 and "已暂时锁定" in r.text
    with Session(web.engine) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "user.locked")).first() is not None
    web.cookies.clear()
    assert sign_in(web, "wang").status_code == 303  # other users are not locked


def test_missing_or_wrong_csrf_is_refused_and_keeps_what_was_typed(web) -> None:
    web.get("/login")
    r = web.post("/login", data={"name": "li", "password": PASSWORD})
    assert r.status_code == 403 and "安全校验未通过" in alerts(r.text)[0] and 'value="li"' in r.text
    r = web.post("/login", data={"csrf": "forged", "name": "li", "password": PASSWORD})
    assert r.status_code == 403
    sign_in(web, "li")
    r = web.post("/logout", data={})
    assert r.status_code == 403 and web.get("/evaluate").status_code == 200  # still signed in


def test_an_expired_session_sends_to_sign_in_saying_so_and_back(web) -> None:
    sign_in(web, "li")
    web.app.state.session_ttl = -1
    r = web.get("/evaluate/food/F-124?act_date=2024-05-01", follow_redirects=False)
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    page = web.get(r.headers["location"])
    assert "登录已超时" in page.text
    web.app.state.session_ttl = 3600
    r = web.post(
        "/login",
        data={
            "csrf": csrf(page.text),
            "name": "li",
            "password": PASSWORD,
            "next": "/evaluate/food/F-124?act_date=2024-05-01",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/evaluate/food/F-124?act_date=2024-05-01"


def test_an_expired_session_on_submit_keeps_the_typed_case(web) -> None:
    sign_in(web, "li")
    token = csrf(web.get("/evaluate/food/F-124").text)
    web.app.state.session_ttl = -1
    r = web.post(
        "/evaluate/food/F-124",
        data={"csrf": token, "f.goods_value": "8123", "f.harm": "minor", "act_date": "2024-05-01"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    assert "8123" in r.headers["location"]  # the form comes back filled in after signing in


def test_open_redirects_are_refused(web) -> None:
    token = csrf(web.get("/login").text)
    r = web.post(
        "/login",
        data={"csrf": token, "name": "li", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/evaluate"


@pytest.mark.parametrize(
    "who, url",
    [
        ("li", "/review"),
        ("li", "/admin/users"),
        ("zhao", "/evaluate"),
        ("sun", "/admin/keys"),
        ("zhou", "/evaluate/food/F-124"),
    ],
)
def test_pages_of_another_role_or_department_are_403_in_chinese(web, who: str, url: str) -> None:
    sign_in(web, who)
    r = web.get(url)
    assert r.status_code == 403 and "无权打开此页面" in r.text
    assert "货值金额" not in r.text  # nothing of the page behind it


def test_sign_out_ends_the_session(web) -> None:
    sign_in(web, "li")
    page = web.get("/evaluate")
    assert web.post("/logout", data={"csrf": csrf(page.text)}, follow_redirects=False).status_code == 303
    assert web.get("/evaluate", follow_redirects=False).status_code == 303


def test_admin_creates_a_user_who_signs_in_and_a_key_of_theirs_records_under_their_name(
    web,
) -> None:
    sign_in(web, "admin")
    page = web.get("/admin/users")
    r = web.post(
        "/admin/users",
        data={
            "csrf": csrf(page.text),
            "name": "wu",
            "display_name": "吴刚",
            "role": "officer",
            "department": "food",
            "password": "wu-password-1",
        },
    )
    assert r.status_code == 200 and "已创建用户 wu" in r.text
    r = web.post(
        "/admin/users",
        data={
            "csrf": csrf(page.text),
            "name": "Bad Name",
            "display_name": "x",
            "role": "officer",
            "department": "food",
        },
    )
    assert r.status_code == 422 and "登录名" in alerts(r.text)[0] and 'value="Bad Name"' in r.text
    page = web.get("/admin/keys")
    r = web.post("/admin/keys", data={"csrf": csrf(page.text), "user": "wu", "label": "手机"})
    token = r.text.split("<code>")[1].split("</code>")[0]
    with Session(web.engine) as s:
        key = s.exec(select(ApiKey).where(ApiKey.user_name == "wu")).one()
        assert key.role == "officer" and key.department == "food"
    body = {
        "department": "food",
        "item": "F-124",
        "facts": {"goods_value": 8000, "harm": "minor"},
        "act_date": "2024-05-01",
        "decision_date": "2024-06-01",
        "record": True,
    }
    assert web.post("/v1/evaluate", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with Session(web.engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "evaluation.record")).one()
        assert entry.actor == "wu"
    page = web.get("/admin/users")
    assert web.post("/admin/users/wu/disable", data={"csrf": csrf(page.text)}).status_code == 200
    web.app.state.key_cache.clear()
    assert web.post("/v1/evaluate", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    web.cookies.clear()
    assert sign_in(web, "wu", "wu-password-1").status_code == 401  # disabled


def test_the_last_admin_cannot_be_disabled(web) -> None:
    sign_in(web, "admin")
    page = web.get("/admin/users")
    r = web.post("/admin/users/admin/disable", data={"csrf": csrf(page.text)})
    assert r.status_code == 409 and "最后一个" in alerts(r.text)[0]

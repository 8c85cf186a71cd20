"""The supervisor's alerts page (事中预警): the alerts of recorded decisions of the supervisor's department,
filtered and paged, each in words; acknowledge and close with a note (CSRF, audit under the user's name);
another department's alert refused without its content."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from api.pages import alerts as alerts_page
from discretion import RulesetLibrary
from discretion.decisions.record import DecisionIn, check_decision, store_decision
from discretion.condition_words import amount
from discretion.store.tables import Alert, AuditEntry, Decision

from .conftest import FIXTURES
from .web_support import alerts, client, csrf, field_errors, people_client, sign_in, visible

BASE = {
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
    "outcome": "penalty",
    "measures": ["order_correction", "confiscate_goods"],
}


def record(engine, case_id: str, fine: str, *, unit: str = "一所", reason: str = "", **more) -> list[int]:
    """A decision recorded as the API records it; the ids of the alerts it raised."""
    body = DecisionIn.model_validate({**BASE, "case_id": case_id, "fine": fine, "unit": unit, "reason": reason, **more})
    result, crs = check_decision(RulesetLibrary.load(FIXTURES), body)
    answer, _, _ = store_decision(engine, body, officer="li", actor="li", result=result, crs=crs)
    return [f["alert_id"] for f in answer["findings"]]


@pytest.fixture
def web(seeded):
    return people_client(seeded, "sun")


def ids_on(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/alerts/(\d+)"', html)]


def test_the_list_shows_the_departments_alerts_in_words_with_filters(web) -> None:
    first = record(web.engine, "D-1", "70000")  # above the recommended 50,000–65,000 without a reason
    second = record(
        web.engine,
        "D-2",
        "99000",
        unit="二所",
        reason="货值虽小但涉及婴幼儿食品",
        decision_date="2024-09-01",
        measures=[],  # required measures missing: the check's sentence names them with their codes
    )
    record(web.engine, "D-3", "56000")  # within the range: no alert
    assert first and second
    page = web.get("/alerts")
    assert page.status_code == 200
    assert 'href="/alerts"' in page.text  # in the supervisor's navigation
    assert sorted(ids_on(page.text)) == sorted(set(first + second))
    text = visible(page.text)
    assert "罚款70,000元高于基准建议幅度" in text  # the check's own sentence
    assert "偏离基准未说明理由" in text and "生产经营不符合食品安全标准的食品" in text
    assert "未采取应当采取的措施" in text and "未责令改正" in text
    assert "李明（li）" in text  # the officer by display name, as the record names people
    body = text.split("退出登录", 1)[1]  # the page below the header
    assert not re.findall(r"[a-z_]{3,}", body)  # no internal code (kinds, severities, measures) in the text
    assert ids_on(web.get("/alerts", params={"unit": "二所"}).text) == sorted(second, reverse=True)  # newest first
    assert sorted(ids_on(web.get("/alerts", params={"since": "2024-08-01"}).text)) == sorted(second)
    assert ids_on(web.get("/alerts", params={"until": "2024-06-30"}).text) == sorted(first, reverse=True)
    assert ids_on(web.get("/alerts", params={"item": "F-999"}).text) == []
    assert sorted(ids_on(web.get("/alerts", params={"item": "F-124", "officer": "li"}).text)) == sorted(first + second)
    assert ids_on(web.get("/alerts", params={"state": "closed"}).text) == []
    bad = web.get("/alerts", params={"since": "2024-13-01", "unit": "二所"})
    assert bad.status_code == 422 and field_errors(bad.text) == ["「决定日期起」不是有效日期，请按 年-月-日 填写"]
    assert 'value="二所"' in bad.text and 'value="2024-13-01"' in bad.text  # kept as typed


def test_paging_walks_every_alert_once(web, monkeypatch) -> None:
    made = []
    for i in range(3):
        made += record(web.engine, f"P-{i}", "70000")
    monkeypatch.setattr(alerts_page, "PAGE", 2)
    seen: list[int] = []
    url = "/alerts?item=F-124"
    for _ in range(10):
        html = web.get(url).text
        seen += ids_on(html)
        m = re.search(r'href="(/alerts\?[^"]*before=\d+[^"]*)">下一页', html.replace("&amp;", "&"))
        if not m:
            break
        url = m.group(1)
        assert "item=F-124" in url  # the filters go with the page
    assert seen == sorted(made, reverse=True)  # newest first, each once


def test_an_alert_in_words_acknowledged_then_closed_under_the_users_name(web) -> None:
    ids = record(web.engine, "D-9", "70000")
    with Session(web.engine) as s:
        by_id = {a.id: a for a in s.exec(select(Alert))}
        fine_alert = next(i for i in ids if by_id[i].kind == "outside_range")
        rec = s.get(Decision, "D-9").answer["recommendation"]  # type: ignore[union-attr]
    fine = rec["fine"]
    step = next(t for t in rec["trace"] if t["rule"] == by_id[fine_alert].rule)
    page = web.get(f"/alerts/{fine_alert}")
    assert page.status_code == 200
    text = visible(page.text)
    for words in (
        "罚款：70,000元",  # what was decided
        f"建议罚款幅度：{amount(fine['min'])}至{amount(fine['max'])}",  # what the benchmark allows
        f"法定罚款幅度：{amount(fine['statutory_min'])}至{amount(fine['statutory_max'])}",
        step["effect"],  # the rule, in words
        step["citation"],  # the article
        "未说明理由",  # the officer's stated reason (none)
        "李明（li）",
        "一所",
    ):
        assert words in text, words
    assert "元元" not in text and "small-light" not in text and "goods_value" not in text
    token = csrf(page.text)
    # no token: refused, nothing changed, the note kept
    r = web.post(f"/alerts/{fine_alert}/acknowledge", data={"note": "已通知补充说明"})
    assert r.status_code == 403 and "安全校验" in alerts(r.text)[0] and "已通知补充说明" in r.text
    # no note: the field named in Chinese
    r = web.post(f"/alerts/{fine_alert}/close", data={"csrf": token, "note": "  "})
    assert r.status_code == 422 and field_errors(r.text) == ["关闭预警须填写处理意见。"]
    r = web.post(
        f"/alerts/{fine_alert}/acknowledge", data={"csrf": token, "note": "已通知补充说明"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = web.post(f"/alerts/{fine_alert}/close", data={"csrf": token, "note": "理由不成立，已责令重新作出决定"})
    assert r.status_code == 200 and "已关闭" in r.text and "理由不成立" in r.text
    r = web.post(f"/alerts/{fine_alert}/close", data={"csrf": token, "note": "再关一次"})
    assert r.status_code == 409 and "未作任何改动" in alerts(r.text)[0]
    with Session(web.engine) as s:
        a = s.get(Alert, fine_alert)
        assert a is not None and (a.state, a.handled_by, a.note) == ("closed", "sun", "理由不成立，已责令重新作出决定")
        log = s.exec(select(AuditEntry).where(AuditEntry.target == str(fine_alert)).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action) for e in log] == [("sun", "alert.acknowledge"), ("sun", "alert.close")]
    assert ids_on(web.get("/alerts", params={"state": "closed"}).text) == [fine_alert]


def test_the_officers_reason_is_shown(web) -> None:
    ids = record(web.engine, "D-5", "70000", reason="当事人多次拒不配合检查")
    text = visible(web.get(f"/alerts/{ids[0]}").text)
    assert "当事人多次拒不配合检查" in text and "未说明理由" not in text


def test_another_departments_alert_is_refused_without_its_content(web) -> None:
    with Session(web.engine) as s:
        other = Alert(
            case_id="O-1",
            department="other",
            item="X-1",
            unit="外单位",
            officer="zhou",
            decision_date=dt.date(2024, 6, 1),
            kind="outside_range",
            severity="high",
            message="机密的预警内容",
        )
        s.add(other)
        s.commit()
        s.refresh(other)
        other_id = other.id
    page = web.get(f"/alerts/{other_id}")
    assert page.status_code == 403 and "无权打开此页面" in page.text and "机密" not in page.text
    r = web.post(f"/alerts/{other_id}/close", data={"csrf": csrf(web.get("/alerts").text), "note": "越权关闭"})
    assert r.status_code == 403 and "机密" not in r.text
    assert "机密" not in web.get("/alerts").text
    with Session(web.engine) as s:
        assert s.get(Alert, other_id).state == "open"  # type: ignore[union-attr]
    assert web.get("/alerts/999999").status_code == 404
    assert web.get("/alerts/abc").status_code == 404
    officer = client(web.engine)
    sign_in(officer, "li")
    r = officer.get("/alerts")
    assert r.status_code == 403 and "无权打开此页面" in r.text

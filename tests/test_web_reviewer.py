"""The reviewer's pages: upload (file or paste) with errors beside their line, verify, diff, impact,
approve by another reviewer, publish, withdraw and replace a draft; other departments refused."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from discretion.store.cases import import_cases, parse_rows
from discretion.store.lifecycle import get_version

from .test_store import FOOD_2025, _lines
from .web_support import alerts, csrf, loop_spy, people_client, sign_in


@pytest.fixture
def web(seeded):
    return people_client(seeded, "zhao")


def _upload(web, text: str, as_file: bool = False):
    token = csrf(web.get("/review").text)
    if as_file:
        return web.post(
            "/review/upload",
            data={"csrf": token, "department": "food"},
            files={"file": ("food-2025.yaml", text.encode("utf-8"), "text/yaml")},
            follow_redirects=False,
        )
    return web.post(
        "/review/upload",
        data={"csrf": token, "department": "food", "text": text},
        follow_redirects=False,
    )


def test_versions_of_the_department_with_status(web) -> None:
    page = web.get("/review").text
    assert "food" in page and "已发布" in page and "2024" in page
    assert "其他部门" not in page  # a food reviewer sees food only


def test_a_draft_with_an_error_is_shown_with_the_error_beside_its_line_and_kept(web) -> None:
    bad = FOOD_2025.replace("    touches_safety: true", "    touches_safety: true\n    colour: red")
    r = _upload(web, bad)
    assert r.status_code == 422
    line = bad.splitlines().index("    colour: red") + 1
    assert f"第 {line} 行" in alerts(r.text)[0] and "不认识的键" in r.text
    note = r.text.split(f'<span class="ln bad">{line}</span>')[1].split("</span>", 2)
    assert "colour: red" in note[0] and "不认识的键" in r.text.split(f'<span class="ln bad">{line}</span>')[1][:400]
    assert "colour: red" in r.text.split('name="text"')[1]  # the textarea keeps what was pasted
    bad_condition = FOOD_2025.replace("when: repeat_within_2y", "when: repeat_within_3y")
    r = _upload(web, bad_condition)
    assert r.status_code == 422 and "未声明的事实" in r.text


def test_upload_verify_diff_approve_by_another_publish(web) -> None:
    r = _upload(web, FOOD_2025, as_file=True)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/food/2025")
    page = web.get("/review/food/2025").text
    assert "草稿" in page and "上传草稿的人" not in page
    verify = web.get("/review/food/2025/verify")
    assert verify.status_code == 200 and "事实组合" in verify.text
    diff = web.get("/review/food/2025/diff", params={"against": "2024"})
    assert diff.status_code == 200 and "2024 版 → 2025 版" in diff.text
    r = web.post("/review/food/2025/approve", data={"csrf": csrf(page)})
    assert r.status_code == 403 and "另一位审核人员" in alerts(r.text)[0]
    web.cookies.clear()
    sign_in(web, "qian")
    page = web.get("/review/food/2025").text
    assert web.post("/review/food/2025/approve", data={"csrf": csrf(page)}, follow_redirects=False).status_code == 303
    page = web.get("/review/food/2025").text
    assert "已批准" in page
    r = web.post("/review/food/2025/publish", data={"csrf": csrf(page)})
    assert r.status_code == 200 and "已发布" in r.text
    r = web.post("/review/food/2025/withdraw", data={"csrf": csrf(r.text)})
    assert r.status_code == 409 and "只有草稿可以撤回" in alerts(r.text)[0]


def test_withdraw_and_replace_a_draft_before_approval(web) -> None:
    _upload(web, FOOD_2025)
    page = web.get("/review/food/2025").text
    fixed = FOOD_2025.replace("effective_from: 2025-01-01", "effective_from: 2025-02-01")
    r = web.post("/review/food/2025/replace", data={"csrf": csrf(page), "text": fixed})
    assert r.status_code == 200 and "已替换" in r.text
    with Session(web.engine) as s:
        assert str(get_version(s, "food", "2025").effective_from) == "2025-02-01"
    wrong = fixed.replace('version: "2025"', 'version: "2026"')
    r = web.post("/review/food/2025/replace", data={"csrf": csrf(page), "text": wrong})
    assert r.status_code == 422 and "不一致" in r.text and "version: &#34;2026&#34;" in r.text
    r = web.post("/review/food/2025/withdraw", data={"csrf": csrf(page)})
    assert r.status_code == 200 and "已撤回" in r.text


def test_impact_separates_real_changes_from_cases_that_could_not_be_replayed(web) -> None:
    from discretion import RulesetLibrary

    from .conftest import FIXTURES

    report = import_cases(web.engine, parse_rows(_lines(5), "jsonl"), RulesetLibrary.load(FIXTURES))
    assert report.accepted == 5
    # heavier light tier; goods values above 8,002 yuan are refused by the new version (C3, C4)
    heavier = FOOD_2025.replace("range: [50000, 65000]", "range: [60000, 70000]").replace(
        "goods_value: {type: money, label: 货值金额（元）}",
        "goods_value: {type: money, label: 货值金额（元）, maximum: 8002}",
    )
    assert heavier != FOOD_2025
    assert _upload(web, heavier).status_code == 303
    r = web.get("/review/food/2025/impact", params={"against": "2024"})
    assert r.status_code == 200
    real = r.text.split("结果改变的案件")[1].split("无法重放的案件")[0]
    unread = r.text.split("无法重放的案件")[1]
    assert all(f"<td>C{i}</td>" in real for i in range(3)) and "<td>C3</td>" not in real
    assert "<td>C3</td>" in unread and "<td>C4</td>" in unread and "<td>C0</td>" not in unread
    assert "新版本需要事实「货值金额（元）」" in unread


def test_csrf_and_other_departments(web) -> None:
    r = web.post("/review/upload", data={"department": "food", "text": FOOD_2025})
    assert r.status_code == 403 and "安全校验" in r.text and "effective_from: 2025-01-01" in r.text
    token = csrf(web.get("/review").text)
    r = web.post("/review/upload", data={"csrf": token, "department": "other", "text": FOOD_2025})
    assert r.status_code == 403
    assert web.get("/review/other/2024").status_code == 403
    assert re.search("无权", web.get("/review/other/2024/verify").text)


#: bad drafts a reviewer may upload: (what is wrong, the draft)
BAD_DRAFTS = [
    ("unknown key", FOOD_2025.replace("    touches_safety: true", "    touches_safety: true\n    colour: red")),
    ("missing key", FOOD_2025.replace('version: "2025"\n', "")),
    ("bad date", FOOD_2025.replace("effective_from: 2025-01-01", "effective_from: 2025-13-01")),
    ("bad bool", FOOD_2025.replace("    touches_safety: true", "    touches_safety: maybe")),
    ("bad literal", FOOD_2025.replace("    list: exemption", "    list: sometimes")),
    ("bad number", FOOD_2025.replace("times: [10, 20]", "times: [ten, 20]")),
    ("yaml colon", FOOD_2025.replace("    name: 生产经营不符合食品安全标准的食品", "    name: 生产: 经营")),
    ("yaml tab", FOOD_2025.replace("    touches_safety: true", "\ttouches_safety: true")),
    ("yaml bracket", FOOD_2025.replace("times: [10, 20]", "times: [10, 20")),
    ("yaml indent", FOOD_2025.replace("    touches_safety: true", "      touches_safety: true")),
    ("condition syntax", FOOD_2025.replace("when: repeat_within_2y", 'when: "goods_value <"')),
    ("undeclared fact", FOOD_2025.replace("when: repeat_within_2y", "when: repeat_within_3y")),
    ("call in condition", FOOD_2025.replace("when: purchase_checked", "when: \"__import__('os').system('id')\"")),
    ("bool compared", FOOD_2025.replace("when: repeat_within_2y", "when: repeat_within_2y > 3")),
    ("enum value", FOOD_2025.replace("harm == 'serious'", "harm == 'huge'")),
    ("two fine kinds", FOOD_2025.replace("times: [10, 20]", "times: [10, 20]\n          range: [1, 2]")),
    ("not a mapping", "这不是裁量基准，只是一段话。"),
    ("another department", FOOD_2025.replace("department: food", "department: general")),
    ("version exists", FOOD_2025.replace('version: "2025"', 'version: "2024"')),
    ("extends unknown", FOOD_2025.replace("extends: [general/2021]", "extends: [general/1999]")),
]
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,.'()-]+[A-Za-z]{2,}){2,}")  # three English words in a row


def _reviewer_reads(html: str) -> str:
    """The page's text without the draft itself (the text box and the numbered lines echo the YAML)."""
    html = re.sub(r"<textarea.*?</textarea>", " ", html, flags=re.S)
    html = re.sub(r'<span class="(?:tx|ln)[^"]*">.*?</span>', " ", html, flags=re.S)
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)  # key paths as the reviewer wrote them
    html = re.sub(r"<(script|style).*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("what,draft", BAD_DRAFTS, ids=[w for w, _ in BAD_DRAFTS])
def test_every_upload_error_is_said_in_chinese(web, what: str, draft: str) -> None:
    assert draft != FOOD_2025 or what == "version exists", f"the {what} draft did not change anything"
    r = _upload(web, draft)
    assert r.status_code in (403, 409, 422), (what, r.status_code)
    text = _reviewer_reads(r.text)
    assert not _ENGLISH.findall(text), (what, _ENGLISH.findall(text))
    if r.status_code == 422:
        box = re.search(r"<summary>技术细节</summary><p>(.*?)</p>", r.text, re.S)
        assert box and re.search(r"[\u4e00-\u9fff]", box.group(1)), what  # the box says it in Chinese too
        assert "此处内容不符合裁量基准语言的要求" not in box.group(1), (what, box.group(1))  # and specifically


def test_verify_and_diff_pages_work_off_the_event_loop_in_the_heavy_pool(web, monkeypatch) -> None:
    """Verify and diff are seconds of CPU on a large catalogue: the pages run them in the service's bounded
    heavy pool (never on the event loop's thread), and a full pool is a Chinese page, not an error."""
    import api.pages.reviewer as reviewer_pages

    calls: list[bool] = []
    monkeypatch.setattr(reviewer_pages, "verify_version", loop_spy(reviewer_pages.verify_version, calls))
    monkeypatch.setattr(reviewer_pages, "diff_versions", loop_spy(reviewer_pages.diff_versions, calls))
    assert _upload(web, FOOD_2025).status_code == 303
    assert web.get("/review/food/2025/verify").status_code == 200
    assert web.get("/review/food/2025/diff", params={"against": "2024"}).status_code == 200
    assert calls == [False, False], calls

    # every place of the pool taken (as by other reviewers' work): the pool's own refusal
    monkeypatch.setattr(reviewer_pages, "in_worker", lambda work: _refused())
    r = web.get("/review/food/2025/verify")
    assert r.status_code == 503 and "系统繁忙" in r.text and "Traceback" not in r.text


async def _refused() -> None:
    from api.workers import HeavyPool

    pool = HeavyPool(1, 0)
    pool.admitted = 1
    return await pool.run(lambda: None)

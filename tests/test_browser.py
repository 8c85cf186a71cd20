"""Each user's whole journey in a real browser (Chromium from Debian, driven by Playwright), on
SQLite and PostgreSQL: sign-in to result, a 390-px phone, the officer form by keyboard alone, and an
axe-core accessibility check of every page (no serious or critical violations).

Screenshots of each page are written to $DISCRETION_SCREENSHOTS when it is set (`make screenshots`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
from sqlmodel import Session

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "fixtures" / "axe" / "axe.min.js"
SHOTS = os.environ.get("DISCRETION_SCREENSHOTS")
_SHOT_SITE = ["-"]  # the SQLite site's URL, set by the `shots_from` fixture
PASSWORD = "browser-pass-1"
ITEM = "SC-FOOD-124-1-1"
#: a 390-px phone, as the browser's context options
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

if not Path(CHROMIUM).exists():  # `make test` installs it (Makefile: browser)
    pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)", pytrace=False)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _cases() -> str:
    rows = []
    for i in range(14):
        unit, officer = ("一所", "张三") if i < 6 else (("二所", "李四") if i < 12 else ("三所", "王五"))
        rows.append(
            json.dumps(
                {
                    "case_id": f"B{i}",
                    "department": "scjg",
                    "item": ITEM,
                    "facts": {"goods_value": 8000 + i, "harm": "minor"},
                    "act_date": "2024-03-01",
                    "decision_date": "2024-05-01",
                    "unit": unit,
                    "officer": officer,
                    "outcome": "penalty",
                    "fine": "75000" if unit != "二所" else "99000",
                    "penalties": [],
                },
                ensure_ascii=False,
            )
        )
    return "\n".join(rows)


class Site(str):
    """The service's base URL; `db` names the database it runs on."""

    db: str
    url: str  # the database's URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The service on a free local port over a fresh database with the bundled rulesets, people and
    decided cases; one per database for the module (the journeys do not depend on each other)."""
    import uvicorn

    from api.app import create_app
    from discretion import RulesetLibrary
    from discretion.store import make_engine, migrate
    from discretion.store.cases import import_cases, parse_rows
    from discretion.store.lifecycle import seed_bundled
    from discretion.store.users import create_user

    from .conftest import _drop_schema, _postgres_schema_url

    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'site.db'}", None
    else:
        url, schema = _postgres_schema_url()
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s)
        for name, display, role, dept in [
            ("admin", "系统管理员", "admin", None),
            ("li", "李明", "officer", "scjg"),
            ("zhao", "赵敏", "reviewer", "scjg"),
            ("qian", "钱进", "reviewer", "scjg"),
            ("sun", "孙立", "supervisor", "scjg"),
        ]:
            create_user(s, name, display, role, dept, PASSWORD)
        s.commit()
    import_cases(engine, parse_rows(_cases(), "jsonl"), RulesetLibrary.load())
    app = create_app(engine)
    app.state.login_delay_scale = 0.0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    out = Site(f"http://127.0.0.1:{port}")
    out.db, out.url = request.param, url
    yield out
    server.should_exit = True
    thread.join(10)
    engine.dispose()
    if schema:
        _drop_schema(schema)


def shot(page: Page, name: str, full: bool = True) -> None:
    """A screenshot for docs/screenshots (from the SQLite run only: the pages are the same)."""
    if SHOTS and page.url.startswith(_SHOT_SITE[0]):
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full)


@pytest.fixture
def shots_from(site: Site) -> None:
    _SHOT_SITE[0] = site if site.db == "sqlite" else "-"


def accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {bad}"


def open_as(browser: Browser, site: str, name: str, **context: Any) -> Page:
    """A new page (desktop size unless told otherwise) signed in as `name`."""
    page = browser.new_page(**{"viewport": {"width": 1200, "height": 900}, "locale": "zh-CN", **context})
    sign_in(page, site, name)
    return page


def sign_in(page: Page, site: str, name: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("登录名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # signed in only once the browser has left the sign-in page: without this wait, what a test types
    # next can land on the sign-in page while the password is still being checked (argon2 and a database
    # round trip: slower on PostgreSQL, where the keyboard test lost its first keys this way)
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))


def test_officer_journey(browser: Browser, site: Site, shots_from: None) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page.goto(f"{site}/evaluate")
    expect(page).to_have_url(f"{site}/login?next=%2Fevaluate")
    accessible(page)
    shot(page, "01-login")
    sign_in(page, site, "li")
    expect(page.get_by_role("heading", name="查找违法行为事项")).to_be_visible()
    page.get_by_label("事项名称、编码、法律名称或条文").fill("食品 标准")
    page.get_by_role("button", name="查找").click()
    accessible(page)
    shot(page, "02-officer-search")
    page.locator(".hits a").first.click()
    expect(page.locator("h1")).to_contain_text("食品")
    accessible(page)
    shot(page, "03-officer-form")
    page.get_by_label("违法行为发生日").fill("2024-03-01")
    page.get_by_label("处罚决定日").fill("2024-05-10")
    page.locator('[name="f.goods_value"]').fill("-8000")
    page.get_by_role("button", name="给出裁量建议").click()
    expect(page.locator(".err").first).to_contain_text("不能为负数")  # in Chinese, the field highlighted
    expect(page.locator('[name="f.goods_value"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[name="f.goods_value"]')).to_have_value("-8000")  # kept as typed
    accessible(page)
    shot(page, "04-officer-form-error")
    page.locator('[name="f.goods_value"]').fill("8000")
    page.locator('[name="f.harm"]').select_option("minor")
    page.locator('[name="f.first_offence"]').check()
    page.locator('[name="f.corrected_in_time"]').check()
    page.get_by_role("button", name="给出裁量建议").click()
    answer = page.locator("section.answer")
    expect(answer.locator("h1")).to_have_text("给予行政处罚")
    expect(answer).to_contain_text("建议罚款")
    expect(page.locator("#steps")).to_be_visible()
    steps = page.locator("ol.steps").inner_text()
    assert "初次违法" in steps and "==" not in steps and "first_offence" not in steps
    accessible(page)
    shot(page, "05-officer-result")
    option = page.locator("form.option").first
    option.get_by_role("button", name="适用此项").click()
    expect(page.locator("form.option .err").first).to_contain_text("须说明理由")
    page.locator("form.option textarea").first.fill("初次违法，已当场改正并接受教育")
    page.locator("form.option").first.get_by_role("button", name="适用此项").click()
    expect(page.locator("section.answer h1")).to_have_text("不予处罚")
    expect(page.locator("ol.steps")).to_contain_text("初次违法，已当场改正并接受教育")
    shot(page, "06-officer-option-taken")
    page.get_by_role("button", name="记录本次裁量并生成裁量适用说明").click()
    expect(page.locator("h1")).to_have_text("行政处罚裁量适用说明")
    expect(page.locator("article")).to_contain_text("李明")
    accessible(page)
    page.emulate_media(media="print")
    shot(page, "07-officer-statement-print")
    page.close()


def _no_sideways_scroll(page: Page) -> None:
    # after a click that navigates, the old document may be gone before the new one exists
    # (documentElement is null): wait for the page that loads, then measure it
    width = None
    for _ in range(20):
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement ? document.documentElement.scrollWidth : null")
        if width is not None:
            break
        page.wait_for_timeout(100)
    assert width is not None and width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def test_officer_on_a_390px_phone(browser: Browser, site: Site, shots_from: None) -> None:
    page = open_as(browser, site, "li", **PHONE)
    page.get_by_label("事项名称、编码、法律名称或条文").fill("第一百二十四条")
    page.get_by_role("button", name="查找").click()
    _no_sideways_scroll(page)
    page.locator(".hits a").first.click()
    _no_sideways_scroll(page)
    shot(page, "08-phone-form", full=False)
    page.get_by_label("违法行为发生日").fill("2024-03-01")
    page.get_by_label("处罚决定日").fill("2024-05-10")
    page.locator('[name="f.goods_value"]').fill("12000")
    page.locator('[name="f.harm"]').select_option("general")
    page.get_by_role("button", name="给出裁量建议").click()
    expect(page.locator("section.answer")).to_contain_text("建议罚款")
    _no_sideways_scroll(page)
    box = page.locator("section.answer").bounding_box()
    assert box is not None and box["y"] < 844  # the answer is on the first screen
    shot(page, "09-phone-result", full=False)
    page.close()


def test_officer_form_by_keyboard_alone(browser: Browser, site: Site, shots_from: None) -> None:
    page = open_as(browser, site, "li")
    expect(page.get_by_label("事项名称、编码、法律名称或条文")).to_be_focused()  # the search box has the focus
    page.keyboard.type("食品 标准")
    page.keyboard.press("Enter")
    page.wait_for_selector(".hits a")

    def tab_to(selector: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({json.dumps(selector)})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(".hits a")
    page.keyboard.press("Enter")
    page.wait_for_selector('[name="f.goods_value"]')
    tab_to('[name="f.goods_value"]')
    page.keyboard.type("8000")
    tab_to('[name="f.harm"]')
    page.keyboard.press("ArrowDown")  # the first value after （请选择）
    tab_to('[name="f.first_offence"]')
    page.keyboard.press("Space")
    tab_to('[name="act_date"]')
    page.keyboard.type("03012024")  # Chromium's date field, month/day/year segments
    tab_to('[name="decision_date"]')
    page.keyboard.type("05102024")
    tab_to("button.primary")
    page.keyboard.press("Enter")
    expect(page.locator("section.answer")).to_be_visible()
    kept = page.locator("form.record")  # what was typed by keyboard came through
    assert kept.locator('input[name="f.first_offence"]').get_attribute("value") == "on"
    assert kept.locator('input[name="f.goods_value"]').get_attribute("value") == "8000"
    assert kept.locator('input[name="act_date"]').get_attribute("value") == "2024-03-01"
    page.close()


def test_reviewer_journey(browser: Browser, site: Site, shots_from: None) -> None:
    from discretion.loader import BUNDLED

    text = (BUNDLED / "scjg" / "2025.yaml").read_text(encoding="utf-8")
    draft = text.replace('version: "2025"', 'version: "2026"').replace(
        "effective_from: 2025-10-15", "effective_from: 2026-06-01"
    )
    broken = draft.replace("extends: [general/2021]", "extends: [general/2021]\ncolour: red")
    page = open_as(browser, site, "zhao")
    page.set_default_timeout(180_000)  # verify walks ~17,000 cells of fact space: slow on a busy machine
    expect(page.get_by_role("heading", name="裁量基准的版本与草稿")).to_be_visible()
    accessible(page)
    shot(page, "10-reviewer-versions")
    page.get_by_label("或粘贴全文").fill(broken)
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator(".alert")).to_contain_text("不认识的键")
    line = broken.splitlines().index("colour: red") + 1  # where the unknown key stands
    expect(page.locator(".doc .note")).to_contain_text(f"第 {line} 行")
    expect(page.get_by_label("或粘贴全文")).to_have_value(broken)
    accessible(page)
    shot(page, "11-reviewer-upload-error", full=False)
    page.get_by_label("或粘贴全文").fill(draft)
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator(".ok")).to_contain_text("草稿已上传")
    accessible(page)
    shot(page, "12-reviewer-draft")
    page.get_by_role("link", name="核查报告（阶次缺口、重叠、超出法定幅度、缺少依据）").click()
    expect(page.locator("h1")).to_have_text("核查报告")
    accessible(page)
    shot(page, "13-reviewer-verify")
    page.go_back()
    page.get_by_label("与哪个版本比较").select_option("2025")
    page.get_by_role("button", name="查看变化").click()
    expect(page.locator("h1")).to_contain_text("2025 版 → 2026 版")
    accessible(page)
    page.go_back()
    page.get_by_role("button", name="对已决案件的影响").click()
    expect(page.locator("h1")).to_contain_text("对已决案件的影响")
    accessible(page)
    shot(page, "14-reviewer-impact")
    page.go_back()
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".alert")).to_contain_text("另一位审核人员")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, site, "qian")
    page.goto(f"{site}/review/scjg/2026")
    page.get_by_role("button", name="批准").click()
    expect(page.locator(".ok")).to_contain_text("已批准")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".ok")).to_contain_text("已发布")
    page.close()


def test_reviewer_imports_a_published_table(browser: Browser, site: Site, shots_from: None, tmp_path: Path) -> None:
    """The table import on the reviewer's page: a refused file said in Chinese, then a real published table's
    report and draft; submitting it with markers left is refused at the first one; and on a 390-px phone."""
    table = Path(__file__).parent / "fixtures" / "tables" / "taian_scjg.xlsx"
    wrong = tmp_path / "裁量基准.pdf"
    wrong.write_bytes(b"%PDF-1.4")

    def fill(page: Page, path: Path) -> None:
        page.get_by_label("表格文件").set_input_files(str(path))
        page.get_by_label("草稿的版本号").fill("2027")
        page.get_by_label("继承的基准").fill("general/2021")
        page.get_by_role("button", name="导入并查看报告").click()

    page = open_as(browser, site, "zhao")
    page.set_default_timeout(120_000)
    page.goto(f"{site}/review")
    fill(page, wrong)
    expect(page.locator(".alert").first).to_contain_text("只能导入")
    expect(page.get_by_label("草稿的版本号")).to_have_value("2027")  # what was typed is kept
    expect(page.locator(".alert").first).to_be_in_viewport()  # said where the reviewer looks, not only by the form
    shot(page, "24-reviewer-import-refused", full=False)
    fill(page, table)
    expect(page.locator("h1")).to_contain_text("导入结果：taian_scjg.xlsx")
    expect(page.locator("table.report").first).to_contain_text("原因")
    expect(page.get_by_label("草稿全文")).to_have_value(re.compile(r"^# 由 discretion import 从 taian_scjg\.xlsx"))
    accessible(page)
    shot(page, "22-reviewer-import")
    page.get_by_role("button", name="提交为草稿（校验）").click()
    expect(page.locator(".alert").first).to_contain_text("尚未处理")
    page.close()

    phone = open_as(browser, site, "zhao", **PHONE)
    phone.set_default_timeout(120_000)
    phone.goto(f"{site}/review#import")
    _no_sideways_scroll(phone)
    fill(phone, table)
    expect(phone.locator("h1")).to_contain_text("导入结果")
    _no_sideways_scroll(phone)
    shot(phone, "23-phone-import", full=False)
    phone.close()


def test_supervisor_journey(browser: Browser, site: Site, shots_from: None) -> None:
    page = open_as(browser, site, "sun")
    expect(page.get_by_role("heading", name="同案同罚一致性检查")).to_be_visible()
    accessible(page)
    page.get_by_label("决定日期起").fill("2024-01-01")
    page.get_by_label("决定日期止").fill("2024-12-31")
    page.get_by_role("button", name="开始检查").click()
    expect(page.locator("h1")).to_have_text("一致性检查：已完成", timeout=60_000)
    accessible(page)
    shot(page, "15-supervisor-run")
    page.get_by_role("link", name="打开检查报告").click()
    expect(page.locator("h1")).to_contain_text("一致性检查报告")
    body = page.locator("body").inner_text()
    assert "生产经营致病性微生物" in body and "无法检验" in body and "王五（2 件）" in body
    shot(page, "16-supervisor-report")
    page.goto(f"{site}/supervise")
    expect(page.locator("table")).to_contain_text("已完成")
    shot(page, "17-supervisor-sweeps")
    page.close()


def _record_decision(site: Site) -> dict[str, Any]:
    """A decision recorded through the API by the officer li's key: a fine above the recommended range,
    without a reason. Returns the API's answer (its findings carry the alert ids)."""
    import httpx

    from discretion.store import make_engine
    from discretion.store.keys import create_key

    engine = make_engine(site.url)
    with Session(engine) as s:
        key, token = create_key(s, "officer", "scjg", label="browser test")
        key.user_name = "li"
        s.add(key)
        s.commit()
    engine.dispose()
    body = {
        "case_id": "W-1",
        "department": "scjg",
        "item": ITEM,
        "facts": {"goods_value": 8000, "harm": "minor"},
        "act_date": "2024-03-01",
        "decision_date": "2024-05-10",
        "outcome": "penalty",
        "fine": "99000",
        "measures": ["confiscate_goods"],
        "unit": "五所",
    }
    r = httpx.post(f"{site}/v1/decisions", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    assert any(f["kind"] == "outside_range" for f in answer["findings"])
    return answer


def test_supervisor_sees_and_closes_an_alert(browser: Browser, site: Site, shots_from: None) -> None:
    answer = _record_decision(site)
    alert_id = next(f["alert_id"] for f in answer["findings"] if f["kind"] == "outside_range")
    page = open_as(browser, site, "sun")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="预警").click()
    expect(page.get_by_role("heading", name="事中预警")).to_be_visible()
    page.get_by_label("执法单位").fill("五所")
    page.get_by_label("状态").select_option("open")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"unit=%E4%BA%94%E6%89%80"))
    listed = page.locator("ol.alerts > li")
    expect(listed).to_have_count(len(answer["findings"]))  # only this decision's, none of the imported cases'
    expect(listed.filter(has_text="高于基准建议幅度")).to_have_count(1)
    accessible(page)
    shot(page, "20-supervisor-alerts")
    page.locator(f'a[href="/alerts/{alert_id}"]').click()
    expect(page.locator("h1")).to_have_text("超出建议幅度")
    body = page.locator("main").inner_text()
    assert "罚款：99,000元" in body and "建议罚款幅度" in body and "未说明理由" in body and "李明（li）" in body
    assert "outside_range" not in body and "goods_value" not in body and "confiscate" not in body
    accessible(page)
    shot(page, "21-supervisor-alert")
    page.get_by_role("button", name="关闭预警").click()  # no note: the browser asks for one (required)
    expect(page.locator("h1")).to_have_text("超出建议幅度")
    page.get_by_label("处理意见（关闭预警）").fill("已核实：罚款超出建议幅度且未说明理由，已责令重新作出决定")
    page.get_by_role("button", name="关闭预警").click()
    expect(page.locator(".ok")).to_contain_text("已关闭")
    expect(page.locator("main")).to_contain_text("已由 sun")
    accessible(page)
    page.goto(f"{site}/alerts?state=closed")
    expect(page.locator(f'a[href="/alerts/{alert_id}"]')).to_be_visible()
    page.close()


def test_admin_pages_and_offline_docs(browser: Browser, site: Site, shots_from: None) -> None:
    page = open_as(browser, site, "admin")
    expect(page.get_by_role("heading", name="用户", exact=True)).to_be_visible()
    accessible(page)
    shot(page, "18-admin-users")
    page.get_by_label("登录名（小写字母、数字、. _ -）").fill("wu")
    page.get_by_label("姓名").fill("吴刚")
    page.get_by_label("角色").select_option("officer")
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator(".ok")).to_contain_text("已创建用户 wu")
    page.goto(f"{site}/admin/keys")
    page.get_by_label("用户（密钥的角色和部门与用户相同）").select_option("wu")
    page.get_by_role("button", name="新建密钥").click()
    expect(page.locator(".ok")).to_contain_text("只显示这一次")
    accessible(page)
    shot(page, "19-admin-keys")
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(site) else None)
    page.goto(f"{site}/docs")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("discretion", timeout=20_000)
    assert not external, external  # /docs works offline: every asset from the service
    page.close()

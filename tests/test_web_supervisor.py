"""The supervisor's pages: start a sweep with its scope, follow it, read the report the service
serves (item names, conditions in words, officers charted, too-few officers listed)."""

from __future__ import annotations

import time

import pytest

from discretion import RulesetLibrary
from discretion.store.cases import import_cases, parse_rows

from .conftest import FIXTURES
from .test_store import _lines
from .web_support import alerts, csrf, field_errors, people_client, visible


def _finished(web, url: str):
    """The run page once the queued sweep has finished (the service's worker runs it)."""
    for _ in range(600):
        page = web.get(url)
        if "正在检查" not in page.text:
            return page
        time.sleep(0.1)
    raise AssertionError("the sweep did not finish")


@pytest.fixture
def web(seeded):
    rows = "\n".join(
        [
            _lines(6),
            _lines(6, 10, unit="二所", officer="李四", fine="99000"),
            _lines(2, 20, unit="三所", officer="王五"),
        ]
    )
    assert import_cases(seeded, parse_rows(rows, "jsonl"), RulesetLibrary.load(FIXTURES)).accepted == 14
    return people_client(seeded, "sun")


def test_a_sweep_from_start_to_report(web) -> None:
    page = web.get("/supervise").text
    r = web.post(
        "/supervise",
        data={
            "csrf": csrf(page),
            "department": "food",
            "since": "2024-01-01",
            "until": "2024-12-31",
            "units": "",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    run = _finished(web, r.headers["location"])
    assert run.status_code == 200 and "已完成" in run.text and "14 件案件" in run.text
    report = web.get(r.headers["location"] + "/report")
    assert report.status_code == 200
    text = report.text
    assert "生产经营不符合食品安全标准的食品" in text  # the item's name beside its code
    assert "执法人员偏离率" in text and 'aria-label="执法人员偏离率"' in text
    assert "无法检验" in text and "王五（2 件）" in text  # fewer than 5 cases: too few to test
    conditions = [c.split("<")[0] for c in text.split("条件：")[1:]]
    assert conditions and all("goods_value" not in c and "==" not in c for c in conditions)
    assert "goods_value" not in visible(text)  # the keys' conditions are said in words too
    assert "从案件文件或数据库读到的已决案件" in text  # a plain line under each figure
    assert "/supervise" in web.get("/supervise").text and "已完成" in web.get("/supervise").text


def test_units_narrow_the_sweep(web) -> None:
    page = web.get("/supervise").text
    r = web.post(
        "/supervise",
        data={"csrf": csrf(page), "department": "food", "units": "二所，三所"},
        follow_redirects=False,
    )
    run = _finished(web, r.headers["location"]).text
    assert "二所、三所" in run and "8 件案件" in run


def test_bad_scope_keeps_what_was_typed(web) -> None:
    page = web.get("/supervise").text
    r = web.post(
        "/supervise",
        data={
            "csrf": csrf(page),
            "department": "food",
            "since": "2024-12-31",
            "until": "2024-01-01",
            "units": "一所",
        },
    )
    assert r.status_code == 422 and field_errors(r.text) == ["「决定日期止」不能早于「决定日期起」"]
    assert 'value="2024-12-31"' in r.text and 'value="一所"' in r.text
    r = web.post("/supervise", data={"csrf": csrf(page), "department": "other"})
    assert r.status_code == 403
    r = web.post("/supervise", data={"department": "food"})
    assert r.status_code == 403 and "安全校验" in alerts(r.text)[0]


def test_a_sweep_of_another_department_is_not_found(web) -> None:
    assert web.get("/supervise/nope").status_code == 404

"""The officer's pages: search, the grouped form, the answer first, options with reasons, the
record and its printable 裁量适用说明 — the same recommendation as the library's `evaluate()`."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.store.tables import AuditEntry, Evaluation
from discretion.condition_words import amount

from .conftest import FIXTURES
from .web_support import alerts, csrf, field_errors, people_client, sign_in, visible

CASE = {
    "f.goods_value": "8000",
    "f.harm": "minor",
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
}


@pytest.fixture
def web(seeded):
    return people_client(seeded, "li")


def _post(web, path: str, form: dict) -> object:
    token = csrf(web.get("/evaluate/food/F-124").text)
    return web.post(path, data={"csrf": token, **form})


def _library_result(facts: dict) -> object:
    lib = RulesetLibrary.load(FIXTURES)
    schema = lib.compiled["food/2024"].items["F-124"].schema
    full = dict(facts)
    for name, spec in schema.items():  # unchecked boxes are false
        if spec.type == "bool" and spec.derived is None:
            full.setdefault(name, False)
    return evaluate(
        lib,
        EvaluationRequest(
            department="food",
            item="F-124",
            facts=full,
            act_date="2024-05-01",
            decision_date="2024-06-01",
        ),
    )


def test_search_finds_the_item_by_words_code_and_article(web) -> None:
    for q in ("食品 标准", "F-124", "f-12", "第一百二十四条", "124条", "食品安全法"):
        page = web.get("/evaluate", params={"q": q}).text
        assert "/evaluate/food/F-124" in page, q
    page = web.get("/evaluate", params={"q": "没有这种事项"}).text
    assert "没有找到" in page and "/evaluate/food/F-124" not in page


def test_the_form_asks_the_items_facts_first_then_circumstances_by_what_they_lead_to(web) -> None:
    page = web.get("/evaluate/food/F-124").text
    legends = re.findall(r"<legend>([^<]+)</legend>", page)
    assert legends[0] == "本事项的事实" and legends[-1] == "日期"
    assert "免予处罚的情形" in legends and "从重处罚的情形" in legends
    first = page.split("<legend>本事项的事实</legend>")[1].split("</fieldset>")[0]
    assert 'name="f.goods_value"' in first and 'name="f.harm"' in first
    for name in ("act_date", "act_end_date", "discovery_date", "decision_date"):
        assert f'name="{name}"' in page
    assert "goods_value" not in re.sub(r'(name|id|for|aria-describedby)="[^"]*"', "", page)  # no internal names shown


def test_the_answer_leads_and_matches_the_library(web) -> None:
    r = _post(web, "/evaluate/food/F-124", CASE)
    assert r.status_code == 200, r.text
    rec = _library_result({"goods_value": "8000", "harm": "minor"})
    answer = r.text.split('<section class="answer')[1].split("</section>")[0]
    assert rec.outcome_label in answer
    assert amount(rec.fine.suggested) in answer and amount(rec.fine.min) in answer
    assert (rec.fine.tier or "") in answer
    steps = r.text.split('id="steps"')[1]
    for s in rec.trace:
        assert s.citation in steps
        assert s.effect.replace("'", "&#39;") in steps
    assert r.text.index('class="answer') < r.text.index('id="steps"')


def test_conditions_read_in_words_never_code(web) -> None:
    r = _post(web, "/evaluate/food/F-124", {**CASE, "f.repeat_within_2y": "on"})
    assert r.status_code == 200
    assert "两年内因同类违法受过处罚" in r.text
    for code in (" and ", "==", "harm in", "goods_value"):
        assert code not in r.text.split('id="steps"')[1], code


def test_bad_input_is_chinese_names_the_field_highlights_it_and_keeps_what_was_typed(web) -> None:
    r = _post(web, "/evaluate/food/F-124", {**CASE, "f.goods_value": "-5"})
    assert r.status_code == 422 and field_errors(r.text) == ["「货值金额（元）」不能为负数"]
    assert 'value="-5"' in r.text and 'aria-invalid="true"' in r.text
    r = _post(web, "/evaluate/food/F-124", {**CASE, "f.goods_value": "八千"})
    assert r.status_code == 422 and "须填金额" in field_errors(r.text)[0]
    r = _post(web, "/evaluate/food/F-124", {**CASE, "act_date": "2024-07-01"})
    assert r.status_code == 422 and "不能晚于处罚决定日" in field_errors(r.text)[0]
    r = _post(
        web,
        "/evaluate/food/F-124",
        {**CASE, "act_date": "2020-01-01", "decision_date": "2020-02-01"},
    )
    assert r.status_code == 422 and "没有施行中" in alerts(r.text)[0]
    r = _post(web, "/evaluate/food/F-124", {**CASE, "f.harm": "made-up"})
    assert r.status_code == 422 and "可选范围" in field_errors(r.text)[0]
    r = _post(web, "/evaluate/food/F-124", {k: v for k, v in CASE.items() if k != "f.goods_value"})
    assert r.status_code == 422 and field_errors(r.text) == ["请填写「货值金额（元）」"]
    for page in (r.text,):
        assert not re.search(r"\b(cannot|required|invalid|must|error)\b", visible(page))


def test_an_option_needs_a_reason_and_taking_it_re_evaluates(web) -> None:
    form = {**CASE, "f.purchase_checked": "on"}
    r = _post(web, "/evaluate/food/F-124", form)
    rec = _library_result({"goods_value": "8000", "harm": "minor", "purchase_checked": True})
    assert rec.options, "the fixture's 免予处罚 entry is a 可以 option"
    option = rec.options[0]
    assert option.label in r.text
    r = _post(web, "/evaluate/food/F-124/option", {**form, "option": option.id, "reason": ""})
    assert r.status_code == 422 and "须说明理由" in r.text
    r = _post(web, "/evaluate/food/F-124/option", {**form, "option": option.id, "reason": "进货凭证齐全"})
    assert r.status_code == 200
    answer = r.text.split('<section class="answer')[1].split("</section>")[0]
    assert option.outcome != "penalty" and {"no_penalty": "不予处罚", "exemption": "免予处罚"}[option.outcome] in answer
    assert "进货凭证齐全" in r.text and option.citation in r.text


def test_recording_stores_the_result_under_the_officers_name_and_prints(web) -> None:
    r = _post(web, "/evaluate/food/F-124/record", CASE)
    assert r.status_code == 200 and "行政处罚裁量适用说明" in r.text
    with Session(web.engine) as s:
        ev = s.exec(select(Evaluation)).one()
        assert ev.actor == "li" and ev.request["facts"]["goods_value"] == "8000"
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "evaluation.record")).one()
        assert entry.actor == "li"
    assert "李明" in r.text and ev.ruleset_hash in r.text and "@page" in web.get("/static/site.css").text
    # another officer cannot open it by URL
    web.cookies.clear()
    sign_in(web, "wang")
    r = web.get(f"/evaluations/{ev.id}")
    assert r.status_code == 404 and "李明" not in r.text and ev.ruleset_hash not in r.text


def test_another_departments_item_is_403(web) -> None:
    web.cookies.clear()
    sign_in(web, "zhou")
    assert web.get("/evaluate/food/F-124").status_code == 403
    assert "/evaluate/food/F-124" not in web.get("/evaluate", params={"q": "食品"}).text


def test_the_pages_evaluate_off_the_event_loop(web, monkeypatch) -> None:
    """The first case of a cell asks durable_rules and plans the cell: the pages do it in a worker thread,
    never on the event loop's thread (where it would hold every other user's request)."""
    import asyncio

    import api.pages.officer as officer_pages

    calls: list[bool] = []  # per evaluate() and per steps-in-words: was an event loop running on this thread?

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def spy(fn):
        def wrapped(*args, **kwargs):
            calls.append(on_loop())
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(officer_pages, "evaluate", spy(officer_pages.evaluate))
    monkeypatch.setattr(officer_pages, "_steps", spy(officer_pages._steps))
    import discretion.compiler as compiler

    compiled: list[bool] = []  # the first use of an item compiles it (the app's library compiles lazily)

    def compile_spy(*args, **kwargs):
        compiled.append(on_loop())
        return original_compile(*args, **kwargs)

    original_compile = compiler.compile_item
    monkeypatch.setattr(compiler, "compile_item", compile_spy)
    monkeypatch.setattr(compiler, "EAGER_ITEMS", 0)  # as a catalogue of thousands: items compiled on first use
    web.app.state.library._signature = None  # rebuilt at the next request, lazily
    web.app.state.library.invalidate()
    assert web.get("/evaluate/food/F-124").status_code == 200  # the form: finding the item compiles it
    assert compiled and not any(compiled), compiled
    r = _post(web, "/evaluate/food/F-124", CASE)
    assert r.status_code == 200 and "建议罚款" in r.text
    r = _post(web, "/evaluate/food/F-124/option", {**CASE, "option": "", "reason": ""})
    assert r.status_code == 200
    assert len(calls) >= 4 and not any(calls), calls  # two evaluations, two trace renderings, none on the loop
    # the spy can tell: the same call made from a coroutine reports the loop
    assert asyncio.run(asyncio.to_thread(on_loop)) is False
    assert asyncio.run(_coroutine(on_loop)) is True


async def _coroutine(fn):
    return fn()

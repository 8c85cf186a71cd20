"""The officer's web page: a form built from the item's facts, the same evaluation as the API."""

from __future__ import annotations

from urllib.parse import urlencode

from discretion import EvaluationRequest, RulesetLibrary, evaluate

from .conftest import FIXTURES
from .test_api import api, h  # noqa: F401  (the fixture and the key helper)

FORM = {"department": "food", "item": "F-124", "act_date": "2024-05-01", "decision_date": "2024-06-01",
        "fact.goods_value": "8000", "fact.harm": "minor", "fact.first_offence": "on"}


def _post(api, form: dict, who: str = "officer"):  # noqa: F811
    body = {**form, "api_key": api.tokens[who]} if who else form
    return api.post("/evaluate", content=urlencode(body), headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_the_form_is_built_from_the_items_facts(api) -> None:  # noqa: F811
    assert api.get("/", follow_redirects=False).headers["location"] == "/evaluate"
    page = api.get("/evaluate").text
    assert 'value="food"' in page and "API 密钥" not in page  # no item chosen yet: no facts form
    page = api.get("/evaluate?department=food&item=F-124").text
    assert 'name="fact.goods_value"' in page and 'name="fact.harm"' in page and 'type="checkbox"' in page
    assert 'name="api_key"' in page


def test_the_result_page_shows_the_same_recommendation_as_the_library(api) -> None:  # noqa: F811
    r = _post(api, FORM)
    assert r.status_code == 200, r.text
    facts = {"goods_value": "8000", "harm": "minor", "first_offence": True}
    lib = RulesetLibrary.load(FIXTURES)
    schema = lib.compiled["food/2024"].items["F-124"].schema
    for name, spec in schema.items():  # unchecked boxes are sent as false
        if spec.type == "bool" and spec.derived is None:
            facts.setdefault(name, False)
    rec = evaluate(lib, EvaluationRequest(department="food", item="F-124", facts=facts,
                                          act_date="2024-05-01", decision_date="2024-06-01"))
    assert rec.outcome_label in r.text
    for step in rec.trace:
        assert step.citation in r.text
    if rec.fine is not None:
        assert f"{rec.fine.suggested:,}".split(".")[0] in r.text.replace("，", ",")


def test_bad_input_returns_the_form_with_the_reason(api) -> None:  # noqa: F811
    r = _post(api, {**FORM, "fact.goods_value": "-5"})
    assert r.status_code == 422 and "goods_value" in r.text and 'role="alert"' in r.text
    r = _post(api, {**FORM, "act_date": "2030-01-01"})
    assert r.status_code == 422 and 'role="alert"' in r.text
    r = _post(api, {**FORM, "item": "NOPE"})
    assert r.status_code == 422
    r = _post(api, {**FORM, "api_key": "dk_nope"}, who="")
    assert r.status_code == 401
    assert _post(api, FORM, who="stranger").status_code == 403
    assert _post(api, FORM, who="sup").status_code == 403

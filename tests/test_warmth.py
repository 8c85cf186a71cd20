"""Cold evaluation work never runs on the event loop (discretion/warmth.py, api/workers.warm_inline):
under `warm_only()` the first uncached step refuses before doing the work, a warm cell answers the
same as an unrestricted evaluation, and the routes hand cold cells to a worker thread."""

from __future__ import annotations

import asyncio
import json

import pytest

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.compiler import CompiledItem
from discretion.warmth import ColdWork, warm_only

from .conftest import FIXTURES
from .test_api import CASE, h


def _request(**facts: object) -> EvaluationRequest:
    return EvaluationRequest.model_validate({**CASE, "facts": {**CASE["facts"], **facts}})


def test_a_fresh_library_refuses_cold_work_and_answers_once_warm() -> None:
    lib = RulesetLibrary.load(FIXTURES)  # its own compiled items: nothing cached yet
    with pytest.raises(ColdWork), warm_only():
        evaluate(lib, _request())
    expected = evaluate(lib, _request())  # outside warm_only: does the work and caches it
    with warm_only():
        again = evaluate(lib, _request())
    assert again.model_dump_json() == expected.model_dump_json()
    with pytest.raises(ColdWork), warm_only():  # another cell of the same item is cold again
        evaluate(lib, _request(goods_value=200_000, harm="serious"))


def test_warm_only_is_scoped_to_its_block() -> None:
    lib = RulesetLibrary.load(FIXTURES)
    with pytest.raises(ColdWork), warm_only():
        evaluate(lib, _request())
    evaluate(lib, _request(goods_value=9000))  # after the block nothing is refused


@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/decisions"])
def test_the_routes_never_ask_durable_rules_on_the_event_loop(api, monkeypatch, path) -> None:
    on_loop: list[bool] = []
    original = CompiledItem.match_conditions  # where durable_rules is asked

    def spy(self: CompiledItem, facts):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # no loop running in this thread: a worker thread
            on_loop.append(False)
        return original(self, facts)

    monkeypatch.setattr(CompiledItem, "match_conditions", spy)
    for n, value in enumerate([100, 5000, 9000, 20_000, 90_000, 400_000]):  # six cells, each cold
        body = {**CASE, "facts": {**CASE["facts"], "goods_value": value}}
        if path == "/v1/decisions":  # a decision with a reason: its content does not matter here
            body = {
                **body,
                "case_id": f"warmth-{n}",
                "outcome": "penalty",
                "fine": "1000",
                "measures": ["order_correction"],
                "reason": "测试",
            }
        r = api.post(path, json=body, headers=h(api, "officer"))
        assert r.status_code in (200, 201), r.text
    assert on_loop and not any(on_loop), on_loop


def test_a_route_answers_a_cold_and_a_warm_cell_as_the_library_does(api) -> None:
    lib = RulesetLibrary.load(FIXTURES)
    for value in [100, 7000, 7000, 150_000, 150_000]:  # each value first cold, then warm
        body = {**CASE, "facts": {**CASE["facts"], "goods_value": value}}
        r = api.post("/v1/evaluate", json=body, headers=h(api, "officer"))
        assert r.status_code == 200, r.text
        assert r.json() == json.loads(evaluate(lib, EvaluationRequest.model_validate(body)).model_dump_json())

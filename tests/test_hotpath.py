"""The hot routes' fast path (api/hotpath.py) answers as FastAPI does: the same status, body and headers for
ordinary requests and for every kind of refusal, on SQLite and PostgreSQL; and ordinary requests do take it."""

from __future__ import annotations

import json
from typing import Any

import fastapi.routing
import pytest

from api import hotpath

from .test_api import CASE, h
from .test_decisions_api import DECISION

BAD_JSON = b'{"department": "food", "item": '


def _variants(api: Any) -> list[tuple[str, dict[str, Any]]]:
    officer = h(api, "officer")
    return [
        ("ordinary", {"json": CASE, "headers": officer}),
        (
            "charset",
            {
                "content": json.dumps(CASE),
                "headers": {**officer, "Content-Type": "application/json; charset=utf-8"},
            },
        ),
        ("no key", {"json": CASE}),
        ("unknown key", {"json": CASE, "headers": {"Authorization": "Bearer dk_nope"}}),
        ("other scheme", {"json": CASE, "headers": {"Authorization": f"Basic {api.tokens['officer']}"}}),
        ("wrong role", {"json": CASE, "headers": h(api, "sup")}),
        ("other department", {"json": CASE, "headers": h(api, "stranger")}),
        ("bad JSON", {"content": BAD_JSON, "headers": {**officer, "Content-Type": "application/json"}}),
        ("empty body", {"content": b"", "headers": {**officer, "Content-Type": "application/json"}}),
        ("JSON null", {"content": b"null", "headers": {**officer, "Content-Type": "application/json"}}),
        ("not JSON type", {"content": b"{}", "headers": {**officer, "Content-Type": "text/plain"}}),
        ("invalid field", {"json": {**CASE, "act_date": "2024-13-01"}, "headers": officer}),
        ("extra field", {"json": {**CASE, "colour": "red"}, "headers": officer}),
        ("unknown item", {"json": {**CASE, "item": "F-999"}, "headers": officer}),
        ("bad fact", {"json": {**CASE, "facts": {"goods_value": "lots", "harm": "minor"}}, "headers": officer}),
        ("unknown key, bad body", {"json": {"x": 1}, "headers": {"Authorization": "Bearer dk_nope"}}),
    ]


def _answer(r: Any) -> tuple[int, bytes, dict[str, str | None]]:
    names = ("content-type", "cache-control", "www-authenticate", "content-length")
    return r.status_code, r.content, {n: r.headers.get(n) for n in names}


def _both(api: Any, monkeypatch: pytest.MonkeyPatch, path: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    fast = _answer(api.post(path, **kwargs))
    monkeypatch.setattr(hotpath, "ENABLED", False)
    try:
        slow = _answer(api.post(path, **kwargs))
    finally:
        monkeypatch.setattr(hotpath, "ENABLED", True)
    return fast, slow


def test_evaluate_answers_as_fastapi_does(api, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = set()
    for name, kwargs in _variants(api):
        fast, slow = _both(api, monkeypatch, "/v1/evaluate", kwargs)
        assert fast == slow, name
        seen.add(fast[0])
    assert seen >= {200, 401, 403, 422}  # the variants reach each kind of answer


def test_decisions_answer_as_fastapi_does(api, monkeypatch: pytest.MonkeyPatch) -> None:
    for n, (name, kwargs) in enumerate(_variants(api)):
        if "json" in kwargs and isinstance(kwargs["json"], dict) and "department" in kwargs["json"]:
            kwargs = {**kwargs, "json": {**DECISION, **kwargs["json"], "case_id": f"HP-{n}"}}
        if name == "charset":
            kwargs = {**kwargs, "content": json.dumps({**DECISION, "case_id": f"HP-{n}"})}
        fast, slow = _both(api, monkeypatch, "/v1/decisions", kwargs)
        if name in ("ordinary", "charset"):  # recorded by the first, the same content again: 200, same body
            assert (fast[0], slow[0]) == (201, 200) and fast[1] == slow[1], name
        else:
            assert fast == slow, name
    # the same case id with other content: the store's refusal, through the app's handler, on both paths
    first = api.post("/v1/decisions", json={**DECISION, "case_id": "HP-x"}, headers=h(api, "officer"))
    other = {"json": {**DECISION, "case_id": "HP-x", "fine": "56000"}, "headers": h(api, "officer")}
    fast, slow = _both(api, monkeypatch, "/v1/decisions", other)
    assert first.status_code == 201 and fast == slow and fast[0] == 409


def test_ordinary_requests_skip_fastapis_dependency_solving(api, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    assert api.post("/v1/evaluate", json=CASE, headers=h(api, "officer")).status_code == 200
    assert api.post("/v1/decisions", json={**DECISION, "case_id": "HP-s"}, headers=h(api, "officer")).status_code == 201
    assert calls == []
    assert api.post("/v1/evaluate", json={**CASE, "colour": "red"}, headers=h(api, "officer")).status_code == 422
    assert calls == ["/v1/evaluate"]  # a refusal is FastAPI's own

"""Bad input never gives a 500 (issue 10, part 2): each class of value found to break the service,
sent through the API on SQLite and PostgreSQL, must get a 4xx naming the field and the reason in
the {detail: [{loc, msg, type}]} form."""

from __future__ import annotations

import json

import pytest

from .test_api import CASE, h
from .test_store import FOOD_2025, _lines

BIG_DIGITS = "1" * 1_000_000


def _facts(**kw: object) -> dict:
    return {**CASE, "facts": {**CASE["facts"], **kw}}


def _assert_4xx(r, loc: list | None = None) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], list) and body["detail"], body
    first = body["detail"][0]
    assert set(first) >= {"loc", "msg", "type"} and first["msg"], first
    if loc is not None:
        assert first["loc"][: len(loc)] == loc, first


@pytest.mark.parametrize(
    "value",
    ["1e25", 10**30, "1e400", "12.345", "-1", BIG_DIGITS, "NaN", "Infinity", "1e-300000", 1e300, True, [1], {"a": 1}],
)
def test_money_out_of_bounds_is_422_naming_the_fact(api, value: object) -> None:
    r = api.post("/v1/evaluate", json=_facts(goods_value=value), headers=h(api, "officer"))
    _assert_4xx(r, ["body", "facts", "goods_value"])


@pytest.mark.parametrize("value, expected", [(8000.5, "8000.5"), (0.1, "0.1"), ("8000.50", "8000.50"), (10**12, None)])
def test_money_at_the_bounds_and_floats_converted_by_their_shortest_text(api, value: object, expected: str) -> None:
    r = api.post("/v1/evaluate", json=_facts(goods_value=value), headers=h(api, "officer"))
    assert r.status_code == 200, r.text
    if expected is not None:
        step = next(s for s in r.json()["trace"] if "goods_value" in s["facts"])
        assert str(step["facts"]["goods_value"]) == expected


def test_one_fen_above_the_money_bound_is_refused(api) -> None:
    r = api.post("/v1/evaluate", json=_facts(goods_value="1000000000000.01"), headers=h(api, "officer"))
    _assert_4xx(r, ["body", "facts", "goods_value"])
    assert "1,000,000,000,000" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("value", ["1e300000", "1e1000000", 10**30, "9" * 100, "1.5", "-1e400"])
def test_integer_facts_are_bounded_before_conversion(api, value: object) -> None:
    r = api.post("/v1/evaluate", json=_facts(age=value), headers=h(api, "officer"))
    _assert_4xx(r, ["body", "facts", "age"])


def test_a_bare_json_number_of_a_million_digits_is_refused_before_parsing(api) -> None:
    body = json.dumps(CASE).replace('"goods_value": 8000', f'"goods_value": {BIG_DIGITS}')
    r = api.post("/v1/evaluate", content=body, headers={**h(api, "officer"), "Content-Type": "application/json"})
    _assert_4xx(r, ["body"])


@pytest.mark.parametrize("field", ["act_date", "decision_date", "discovery_date", "act_end_date"])
@pytest.mark.parametrize("date", ["9999-12-31", "9998-06-30", "0001-01-01"])
def test_dates_near_the_ends_of_the_calendar_are_422(api, field: str, date: str) -> None:
    r = api.post("/v1/evaluate", json={**CASE, field: date}, headers=h(api, "officer"))
    _assert_4xx(r, ["body", field])


@pytest.mark.parametrize("where", ["department", "item", "fact_key", "fact_value", "harm"])
@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "a\u0000b"])
def test_lone_surrogates_and_nul_in_any_string_are_422(api, where: str, bad: str) -> None:
    body = dict(CASE)
    if where in ("department", "item"):
        body[where] = bad
    elif where == "fact_key":
        body = _facts(**{bad: 1})
    else:
        body = _facts(harm=bad) if where == "harm" else _facts(goods_value=bad)
    raw = json.dumps(body)  # ensure_ascii: the bad character travels as an escape, as a client sends it
    r = api.post("/v1/evaluate", content=raw, headers={**h(api, "officer"), "Content-Type": "application/json"})
    _assert_4xx(r)


def test_a_surrogate_pair_is_fine(api) -> None:
    raw = json.dumps(_facts(harm="😀"))
    assert "\\ud83d\\ude00" in raw
    r = api.post("/v1/evaluate", content=raw, headers={**h(api, "officer"), "Content-Type": "application/json"})
    _assert_4xx(r, ["body", "facts", "harm"])  # not a value of harm: refused for that reason, not a 500
    assert "is not one of" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("depth", [500, 100_000])
def test_deeply_nested_json_is_refused(api, depth: int) -> None:
    raw = json.dumps(CASE).replace('"minor"', "[" * depth + "]" * depth)
    r = api.post("/v1/evaluate", content=raw, headers={**h(api, "officer"), "Content-Type": "application/json"})
    _assert_4xx(r, ["body"])


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[", b'{"department": "food",}', b"\xff\xfe", b"null"])
def test_malformed_json_bodies_answer_in_the_documented_form(api, raw: bytes) -> None:
    r = api.post("/v1/evaluate", content=raw, headers={**h(api, "officer"), "Content-Type": "application/json"})
    _assert_4xx(r)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/audit?actor=%00",
        "/v1/audit?action=a%00b",
        "/v1/audit?department=%00",
        "/v1/rulesets?department=%00",
        "/v1/rulesets/fo%00od/2024",
        "/v1/rulesets/food/20%0024/items/F-124",
        "/v1/sweeps/%00",
    ],
)
def test_nul_in_query_parameters_and_path_segments_is_422(api, url: str) -> None:
    r = api.get(url, headers=h(api, "admin"))
    _assert_4xx(r)
    assert r.json()["detail"][0]["loc"][0] in ("query", "path")


@pytest.mark.parametrize("label", ["a\u0000b", "\ud800"])
def test_nul_and_surrogates_in_key_labels_are_422(api, label: str) -> None:
    raw = json.dumps({"role": "officer", "department": "food", "label": label})
    r = api.post("/v1/keys", content=raw, headers={**h(api, "admin"), "Content-Type": "application/json"})
    _assert_4xx(r, ["body"])


@pytest.mark.parametrize(
    "mutate",
    [
        lambda row: {**row, "case_id": "C\u0000"},
        lambda row: {**row, "unit": "\ud800"},
        lambda row: {**row, "facts": {**row["facts"], "\u0000": 1}},
        lambda row: {**row, "penalties": ["\udc00"]},
    ],
)
def test_import_rows_with_unstorable_strings_never_500(api, mutate) -> None:  # type: ignore[no-untyped-def]
    row = json.loads(_lines(1))
    body = json.dumps(mutate(row))
    r = api.post("/v1/cases", content=body, headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"})
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        assert r.json()["accepted"] == 0 and r.json()["rejected"]


def test_an_import_line_nested_100000_deep_is_refused(api) -> None:
    body = _lines(2) + "\n" + '{"case_id": "X", "facts": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = api.post("/v1/cases", content=body, headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"})
    _assert_4xx(r, ["body"])


@pytest.mark.parametrize("fine", ["1e25", 10**30, "12.345", BIG_DIGITS[:5000], "1000000000000.01"])
def test_imported_fines_are_bounded_money(api, fine: object) -> None:
    row = {**json.loads(_lines(1)), "fine": fine}
    r = api.post(
        "/v1/cases", content=json.dumps(row), headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"}
    )
    if r.status_code == 200:
        assert r.json()["accepted"] == 0 and r.json()["rejected"][0]["reason"].startswith("fine"), r.json()
    else:
        _assert_4xx(r, ["body"])


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
def test_imported_dates_are_bounded(api, date: str) -> None:
    row = {**json.loads(_lines(1)), "act_date": date, "decision_date": "9999-12-31"}
    r = api.post(
        "/v1/cases", content=json.dumps(row), headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 0, r.text
    assert r.json()["rejected"][0]["reason"].split(":")[0] in ("act_date", "decision_date")


YAML_ATTACKS = {
    "nested 500 deep": FOOD_2025 + "\nextra: " + "[" * 500 + "]" * 500 + "\n",
    "nested maps 200 deep": FOOD_2025 + "\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
    "aliases": "a: &a [x, y]\n" + "".join(f"b{i}: *a\n" for i in range(2000)) + FOOD_2025,
    "condition 1e400": FOOD_2025.replace("when: purchase_checked", 'when: "goods_value < 1e400"'),
    "condition 10,000 terms": FOOD_2025.replace(
        "when: purchase_checked", 'when: "' + " and ".join(["purchase_checked"] * 10_000) + '"'
    ),
    "condition 5,000 not": FOOD_2025.replace("when: purchase_checked", 'when: "' + "not " * 5000 + 'purchase_checked"'),
    "condition 300 parentheses": FOOD_2025.replace(
        "when: purchase_checked", 'when: "' + "(" * 300 + "purchase_checked" + ")" * 300 + '"'
    ),
    "NUL escape": FOOD_2025.replace('version: "2025"', 'version: "20\\0 25"'),
    "surrogate escape": FOOD_2025.replace('version: "2025"', 'version: "\\ud800"'),
    "a date that is none": FOOD_2025.replace("effective_from: 2025-01-01", "effective_from: 2025-13-01"),
    "a day past the month's end": FOOD_2025.replace("effective_from: 2025-01-01", "effective_from: 2025-02-30"),
}


@pytest.mark.parametrize("name", sorted(YAML_ATTACKS))
def test_ruleset_uploads_are_bounded(api, name: str) -> None:
    r = api.post(
        "/v1/rulesets/food",
        content=YAML_ATTACKS[name].encode("utf-8", "surrogatepass"),
        headers={**h(api, "alice"), "Content-Type": "application/yaml"},
    )
    _assert_4xx(r, ["body"])


def test_http_errors_of_the_framework_use_the_documented_form(api) -> None:
    r = api.get("/v1/no-such-route", headers=h(api, "admin"))
    assert r.status_code == 404
    _assert_4xx(r)

"""Schemathesis against the OpenAPI schema: no 500 and no schema violation on generated input.

Driven operation by operation through hypothesis (schemathesis's own pytest plugin does not
load under this pytest version).
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings
from sqlmodel import Session

from api.app import create_app
from discretion.store import make_engine, migrate
from discretion.store.keys import create_key
from discretion.store.lifecycle import seed_bundled

from .conftest import FIXTURES


def _app(tmp_dir, url: str | None = None):
    engine = make_engine(url or f"sqlite:///{tmp_dir / 'st.db'}")
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s, FIXTURES)
        _, token = create_key(s, "admin", None, label="schemathesis")
        s.commit()
    return create_app(engine), token


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    app, token = _app(tmp_path_factory.mktemp("st"))
    return schemathesis.openapi.from_asgi("/openapi.json", app), token


def _operations() -> list[str]:
    """The labels schemathesis gives the operations ("POST /v1/evaluate"), read from the app's
    OpenAPI document, which needs no database: collection stays cheap in every worker."""
    engine = make_engine("sqlite://")  # in memory: the app needs a migrated store (its session secret)
    migrate(engine)
    paths = create_app(engine).openapi()["paths"]
    return sorted(f"{method.upper()} {path}" for path, operations in paths.items() for method in operations)


@pytest.mark.parametrize("label", _operations())
def test_no_server_errors_and_responses_match_the_schema(target, label: str) -> None:
    schema, token = target
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        # schema-valid input may still be refused on its meaning (unknown department: 4xx with a reason),
        # so "positive data acceptance" does not apply; every other check does, 5xx above all
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])

    check()


# ---------------------------------------------------------------- bad strings and numbers (issue 10)

from hypothesis import strategies as st  # noqa: E402

from .conftest import _drop_schema, _postgres_schema_url  # noqa: E402

#: values that once gave a 500 or froze the server: NUL (PostgreSQL refuses it)
#: numbers by digits and exponent, dates at the calendar's ends
BAD_TEXT = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "1e400",
        "1e300000",
        "9" * 5000,
        "-1",
        "NaN",
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "9223372036854775808",
        "1000000000000.01",
        "12.345",
        "",
        " ",
        "\u202e",
        "%00",
        "../..",
    ]
)
#: lone surrogates are sent escaped by tests/test_hardening_input.py: schemathesis encodes bodies as
#: UTF-8, which cannot carry them
BAD_BODY_TEXT = BAD_TEXT
BAD_NUMBER = st.sampled_from([10**30, -(10**30), 10**12 + 1, 1e308, -1e308, 2**63, 0.1, 1e-300])


def _poison(value, data, texts, keys: bool = True):  # type: ignore[no-untyped-def]
    """The same value with some strings and numbers (keys too, in bodies) replaced by bad ones."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = data.draw(texts) if keys and data.draw(st.integers(0, 9)) == 0 else k
            out[key] = _poison(v, data, texts)
        return out
    if isinstance(value, list):
        return [_poison(v, data, texts) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return data.draw(texts) if data.draw(st.booleans()) else value
    if isinstance(value, (int, float)):
        return data.draw(BAD_NUMBER) if data.draw(st.booleans()) else value
    return value


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def poisoned_target(request, tmp_path_factory):
    schema = None
    if request.param == "postgresql":
        url, schema = _postgres_schema_url()
    else:
        url = None
    app, token = _app(tmp_path_factory.mktemp("bad"), url)
    yield schemathesis.openapi.from_asgi("/openapi.json", app), token
    app.state.engine.dispose()
    if schema:
        _drop_schema(schema)


@pytest.mark.parametrize("label", _operations())
def test_bad_strings_and_numbers_never_give_a_server_error(poisoned_target, label: str) -> None:
    schema, token = poisoned_target
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(), data=st.data())
    def check(case, data) -> None:  # type: ignore[no-untyped-def]
        if case.path_parameters:
            case.path_parameters = _poison(case.path_parameters, data, BAD_TEXT, keys=False)
        if case.query:
            case.query = _poison(case.query, data, BAD_TEXT, keys=False)
        if isinstance(case.body, (dict, list)):
            case.body = _poison(case.body, data, BAD_BODY_TEXT)
        # a bad value may land on another route (an empty path segment) or be refused anywhere: what
        # is checked is no server error, and every refusal in the {detail: [{loc, msg, type}]} form
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if 400 <= response.status_code < 500 and "json" in response.headers.get("content-type", ""):
            detail = response.json()["detail"]
            assert isinstance(detail, list) and {"loc", "msg", "type"} <= set(detail[0]), detail

    check()

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


def _app(tmp_dir):
    engine = make_engine(f"sqlite:///{tmp_dir / 'st.db'}")
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
    paths = create_app(make_engine("sqlite://")).openapi()["paths"]
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

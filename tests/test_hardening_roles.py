"""Issue 10, part 6 on PostgreSQL: the service connects as a role that owns nothing. It does all its
work (uploads, publishing, withdrawal, recorded evaluations, keys, imports, the audit log) and
cannot TRUNCATE, ALTER or DROP anything, disable a trigger, or update or delete audit entries."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from api.app import create_app
from discretion.store import make_engine
from discretion.store.chain import verify_chain
from discretion.store.keys import create_key
from discretion.store.roles import grant_service_role

from .test_api import CASE
from .test_store import FOOD_2025, _lines


@pytest.fixture
def service(seeded, db_url: str):
    """(owner engine, service engine, tokens): the service's role made and granted by the owner."""
    if not db_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    role = f"svc_{uuid.uuid4().hex[:10]}"
    with seeded.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    grant_service_role(seeded, role)
    with Session(seeded) as s:
        tokens = {
            name: create_key(s, r, d, label=name)[1]
            for name, r, d in [
                ("admin", "admin", None),
                ("alice", "reviewer", "food"),
                ("bob", "reviewer", "food"),
                ("officer", "officer", "food"),
            ]
        }
        s.commit()
    url = db_url.replace("root@", f"{role}@", 1)
    assert role in url
    engine = make_engine(url)
    try:
        yield seeded, engine, tokens
    finally:
        engine.dispose()
        with seeded.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_the_service_does_its_work_as_a_role_that_owns_nothing(service) -> None:
    owner, engine, tokens = service
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")).scalar() == 0
    api = TestClient(create_app(engine))

    def h(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    assert api.post("/v1/rulesets/food", content=FOOD_2025, headers=h("alice")).status_code == 201
    assert api.post("/v1/rulesets/food/2025/approve", headers=h("bob")).status_code == 200
    assert api.post("/v1/rulesets/food/2025/publish", headers=h("bob")).status_code == 200
    assert api.post("/v1/evaluate", json={**CASE, "record": True}, headers=h("officer")).status_code == 200
    imported = api.post(
        "/v1/cases", content=_lines(3), headers={**h("officer"), "Content-Type": "application/x-ndjson"}
    )
    assert imported.status_code == 200 and imported.json()["accepted"] == 3, imported.text
    made = api.post("/v1/keys", json={"role": "officer", "department": "food"}, headers=h("admin")).json()
    assert api.delete(f"/v1/keys/{made['id']}", headers=h("admin")).status_code == 200
    assert api.post("/v1/rulesets/food/2025/withdraw", json={"reason": "测试"}, headers=h("admin")).status_code == 200
    assert api.get("/v1/audit", headers=h("admin")).status_code == 200
    assert verify_chain(owner).intact


@pytest.mark.parametrize(
    "stmt",
    [
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "ALTER TABLE ruleset_version DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TABLE audit_log",
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
        "DELETE FROM decided_case",
        "UPDATE ruleset_version SET document = 'x' WHERE version = '2024'",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_the_service_role_cannot_go_round_the_guarantees(service, stmt: str) -> None:
    owner, engine, _ = service
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(stmt))
    assert verify_chain(owner).intact

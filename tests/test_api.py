"""The /v1 API: keys and roles, the evaluation contract, the version lifecycle, imports, audit."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.store.keys import create_key
from discretion.store.tables import AuditEntry, Evaluation

from .conftest import FIXTURES
from .test_store import FOOD, FOOD_2025, _lines

CASE = {
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
}


def _keys(seeded) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A key per role (and one of another department); their tokens by holder."""
    from discretion.store.lifecycle import ensure_department

    with Session(seeded) as s:
        ensure_department(s, "other", "其他部门")
        s.commit()
        tokens = {}
        for name, role, dept in [
            ("admin", "admin", None),
            ("officer", "officer", "food"),
            ("alice", "reviewer", "food"),
            ("bob", "reviewer", "food"),
            ("sup", "supervisor", "food"),
            ("stranger", "officer", "other"),
        ]:
            _, tokens[name] = create_key(s, role, dept, label=name)
        s.commit()
    return tokens


def _client(seeded) -> TestClient:  # type: ignore[no-untyped-def]
    """The app over a seeded store, with a key per role (and one of another department): the keys made for
    real once per process and store state, replayed after that (tests/conftest.py `replay_or_run`)."""
    from .conftest import replay_or_run

    tokens = replay_or_run(seeded, "api keys", _keys)
    client = TestClient(create_app(seeded))
    client.tokens = dict(tokens)  # type: ignore[attr-defined]
    return client


def h(api, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}


def test_no_key_401_wrong_key_401(api) -> None:
    assert api.post("/v1/evaluate", json=CASE).status_code == 401
    assert api.post("/v1/evaluate", json=CASE, headers={"Authorization": "Bearer dk_nope"}).status_code == 401


def test_evaluate_equals_the_library_result(api) -> None:
    r = api.post("/v1/evaluate", json=CASE, headers=h(api, "officer"))
    assert r.status_code == 200, r.text
    expected = evaluate(RulesetLibrary.load(FIXTURES), EvaluationRequest.model_validate(CASE))
    assert r.json() == json.loads(expected.model_dump_json())


def test_other_department_and_wrong_role_are_403(api) -> None:
    assert api.post("/v1/evaluate", json=CASE, headers=h(api, "stranger")).status_code == 403
    assert api.post("/v1/evaluate", json=CASE, headers=h(api, "sup")).status_code == 403
    r = api.post("/v1/rulesets/food", content=FOOD_2025, headers=h(api, "stranger"))
    assert r.status_code == 403


@pytest.mark.parametrize(
    "body, loc",
    [
        ({**CASE, "facts": {"goods_value": -1, "harm": "minor"}}, ["body", "facts", "goods_value"]),
        ({**CASE, "facts": {"goods_value": 1, "harm": "minor", "x": 1}}, ["body", "facts", "x"]),
        ({**CASE, "item": "F-999"}, ["body", "item"]),
        ({**CASE, "act_date": "2020-01-01"}, ["body", "act_date"]),
        ({**CASE, "act_date": "not a date"}, ["body", "act_date"]),
        ({**CASE, "colour": "red"}, ["body", "colour"]),
    ],
)
def test_bad_input_is_422_naming_the_field(api, body: dict, loc: list[str]) -> None:
    r = api.post("/v1/evaluate", json=body, headers=h(api, "officer"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


def test_malformed_json_is_422(api) -> None:
    r = api.post(
        "/v1/evaluate", content=b"{not json", headers={**h(api, "officer"), "Content-Type": "application/json"}
    )
    assert r.status_code == 422


def test_oversize_body_is_413(api) -> None:
    big = json.dumps(
        {**CASE, "facts": {"goods_value": 1, "harm": "minor", "pad": "x" * (api.app.state.settings.max_body + 10)}}
    )
    r = api.post("/v1/evaluate", content=big, headers={**h(api, "officer"), "Content-Type": "application/json"})
    assert r.status_code == 413


def test_record_stores_the_evaluation_and_an_audit_entry(api, seeded) -> None:
    r = api.post("/v1/evaluate", json={**CASE, "record": True}, headers=h(api, "officer"))
    assert r.status_code == 200
    with Session(seeded) as s:
        ev = s.exec(select(Evaluation)).one()
        assert ev.ruleset_hash == r.json()["ruleset"]["hash"] and ev.result["outcome"] == "penalty"
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "evaluation.record")).one().target == str(ev.id)


def test_read_endpoints(api) -> None:
    assert {d["code"] for d in api.get("/v1/departments", headers=h(api, "officer")).json()} >= {"food", "general"}
    versions = api.get("/v1/rulesets", params={"department": "food"}, headers=h(api, "officer")).json()
    assert [(v["version"], v["status"]) for v in versions] == [("2024", "published")]
    one = api.get("/v1/rulesets/food/2024", headers=h(api, "officer")).json()
    assert one["document"] == FOOD and len(one["content_hash"]) == 64
    schema = api.get("/v1/rulesets/food/2024/items/F-124", headers=h(api, "officer")).json()
    assert schema["required"] == ["goods_value", "harm"] and schema["facts"]["harm"]["type"] == "enum"
    assert api.get("/v1/rulesets/food/1999", headers=h(api, "officer")).status_code == 404
    assert api.get("/v1/rulesets/food/2024/items/NOPE", headers=h(api, "officer")).status_code == 422


def test_lifecycle_over_http(api) -> None:
    up = api.post(
        "/v1/rulesets/food", content=FOOD_2025, headers={**h(api, "alice"), "Content-Type": "application/yaml"}
    )
    assert up.status_code == 201, up.text
    assert up.json()["status"] == "draft"
    assert api.post("/v1/rulesets/food/2025/approve", headers=h(api, "alice")).status_code == 403  # own upload
    assert api.post("/v1/rulesets/food/2025/publish", headers=h(api, "bob")).status_code == 409  # not approved
    assert api.post("/v1/rulesets/food/2025/approve", headers=h(api, "bob")).json()["status"] == "approved"
    pub = api.post("/v1/rulesets/food/2025/publish", headers=h(api, "bob"))
    assert pub.json()["status"] == "published"
    for path in ("/v1/rulesets/food/2025/approve", "/v1/rulesets/food/2025/publish"):
        assert api.post(path, headers=h(api, "bob")).status_code == 409
    again = api.post("/v1/rulesets/food", content=FOOD_2025, headers=h(api, "alice"))
    assert again.status_code == 409
    # the new version is used for acts in its period
    r = api.post(
        "/v1/evaluate",
        json={**CASE, "act_date": "2025-02-01", "decision_date": "2025-03-01"},
        headers=h(api, "officer"),
    )
    assert r.json()["ruleset"]["version"] == "2025"


def test_invalid_draft_is_422_with_position(api) -> None:
    bad = FOOD_2025.replace("when: purchase_checked", "when: \"__import__('os').system('id')\"")
    r = api.post("/v1/rulesets/food", content=bad, headers=h(api, "alice"))
    assert r.status_code == 422
    assert "lists[0].when" in json.dumps(r.json(), ensure_ascii=False)
    assert (
        api.get("/v1/rulesets", params={"department": "food"}, headers=h(api, "alice")).json()[-1]["version"] == "2024"
    )


def test_cases_import_over_http(api) -> None:
    r = api.post("/v1/cases", content=_lines(3), headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["accepted"] == 3
    r = api.post("/v1/cases", content=_lines(3), headers={**h(api, "sup"), "Content-Type": "application/x-ndjson"})
    assert r.json()["accepted"] == 0 and r.json()["duplicates"] == 3
    r = api.post("/v1/cases", content="a,b\n1,2\n", headers={**h(api, "officer"), "Content-Type": "text/csv"})
    assert r.status_code == 422 and "header" in r.text
    r = api.post("/v1/cases", content=_lines(1), headers={**h(api, "officer"), "Content-Type": "text/plain"})
    assert r.status_code == 415
    assert (
        api.post(
            "/v1/cases", content=_lines(1), headers={**h(api, "alice"), "Content-Type": "application/x-ndjson"}
        ).status_code
        == 403
    )


def test_audit_is_filterable_and_scoped(api) -> None:
    api.post("/v1/evaluate", json={**CASE, "record": True}, headers=h(api, "officer"))
    assert api.get("/v1/audit", headers=h(api, "officer")).status_code == 403
    rows = api.get("/v1/audit", params={"action": "evaluation.record"}, headers=h(api, "sup")).json()
    assert len(rows) == 1 and rows[0]["department"] == "food"
    assert api.get("/v1/audit", params={"department": "other"}, headers=h(api, "sup")).status_code == 403
    assert len(api.get("/v1/audit", headers=h(api, "admin")).json()) > 1


def _bodies(n: int) -> list[dict]:
    import random

    rnd = random.Random(3)
    return [
        {
            **CASE,
            "facts": {
                "goods_value": rnd.choice([500, 9999, 10000, 25000]) + rnd.randint(0, 50),
                "harm": rnd.choice(["none", "minor", "general", "serious"]),
                "repeat_within_2y": rnd.random() < 0.3,
                "eliminated_harm": rnd.random() < 0.3,
            },
        }
        for _ in range(n)
    ]


def _in_threads(threads: int, cases: int, evaluate_one) -> list[str]:  # type: ignore[no-untyped-def]
    """Each thread evaluates every case in its own shuffled order; the (thread, case) answers that differ
    from `expected` (set by the caller on the function) are returned."""
    import random

    failures: list[str] = []
    start = threading.Barrier(threads)

    def worker(n: int) -> None:
        order = list(range(cases))
        random.Random(n).shuffle(order)
        start.wait()  # all threads at once, on caches nobody has filled yet
        for i in order:
            try:
                if evaluate_one(i) != evaluate_one.expected[i]:
                    failures.append(f"thread {n} case {i}")
            except Exception as e:  # noqa: BLE001 - a thread that dies is a failure, not a warning
                failures.append(f"thread {n} case {i}: {e!r}")

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return failures


def test_concurrent_evaluations_equal_the_single_threaded_ones() -> None:
    """32 threads × 200 evaluations on one library whose per-cell caches start empty (the threads race
    to fill them); every result equals the single-threaded one, computed on another library."""
    bodies = [EvaluationRequest.model_validate(b) for b in _bodies(200)]
    alone = RulesetLibrary.load(FIXTURES)
    shared = RulesetLibrary.load(FIXTURES)

    def one(i: int) -> str:
        return evaluate(shared, bodies[i]).model_dump_json()

    one.expected = [evaluate(alone, b).model_dump_json() for b in bodies]  # type: ignore[attr-defined]
    assert _in_threads(32, len(bodies), one) == []


def test_concurrent_requests_equal_the_single_threaded_evaluations(tmp_path) -> None:
    """8 threads × 50 requests through the app (its key cache and library start cold); every body equals
    the library's own result. The store is not what is tested: SQLite only."""
    from discretion.store import make_engine, migrate
    from discretion.store.lifecycle import seed_bundled

    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s, FIXTURES)
        s.commit()
    api = _client(engine)
    bodies = _bodies(50)
    library = RulesetLibrary.load(FIXTURES)

    def one(i: int) -> object:
        return api.post("/v1/evaluate", json=bodies[i], headers=h(api, "officer")).json()

    one.expected = [
        json.loads(evaluate(library, EvaluationRequest.model_validate(b)).model_dump_json())  # type: ignore[attr-defined]
        for b in bodies
    ]
    assert _in_threads(8, len(bodies), one) == []
    engine.dispose()


def test_sweep_over_stored_cases(api) -> None:
    import time

    rows = _lines(6)
    outlier = json.loads(_lines(1, 50))
    outlier["fine"] = "99000"  # above the recommended 54,500–60,500 for goods 8,050, harm minor
    api.post(
        "/v1/cases",
        content=rows + "\n" + json.dumps(outlier),
        headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"},
    )
    assert api.post("/v1/sweeps", json={}, headers=h(api, "officer")).status_code == 403
    assert api.post("/v1/sweeps", json={"department": "other"}, headers=h(api, "sup")).status_code == 403
    assert (
        api.post("/v1/sweeps", json={"since": "2024-05-01", "until": "2024-01-01"}, headers=h(api, "sup")).status_code
        == 422
    )
    r = api.post("/v1/sweeps", json={"department": "food"}, headers=h(api, "sup"))
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    for _ in range(100):
        got = api.get(f"/v1/sweeps/{sid}", headers=h(api, "sup")).json()
        if got["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert got["status"] == "done", got
    report = got["report"]
    assert report["summary"]["cases_swept"] == 7
    assert any(f["kind"] == "outside_range" and f["cases"] == ["C50"] for f in report["findings"])
    assert api.get("/v1/sweeps/nope", headers=h(api, "sup")).status_code == 404


def test_verify_a_draft_before_approving_it(api) -> None:
    up = api.post(
        "/v1/rulesets/food", content=FOOD_2025, headers={**h(api, "alice"), "Content-Type": "application/yaml"}
    )
    assert up.status_code == 201, up.text
    version = up.json()["version"]
    r = api.get(f"/v1/rulesets/food/{version}/verify", headers=h(api, "bob"))
    assert r.status_code == 200, r.text
    assert (
        r.json()["problems"] == []
        and r.json()["coverage"]
        and all(c["ruleset"] == f"food/{version}" for c in r.json()["coverage"])
    )
    assert api.get(f"/v1/rulesets/food/{version}/verify", headers=h(api, "officer")).status_code == 403
    missing = api.get("/v1/rulesets/food/1999/verify", headers=h(api, "bob"))
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"][-1] == "version"


@pytest.mark.parametrize("body", ["\r0", "\r", "a,b\r\n\x00"])
def test_csv_bodies_csv_cannot_read_are_422_not_500(api, body: str) -> None:
    """Found by schemathesis: a lone carriage return made the csv module raise inside the import."""
    r = api.post("/v1/cases", content=body.encode(), headers={**h(api, "officer"), "Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"]


def test_diff_and_impact_of_a_draft_against_the_published_version(api) -> None:
    up = api.post(
        "/v1/rulesets/food", content=FOOD_2025, headers={**h(api, "alice"), "Content-Type": "application/yaml"}
    )
    assert up.status_code == 201, up.text
    new = up.json()["version"]
    listed = api.get("/v1/rulesets?department=food", headers=h(api, "bob")).json()
    old = next(v["version"] for v in listed if v["version"] != new)
    d = api.get(f"/v1/rulesets/food/{new}/diff?against={old}", headers=h(api, "bob"))
    assert d.status_code == 200, d.text
    assert d.json()["old"] == old and d.json()["new"] == new and d.json()["old_hash"] != d.json()["new_hash"]
    assert api.get(f"/v1/rulesets/food/{new}/diff?against={new}", headers=h(api, "bob")).json()["changes"] == []
    r = api.post("/v1/cases", content=_lines(20), headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    i = api.get(f"/v1/rulesets/food/{new}/impact?against={old}", headers=h(api, "bob"))
    assert i.status_code == 200, i.text
    body = i.json()
    assert body["cases"] == 20 and body["replayed"] + sum(c["kind"] == "not_replayed" for c in body["changed"]) == 20
    assert api.get(f"/v1/rulesets/food/{new}/diff?against={old}", headers=h(api, "officer")).status_code == 403
    assert api.get(f"/v1/rulesets/food/{new}/diff", headers=h(api, "bob")).status_code == 422


def test_admin_creates_lists_and_revokes_keys_and_a_revoked_key_stops_at_once(api) -> None:
    made = api.post(
        "/v1/keys", json={"role": "officer", "department": "food", "label": "王五"}, headers=h(api, "admin")
    )
    assert made.status_code == 201, made.text
    token, key_id = made.json()["token"], made.json()["id"]
    officer = {"Authorization": f"Bearer {token}"}
    assert api.post("/v1/evaluate", json=CASE, headers=officer).status_code == 200  # now cached by the server
    listed = api.get("/v1/keys", headers=h(api, "admin")).json()
    assert any(k["id"] == key_id and k["revoked_at"] is None for k in listed)
    assert all("token" not in k and "secret_hash" not in k for k in listed)
    gone = api.delete(f"/v1/keys/{key_id}", headers=h(api, "admin"))
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
    assert api.post("/v1/evaluate", json=CASE, headers=officer).status_code == 401
    assert api.delete(f"/v1/keys/{key_id}", headers=h(api, "admin")).status_code == 200  # idempotent
    assert api.delete("/v1/keys/nope", headers=h(api, "admin")).status_code == 404
    assert api.get("/v1/keys", headers=h(api, "alice")).status_code == 403
    assert api.post("/v1/keys", json={"role": "god"}, headers=h(api, "admin")).status_code == 422
    unknown = api.post("/v1/keys", json={"role": "officer", "department": "nowhere"}, headers=h(api, "admin"))
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["loc"][-1] == "department"
    with Session(api.app.state.engine) as s:
        actions = [a.action for a in s.exec(select(AuditEntry).where(AuditEntry.target == key_id))]
    assert actions == ["key.create", "key.revoke"]


def test_the_last_admin_key_cannot_be_revoked(api) -> None:
    admins = [
        k for k in api.get("/v1/keys", headers=h(api, "admin")).json() if k["role"] == "admin" and not k["revoked_at"]
    ]
    for k in admins[1:]:
        assert api.delete(f"/v1/keys/{k['id']}", headers=h(api, "admin")).status_code in (200, 409)
    me = next(
        k for k in api.get("/v1/keys", headers=h(api, "admin")).json() if k["role"] == "admin" and not k["revoked_at"]
    )
    r = api.delete(f"/v1/keys/{me['id']}", headers=h(api, "admin"))
    assert r.status_code == 409 and "last live admin" in r.json()["detail"][0]["msg"]

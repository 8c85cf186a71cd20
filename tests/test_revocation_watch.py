"""The revocation counter as a request sees it (api/revocation.py): at once by default, or within the
bound a deployment sets (DISCRETION_REVOCATION_MAX_AGE), never older."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.revocation import RevocationWatch


class Counter:
    def __init__(self) -> None:
        self.value, self.reads = 1, 0

    def read(self) -> int:
        self.reads += 1
        return self.value


def test_at_once_every_request_sees_a_revocation_committed_before_it_arrived() -> None:
    counter = Counter()
    watch = RevocationWatch(counter.read)

    async def go() -> list[int]:
        seen = [await watch.current()]
        counter.value = 2  # a key revoked on another instance
        seen.append(await watch.current())
        return seen

    assert asyncio.run(go()) == [1, 2]


@pytest.mark.parametrize("max_age", [0.05, 0.2])
def test_with_a_bound_a_request_may_use_a_read_at_most_that_old_and_no_older(max_age: float) -> None:
    counter = Counter()
    watch = RevocationWatch(counter.read, max_age=max_age)

    async def go() -> tuple[int, int, int, int]:
        first = await watch.current()
        begun = time.monotonic()
        counter.value = 2
        within = await watch.current()  # no wait: the read of a moment ago
        reads_within = counter.reads
        await asyncio.sleep(max_age + 0.01)
        assert time.monotonic() - begun > max_age
        after = await watch.current()  # older than the bound: a fresh read
        return first, within, reads_within, after

    first, within, reads_within, after = asyncio.run(go())
    assert (first, within, reads_within, after) == (1, 1, 1, 2)
    assert counter.reads == 2


def test_the_setting_reaches_the_service(monkeypatch, engine) -> None:
    from api.app import create_app
    from discretion.store import migrate

    migrate(engine)
    monkeypatch.setenv("DISCRETION_REVOCATION_MAX_AGE", "0.1")
    assert create_app(engine).state.revocations.watch.max_age == 0.1
    monkeypatch.delenv("DISCRETION_REVOCATION_MAX_AGE")
    assert create_app(engine).state.revocations.watch.max_age == 0.0
    listens = engine.dialect.name == "postgresql"
    assert (create_app(engine).state.revocations.engine is not None) == listens
    monkeypatch.setenv("DISCRETION_REVOCATION_NOTIFY", "0")
    assert create_app(engine).state.revocations.engine is None


def _wait_for(predicate, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_listening_instances_refuse_a_revoked_key_when_told_and_read_while_not_listening(api, db_url: str) -> None:
    """Two served instances on PostgreSQL listen for revocations (no read per request): a key revoked
    through one is refused by the other once the notification arrives, and by the revoking one at once; a
    disabled user's keys too; a listener whose connection is cut falls back to reading per request (so it
    still refuses at once) and listens again when it can."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text
    from sqlmodel import Session

    from api.app import create_app
    from discretion.store import make_engine
    from discretion.store.users import create_user, create_user_key, set_disabled

    from .test_api import CASE, h

    other_engine = make_engine(db_url)
    other = TestClient(create_app(other_engine))
    watchers = [api.app.state.revocations, other.app.state.revocations]
    for w in watchers:
        w.start()
    try:
        assert _wait_for(lambda: all(w.live for w in watchers))
        reads = [w.watch._last for w in watchers]
        made = api.post("/v1/keys", json={"role": "officer", "department": "food"}, headers=h(api, "admin")).json()
        key = {"Authorization": f"Bearer {made['token']}"}
        for client in (api, other):
            assert client.post("/v1/evaluate", json=CASE, headers=key).status_code == 200  # cached by both
        assert [w.watch._last for w in watchers] == reads  # no read of the counter per request
        before = watchers[1].generation
        assert api.delete(f"/v1/keys/{made['id']}", headers=h(api, "admin")).status_code == 200
        assert api.post("/v1/evaluate", json=CASE, headers=key).status_code == 401  # the revoking instance: at once
        assert _wait_for(lambda: watchers[1].generation > before)
        assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 401
        assert other.post("/v1/evaluate", json=CASE, headers=h(api, "officer")).status_code == 200

        # a disabled user's key: refused once told
        with Session(api.app.state.engine) as s:
            user = create_user(s, "wang", "王", "officer", "food", "a-long-enough-password-1", actor="test")
            _, token = create_user_key(s, user, actor="test")
            s.commit()
        key = {"Authorization": f"Bearer {token}"}
        assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 200
        before = watchers[1].generation
        with Session(api.app.state.engine) as s:
            set_disabled(s, "wang", True, actor="test")
            s.commit()
        assert _wait_for(lambda: watchers[1].generation > before)
        assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 401

        # the listener's connection cut: requests read the counter again until it is back
        with other_engine.connect() as conn:
            for w in watchers:  # exactly the listeners' own connections
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": w.backend_pid})
            conn.commit()
        assert _wait_for(lambda: not all(w.live for w in watchers), 10)
        made = api.post("/v1/keys", json={"role": "officer", "department": "food"}, headers=h(api, "admin")).json()
        key = {"Authorization": f"Bearer {made['token']}"}
        assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 200
        assert api.delete(f"/v1/keys/{made['id']}", headers=h(api, "admin")).status_code == 200
        if not watchers[1].live:  # not listening: the read per request refuses it at once
            assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 401
        assert _wait_for(lambda: all(w.live for w in watchers), 15)
        assert other.post("/v1/evaluate", json=CASE, headers=key).status_code == 401
    finally:
        for w in watchers:
            w.stop()
        other_engine.dispose()

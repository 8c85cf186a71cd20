"""Issue 10, part 1: verify, diff, impact (and uploads, imports, approvals) run in a bounded pool of heavy
workers with a bounded queue; beyond it a heavy request gets 503 with Retry-After at once, and
evaluations keep answering while every heavy worker is busy."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session

import api.routes.rulesets as rulesets_route
import api.workers as workers
from api.app import create_app
from discretion.store.keys import create_key

from .test_api import CASE


def test_the_pool_runs_some_queues_some_and_refuses_the_rest() -> None:
    release = threading.Event()
    started: list[int] = []

    def slow(i: int) -> int:
        started.append(i)
        release.wait(10)
        return i

    async def main() -> tuple[list[int], HTTPException]:
        pool = workers.HeavyPool(workers=1, queue=1)
        results: list[int] = []
        async with anyio.create_task_group() as tg:

            async def call(i: int) -> None:
                results.append(await pool.run(lambda: slow(i)))

            tg.start_soon(call, 1)
            tg.start_soon(call, 2)
            await anyio.sleep(0.2)
            assert started == [1] and pool.admitted == 2  # one running, one waiting
            with pytest.raises(HTTPException) as refused:
                await pool.run(lambda: slow(3))
            release.set()
        assert await pool.run(lambda: 4) == 4  # room again once they are done
        return sorted(results), refused.value

    results, refused = anyio.run(main)
    assert results == [1, 2]
    assert refused.status_code == 503 and refused.headers == {"Retry-After": str(workers.RETRY_AFTER)}
    assert refused.detail[0]["loc"] == ["request"] and refused.detail[0]["type"] == "busy"


def test_the_pool_size_and_queue_come_from_the_settings(monkeypatch) -> None:
    from discretion.settings import load_settings

    monkeypatch.setenv("DISCRETION_HEAVY_QUEUE", "3")
    assert load_settings().heavy_queue == 3
    monkeypatch.setenv("DISCRETION_HEAVY_QUEUE", "-1")
    with pytest.raises(Exception, match="DISCRETION_HEAVY_QUEUE"):
        load_settings()


def test_busy_heavy_workers_refuse_more_verifies_and_never_block_evaluations(seeded, monkeypatch) -> None:
    monkeypatch.setattr(workers, "HEAVY_WORKERS", 1)
    monkeypatch.setattr(workers, "HEAVY_QUEUE", 1)
    release = threading.Event()
    real_verify = rulesets_route.verify_version

    def held_verify(crs):  # type: ignore[no-untyped-def]
        release.wait(30)
        return real_verify(crs)

    monkeypatch.setattr(rulesets_route, "verify_version", held_verify)
    with Session(seeded) as s:
        tokens = {role: create_key(s, role, "food", label=role)[1] for role in ("reviewer", "officer")}
        s.commit()
    reviewer = {"Authorization": f"Bearer {tokens['reviewer']}"}
    officer = {"Authorization": f"Bearer {tokens['officer']}"}
    with TestClient(create_app(seeded)) as client, ThreadPoolExecutor(4) as threads:
        held = [threads.submit(client.get, "/v1/rulesets/food/2024/verify", headers=reviewer) for _ in range(2)]
        deadline = time.monotonic() + 30
        while max((p.admitted for p in list(workers._pools.values())), default=0) < 2:
            assert time.monotonic() < deadline, "the two verifies were not admitted"
            time.sleep(0.05)  # the two held ones take the worker and the queue's place
        refused = client.get("/v1/rulesets/food/2024/diff?against=2024", headers=reviewer)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == str(workers.RETRY_AFTER)
        assert refused.json()["detail"][0]["type"] == "busy"
        started = time.perf_counter()
        for _ in range(20):
            assert client.post("/v1/evaluate", json=CASE, headers=officer).status_code == 200
        per_evaluation = (time.perf_counter() - started) / 20
        release.set()
        assert [f.result(timeout=60).status_code for f in held] == [200, 200]
        assert client.get("/v1/rulesets/food/2024/diff?against=2024", headers=reviewer).status_code == 200
    assert per_evaluation < 1.0, per_evaluation  # answered while the heavy worker was held (not queued behind it)

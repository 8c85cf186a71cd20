"""Issue 10, part 1: verify, diff, impact (and uploads, imports, approvals) run in a bounded pool of heavy
workers with a bounded queue; beyond it a heavy request gets 503 with Retry-After at once, and
evaluations keep answering while every heavy worker is busy."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session

import api.review as review
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
    monkeypatch.setattr(review, "USE_PROCESSES", False)  # to hold the verify here (processes: test below)
    release = threading.Event()
    real_verify = review.verify_version

    def held_verify(crs):  # type: ignore[no-untyped-def]
        release.wait(30)
        return real_verify(crs)

    monkeypatch.setattr(review, "verify_version", held_verify)
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


def test_reviews_in_child_processes_answer_as_in_threads(seeded, monkeypatch) -> None:
    with Session(seeded) as s:
        reviewer = {"Authorization": f"Bearer {create_key(s, 'reviewer', 'food', label='r')[1]}"}
        s.commit()
    urls = ("/v1/rulesets/food/2024/verify", "/v1/rulesets/food/2024/diff?against=2024")
    answers = {}
    for processes in (True, False):
        monkeypatch.setattr(review, "USE_PROCESSES", processes)
        with TestClient(create_app(seeded)) as client:
            got = [client.get(url, headers=reviewer) for url in urls]
            assert all(r.status_code == 200 for r in got), [r.text[:300] for r in got]
            answers[processes] = [r.json() for r in got]
            missing = client.get("/v1/rulesets/food/1999/verify", headers=reviewer)  # refused inside the child
            assert missing.status_code == 404 and missing.json()["detail"][0]["loc"][-1] == "version", missing.text
            if processes:  # the reviews above ran in these, not in this process
                assert review._executor is not None and os.getpid() not in (review._executor._processes or {})
                assert review._executor._processes
        if processes:
            assert review._executor is None  # the app's shutdown stopped them
    assert answers[True] == answers[False]


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_the_reviewers_processes_end_with_a_killed_server(tmp_path) -> None:
    from discretion.store import make_engine, migrate
    from discretion.store.lifecycle import seed_bundled

    from .conftest import FIXTURES
    from .test_hardening_blocking import _free_port

    url = f"sqlite:///{tmp_path / 'srv.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s, FIXTURES)
        reviewer = {"Authorization": f"Bearer {create_key(s, 'reviewer', 'food', label='r')[1]}"}
        s.commit()
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:app_from_env", "--factory", "--port", str(port)]
        + ["--log-level", "warning"],
        env={**os.environ, "DISCRETION_DATABASE_URL": url, "DISCRETION_HEAVY_PROCESSES": "1"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        for _ in range(600):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/rulesets/food/2024/verify", headers=reviewer, timeout=120)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert r.status_code == 200, r.text
        children = {c for c in _children(server.pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}
        assert children, "the verify did not run in a child process"
    finally:
        server.kill()  # SIGKILL: no shutdown handler runs, the children must notice on their own
        server.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [c for c in children if Path(f"/proc/{c}").exists()]
    for c in left:
        os.kill(c, 9)
    assert not left, f"reviewer processes outlived the server: {left}"

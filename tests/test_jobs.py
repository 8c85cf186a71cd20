"""Durable jobs on SQLite and PostgreSQL: a dead worker's job is taken again, each job runs once across
workers, slots bound concurrency, failures retry with backoff then fail, cancellation stops work."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from typing import Any
from collections.abc import Callable

from sqlmodel import Session

from discretion.jobs import Worker, cancel, enqueue
from discretion.jobs.worker import JobContext, Kind
from discretion.store import make_engine
from discretion.store.tables import Job, utcnow


def _wait(
    engine,
    job_ids: list[str],
    states: tuple[str, ...] = ("done", "failed", "cancelled"),
    timeout: float = 30,
) -> list[Job]:
    end = time.monotonic() + timeout
    while True:
        with Session(engine) as s:
            jobs = [s.get(Job, i) for i in job_ids]
        if all(j is not None and j.state in states for j in jobs) or time.monotonic() > end:
            return jobs  # type: ignore[return-value]
        time.sleep(0.05)


def _worker(engine, handler: Callable[[JobContext], Any], slots: int = 2, **kw: Any) -> Worker:
    kinds = {"t": Kind(handler, slots=slots, retry_base=0.01, retry_cap=0.05)}
    return Worker(engine, kinds, lease=kw.pop("lease", 5.0), poll=0.05, **kw).start()


def test_a_job_whose_worker_died_is_taken_again_and_finished(engine) -> None:
    with Session(engine) as s:
        s.add(
            Job(
                id="orphan",
                kind="t",
                payload={"n": 7},
                state="running",
                worker="dead-host:1",
                attempts=1,
                lease_until=utcnow() - dt.timedelta(seconds=1),
                started_at=utcnow(),
            )
        )
        s.add(
            Job(
                id="held",
                kind="t",
                payload={"n": 1},
                state="running",
                worker="live-host:1",
                attempts=1,
                lease_until=utcnow() + dt.timedelta(hours=1),
            )
        )
        s.commit()
    w = _worker(engine, lambda ctx: {"twice": ctx.payload["n"] * 2})
    try:
        [job] = _wait(engine, ["orphan"])
        assert (job.state, job.attempts, job.result) == ("done", 2, {"twice": 14})
        with Session(engine) as s:
            held = s.get(Job, "held")
            assert held is not None and held.state == "running" and held.worker == "live-host:1"
    finally:
        w.stop()


def test_each_job_runs_once_across_two_workers(db_url: str) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(ctx: JobContext) -> None:
        with lock:
            runs[ctx.job["id"]] += 1
        time.sleep(0.01)

    with Session(engines[0]) as s:
        ids = [enqueue(s, "t", {}).id for _ in range(30)]
        s.commit()
    workers = [_worker(e, handler, slots=3) for e in engines]
    try:
        jobs = _wait(engines[0], ids)
        assert all(j.state == "done" for j in jobs)
        assert runs == Counter(dict.fromkeys(ids, 1))
        assert len({j.worker for j in jobs}) >= 1
    finally:
        for w in workers:
            w.stop()
        for e in engines:
            e.dispose()


def test_slots_bound_how_many_jobs_of_a_kind_run_at_once(engine) -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def handler(ctx: JobContext) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1

    with Session(engine) as s:
        ids = [enqueue(s, "t", {}).id for _ in range(4)]
        s.commit()
    w = _worker(engine, handler, slots=1)
    try:
        assert all(j.state == "done" for j in _wait(engine, ids))
        assert peak == 1
    finally:
        w.stop()


def test_a_failing_job_is_retried_with_backoff_then_failed_with_its_error(engine) -> None:
    seen: list[int] = []

    def handler(ctx: JobContext) -> None:
        seen.append(ctx.job["attempts"])
        raise ConnectionError("receiver down")

    with Session(engine) as s:
        job_id = enqueue(s, "t", {}, max_attempts=3).id
        s.commit()
    w = _worker(engine, handler)
    try:
        [job] = _wait(engine, [job_id])
        assert (job.state, job.attempts, seen) == ("failed", 3, [1, 2, 3])
        assert job.error == "ConnectionError: receiver down"
    finally:
        w.stop()


def test_cancel_a_queued_job_and_a_running_one(engine) -> None:
    started = threading.Event()

    def handler(ctx: JobContext) -> None:
        for i in range(10_000):
            ctx.progress(i, 10_000, every=0)
            if i == 5:
                started.set()
            time.sleep(0.01)

    with Session(engine) as s:
        later = enqueue(s, "t", {}, run_after=utcnow() + dt.timedelta(hours=1)).id
        now = enqueue(s, "t", {}).id
        s.commit()
        assert cancel(s, later).state == "cancelled"
        s.commit()
    w = _worker(engine, handler)
    try:
        assert started.wait(10)
        with Session(engine) as s:
            assert cancel(s, now).cancel_requested
            s.commit()
        [job] = _wait(engine, [now])
        assert job.state == "cancelled" and 0 < job.progress_done < 10_000
    finally:
        w.stop()

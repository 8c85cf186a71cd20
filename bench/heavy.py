"""Another client's evaluation latency while reviewers run verify, in one run.

What it measures: p50 / p99 latency (ms, client side) of `POST /v1/evaluate` (scjg SC-FOOD-124-1-1,
one warm cell) sent back to back by one officer's client — a process of its own,
tests/helpers/evaluator_client.py — against a real server (uvicorn, one worker, SQLite, the bundled
rulesets), first with nothing else running, then while `--reviewers` threads request
`GET /v1/rulesets/scjg/2025/verify` back to back (each a compile beside the live versions and a walk
over every cell: CPU-bound Python in the heavy worker threads). It prints both figures, their ratio, the
verifies answered (and refused with 503) and the load average.

    python bench/heavy.py [--seconds 8] [--reviewers 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discretion.loader import BUNDLED  # noqa: E402
from discretion.store import make_engine, migrate  # noqa: E402
from discretion.store.keys import create_key  # noqa: E402
from discretion.store.lifecycle import seed_bundled  # noqa: E402
from tests.helpers import evaluator_client  # noqa: E402

CASE = {
    "department": "scjg",
    "item": "SC-FOOD-124-1-1",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-03-01",
    "decision_date": "2024-05-10",
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _measure(base: str, token: str, seconds: float, work: threading.Thread | None) -> list[float]:
    client = evaluator_client.spawn(base, token, CASE)
    if work is not None:
        work.start()
    time.sleep(seconds)
    return evaluator_client.collect(client)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--reviewers", type=int, default=4)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'heavy.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s, BUNDLED)
        officer = create_key(s, "officer", "scjg", label="officer")[1]
        reviewer = create_key(s, "reviewer", "scjg", label="reviewer")[1]
        s.commit()
    engine.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:app_from_env", "--factory", "--port", str(port)]
        + ["--log-level", "warning"],
        env={**os.environ, "DISCRETION_DATABASE_URL": url},
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/v1/departments", headers={"Authorization": f"Bearer {officer}"}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        quiet = _measure(base, officer, args.seconds, None)
        stop = threading.Event()
        statuses: list[int] = []

        def review() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {reviewer}"}, timeout=300) as c:
                while not stop.is_set():
                    statuses.append(c.get("/v1/rulesets/scjg/2025/verify").status_code)

        def reviewers() -> None:
            threads = [threading.Thread(target=review) for _ in range(args.reviewers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        work = threading.Thread(target=reviewers)
        busy = _measure(base, officer, args.seconds, work)
        stop.set()
        work.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    q50, q99, b50, b99 = _pct(quiet, 0.5), _pct(quiet, 0.99), _pct(busy, 0.5), _pct(busy, 0.99)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"evaluate alone:        p50 {q50:.1f} ms  p99 {q99:.1f} ms  ({len(quiet)} evaluations)")
    print(f"evaluate while verify: p50 {b50:.1f} ms  p99 {b99:.1f} ms  ({len(busy)} evaluations)")
    print(f"ratio busy/alone: p50 {b50 / q50:.2f}x  p99 {b99 / q99:.2f}x")
    others = len(statuses) - statuses.count(200) - statuses.count(503)
    print(f"verify answers: {statuses.count(200)} × 200, {statuses.count(503)} × 503, others {others}")


if __name__ == "__main__":
    main()

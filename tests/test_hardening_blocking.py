"""Issue 10, part 1: no single request stops the server. A real server (uvicorn, its own process)
is sent each input that once froze it, and a reviewer's CPU-heavy reads, while another client (a process
of its own) evaluates; the other client's p99 latency must stay under 100 ms. It is skipped only when the
machine is so loaded that the p99 before any attack is already half the bound and the p99 during them is
over it, with both figures and the load average in the reason.

This is the one timing assert the issue asks for: the threshold is far above the ~10 ms an
evaluation takes here even on a loaded machine, and far below the seconds a blocked event loop
cost (21 s for `"age": "1e300000"`, 60 s for 10,000 `and` terms).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Callable

import httpx
import pytest
from sqlmodel import Session

from discretion.store import make_engine, migrate
from discretion.store.keys import create_key
from discretion.store.lifecycle import seed_bundled

from .conftest import FIXTURES
from .helpers import evaluator_client
from .test_api import CASE
from .test_store import FOOD_2025, _lines

P99_MS = 100.0
#: how long each phase (no attack, attacks) runs at least
MIN_SECONDS = 3.0


def _attacks() -> list[tuple[str, str, bytes, str]]:
    """(method, path, body, content type): one of each class of input found to block the server."""

    def facts(**kw: object) -> bytes:
        return json.dumps({**CASE, "facts": {**CASE["facts"], **kw}}).encode()

    def condition(text: str) -> bytes:
        return FOOD_2025.replace("when: purchase_checked", f'when: "{text}"').encode()

    j, y, nd = "application/json", "application/yaml", "application/x-ndjson"
    return [
        ("POST", "/v1/evaluate", facts(age="1e300000"), j),
        ("POST", "/v1/evaluate", facts(age="1e1000000"), j),
        ("POST", "/v1/evaluate", facts(goods_value=10**30), j),
        ("POST", "/v1/evaluate", facts(goods_value="1" * 1_000_000), j),
        ("POST", "/v1/evaluate", json.dumps(CASE).replace("8000", "1" * 1_000_000).encode(), j),
        ("POST", "/v1/evaluate", b'{"facts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", j),
        ("POST", "/v1/evaluate", b"{not json" * 1000, j),
        ("POST", "/v1/rulesets/food", condition(" and ".join(["purchase_checked"] * 10_000)), y),
        ("POST", "/v1/rulesets/food", condition(" and ".join(["purchase_checked"] * 3_000)), y),
        ("POST", "/v1/rulesets/food", condition("not " * 5_000 + "purchase_checked"), y),
        ("POST", "/v1/rulesets/food", condition("goods_value < 1e400"), y),
        ("POST", "/v1/rulesets/food", ("a: &a [x, y]\n" + "b: *a\n" * 200_000).encode(), y),
        ("POST", "/v1/rulesets/food", (FOOD_2025 + "\nx: " + "[" * 500 + "]" * 500).encode(), y),
        ("POST", "/v1/cases", (_lines(50) + '\n{"facts": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(), nd),
        ("GET", "/v1/audit?actor=%00", b"", j),
        # a reviewer's CPU-heavy reads: heavy workers, never the event loop nor the evaluations' threads
        ("GET", "/v1/rulesets/food/2024/verify", b"", j),
        ("GET", "/v1/rulesets/food/2024/diff?against=2024", b"", j),
        ("GET", "/v1/rulesets/food/2024/impact?against=2024", b"", j),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'srv.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        seed_bundled(s, FIXTURES)
        tokens = {
            role: create_key(s, role, "food" if role != "admin" else None, label=role)[1]
            for role in ("officer", "reviewer", "admin")
        }
        s.commit()
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "DISCRETION_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if (
                    httpx.get(
                        f"{base}/v1/departments", headers={"Authorization": f"Bearer {tokens['officer']}"}, timeout=1
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base, tokens
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _evaluate_while(base: str, token: str, work: Callable[[], None]) -> list[float]:
    """Latencies (ms) of one officer's client evaluating back to back while `work` runs in this process.
    The client is a process of its own (tests/helpers/evaluator_client.py): in a thread of this process
    it would share the GIL with `work` and measure the test, not the server."""
    client = evaluator_client.spawn(base, token, CASE)
    try:
        work()
    finally:
        latencies = evaluator_client.collect(client)
    assert len(latencies) >= 50, len(latencies)
    return latencies


def test_no_input_blocks_another_clients_evaluations(server) -> None:
    base, tokens = server
    baseline = _p99(_evaluate_while(base, tokens["officer"], lambda: time.sleep(MIN_SECONDS)))
    answers: list[tuple[str, int]] = []
    attacks = _attacks()  # built once: building megabyte bodies is the test's work, not the server's

    def attack() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=base, timeout=120) as attacker:
            while not answers or time.monotonic() - started < MIN_SECONDS:
                for method, path, body, ctype in attacks:
                    who = "reviewer" if path.startswith("/v1/rulesets") else "admin" if "audit" in path else "officer"
                    r = attacker.request(
                        method,
                        path,
                        content=body,
                        headers={"Authorization": f"Bearer {tokens[who]}", "Content-Type": ctype},
                    )
                    answers.append((f"{method} {path} {body[:40]!r}", r.status_code))

    latencies = _evaluate_while(base, tokens["officer"], attack)
    heavy = ("/verify", "/diff", "/impact")  # the reviewer's reads: answered, not refused
    accepted = [(w, status) for w, status in answers if not 400 <= status < 500 and not any(k in w for k in heavy)]
    assert not accepted, accepted  # every hostile input refused
    assert all(status == 200 for w, status in answers if any(k in w for k in heavy)), answers
    p99 = _p99(latencies)
    load = os.getloadavg()[0]
    figures = (
        f"p99 {p99:.1f} ms over {len(latencies)} evaluations during the attacks, {baseline:.1f} ms before them; "
        f"load average {load:.2f} on {os.cpu_count()} cores"
    )
    print(figures)
    if p99 >= P99_MS and baseline >= P99_MS / 2:  # other processes load the machine: no judgement is possible
        pytest.skip(f"the machine is too loaded to judge: {figures}")
    assert p99 < P99_MS, figures

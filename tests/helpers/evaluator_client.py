"""An officer's client in a process of its own: evaluates one case back to back and prints the latencies.

Why a process: a client thread inside the test process shares its GIL with whatever else the test does
(building megabyte bodies, reading answers), and would measure that instead of the server. Run as
`python -m tests.helpers.evaluator_client BASE_URL TOKEN SECONDS CASE_JSON`: prints "ready" once warm,
then (after SECONDS, or when stdin says "stop" or closes) one JSON line {"latencies_ms": [...], "failures": [...]}.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def measure(base: str, token: str, seconds: float, case: object, stop: threading.Event) -> dict[str, object]:
    latencies: list[float] = []
    failures: list[str] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        client.post("/v1/evaluate", json=case)  # warm: the cell is cached, as in a running service
        print("ready", flush=True)
        ends = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < ends:
            started = time.perf_counter()
            r = client.post("/v1/evaluate", json=case)
            latencies.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                failures.append(r.text[:200])
            time.sleep(0.005)
    return {"latencies_ms": latencies, "failures": failures}


ROOT = Path(__file__).resolve().parent.parent.parent


def spawn(base: str, token: str, case: object) -> subprocess.Popen[str]:
    """Start the client in a process of its own; return once it is warm (its cell cached)."""
    client = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.evaluator_client", base, token, "600", json.dumps(case)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert client.stdout is not None
    if client.stdout.readline().strip() != "ready":
        client.kill()
        raise RuntimeError("the evaluating client did not start")
    return client


def collect(client: subprocess.Popen[str]) -> list[float]:
    """Stop the client; its latencies (ms). Every evaluation must have been answered 200."""
    try:
        out, _ = client.communicate("stop\n", timeout=120)
    finally:
        if client.poll() is None:
            client.kill()
    answer = json.loads(out)
    assert not answer["failures"], answer["failures"][:3]
    latencies: list[float] = answer["latencies_ms"]
    return latencies


def main() -> None:
    base, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    case = json.loads(sys.argv[4])
    stop = threading.Event()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps(measure(base, token, seconds, case, stop)), flush=True)


if __name__ == "__main__":
    main()

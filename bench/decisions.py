"""Decisions recorded and checked per second over HTTP (POST /v1/decisions), against POST /v1/evaluate
with the same cases, on one PostgreSQL: one service instance, then two.

What it measures: for each configuration, `--requests` timed requests from `--concurrency` keep-alive
clients (bench/api.py's raw HTTP/1.1 load generator, in its own process; with two instances one load
process per instance, each with half the clients), requests/second and p50 / p99 latency (client side).
First POST /v1/evaluate with bench/api.py's varied bodies for scjg / SC-FOOD-124-1-1, then
POST /v1/decisions with the same cases as decisions: each with its own case id (every request is a new
decision: one transaction writing the decided case, the decision, its alerts and an audit entry), the
measures the recommendation carries and a fine inside the recommended range, except one in five that
deviates (a fine 30 % over the recommended maximum, no reason) and so also writes alerts. Every
evaluation must answer 200 and every decision 201. The recommended ranges are computed here first with
the bundled rulesets, the same documents the service publishes on its first start. A warm-up with other
case ids precedes each timed run. The database is a fresh schema of `--pg` (dropped afterwards); the
instances run `discretion serve` (uvicorn, one worker each), the second started once the first has
migrated and seeded the database.

    python bench/decisions.py [--requests 10000] [--concurrency 32] [--pg postgresql://root@127.0.0.1:5432/test]

Targets (issue 11): a recorded and checked decision costs at most 2× an evaluation (decisions/s ≥ half
the evaluations/s), p99 ≤ 50 ms at 32 clients, two instances ≥ 1.6× one. Exit status 0 when every
request got its expected status, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_api", HERE / "api.py")
harness = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["bench_api"] = harness  # the load processes (spawned) find the harness under this name too
_spec.loader.exec_module(harness)  # type: ignore[union-attr]

PG = "postgresql://root@127.0.0.1:5432/test"


def decision_bodies(cases: list[dict], prefix: str, seed: int = 11) -> list[bytes]:
    """The cases as decisions: the recommended measures and a fine in the recommended range, one in five
    30 % over it without a reason; each with its own case id."""
    sys.path.insert(0, str(HERE.parent))
    from discretion import EvaluationRequest, RulesetLibrary, evaluate

    lib = RulesetLibrary.load()
    rnd = random.Random(seed)
    out = []
    for n, case in enumerate(cases):
        rec = evaluate(lib, EvaluationRequest.model_validate(case))
        body = {
            **case,
            "case_id": f"{prefix}-{n}",
            "outcome": rec.outcome,
            "measures": [m.code for m in rec.measures],
            "unit": rnd.choice(["城东所", "城西所", "开发区所"]),
        }
        if rec.fine is not None and rec.fine.max > 0:
            lo, hi = rec.fine.min, rec.fine.max
            fine = lo + (hi - lo) * Decimal(rnd.randint(0, 100)) / 100
            if rnd.random() < 0.2:
                fine = hi * Decimal("1.3")
            body["fine"] = str(fine.quantize(Decimal("0.01")))
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def measure(
    name: str,
    ports: list[int],
    token: str,
    route: str,
    ok: int,
    warm: list[bytes],
    timed: list[bytes],
    args: argparse.Namespace,
    pids: list[int],
) -> harness.Figures:
    procs = len(ports)
    w = harness.drive("raw", ports, token, warm, len(warm), args.concurrency, procs, route, ok)
    cpu0 = sum(harness.cpu_seconds(p) for p in pids)
    load = harness.drive("raw", ports, token, timed, len(timed), args.concurrency, procs, route, ok)
    wall = load.finished - load.started
    server_cpu = sum(harness.cpu_seconds(p) for p in pids) - cpu0
    lat = sorted(load.latencies)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    good = set(w.statuses) == {ok} and set(load.statuses) == {ok} and len(lat) == len(timed)
    if not good:
        print(
            f"{name}: statuses warm {w.statuses} timed {load.statuses}",
            *w.failures,
            *load.failures,
            sep="\n  ",
            file=sys.stderr,
        )
    return harness.Figures(name, len(lat) / wall, q[49] * 1000, q[98] * 1000, server_cpu / wall, load.cpu / wall, good)


def measure_both(
    label: str,
    servers: list[harness.Server],
    token: str,
    evals: list[bytes],
    decisions: list[bytes],
    args: argparse.Namespace,
) -> list[harness.Figures]:
    """Evaluations, then decisions, against every server started so far (the first `--requests` bodies
    timed, the rest the warm-up)."""
    ports, pids, n = [s.port for s in servers], [s.proc.pid for s in servers], args.requests
    return [
        measure(f"{label}: POST {route}", ports, token, route, ok, bodies[n:], bodies[:n], args, pids)
        for route, ok, bodies in (("/v1/evaluate", 200, evals), ("/v1/decisions", 201, decisions))
    ]


def pg_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{secrets.token_hex(5)}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="timed requests per measurement")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warm", type=int, default=1_000, help="warm-up requests before each measurement")
    parser.add_argument("--pg", default=PG, help="PostgreSQL URL (a fresh schema is made in it)")
    args = parser.parse_args()

    n = args.requests + args.warm
    cases = harness.bodies(n)
    # four runs of decisions (warm/timed × one/two instances), each request a new case id
    sets = [decision_bodies(cases, f"{k}-{secrets.token_hex(3)}") for k in ("one", "two")]
    evals = [json.dumps(c, ensure_ascii=False).encode() for c in cases]
    url, schema = pg_schema(args.pg)
    servers: list[harness.Server] = []
    figs: list[harness.Figures] = []
    try:
        with tempfile.TemporaryDirectory(prefix="discretion-bench-") as tmp_name:
            tmp = Path(tmp_name)
            env = {**os.environ, "DISCRETION_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
            for i in range(2):
                port = harness.free_port()
                svc = harness.start(
                    f"instance {i + 1}",
                    [
                        sys.executable,
                        "-m",
                        "discretion.cli",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env,
                    tmp / f"serve{i}.log",
                    port,
                )
                servers.append(svc)
                svc.wait_ready()
                if i == 0:
                    token = harness.officer_key(env)
                figs += measure_both(f"{i + 1} instance{'s' if i else ''}", servers, token, evals, sets[i], args)
    except Exception as exc:  # noqa: BLE001 - one line, servers stopped below, non-zero exit
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for s in servers:
            s.stop()
        drop_schema(args.pg, schema)
    report(figs, args)
    return 0 if all(f.ok for f in figs) else 1


def report(figs: list[harness.Figures], args: argparse.Namespace) -> None:
    print(
        f"\n{args.requests} timed requests each, concurrency {args.concurrency}, one PostgreSQL, "
        f"{os.cpu_count()} CPUs, {dt.datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'':34} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>11} {'CPU/request':>12} "
        f"{'client CPU':>11}"
    )
    for f in figs:
        print(
            f"{f.name:34} {f.rps:11,.0f} {f.p50:8.1f} {f.p99:8.1f} {f.server_cpu:10.0%} "
            f"{f.server_cpu / f.rps * 1e6:9,.0f} µs {f.client_cpu:10.0%}"
        )
    ev1, de1, ev2, de2 = figs
    cost, scale = ev1.rps / de1.rps, de2.rps / de1.rps
    print(
        f"a decision costs {cost:.2f}× an evaluation (target ≤ 2×); p99 {de1.p99:.1f} ms (target ≤ 50 ms); "
        f"two instances {scale:.2f}× one (target ≥ 1.6×)"
    )
    if not all(f.ok for f in figs):
        print("FAILED: some requests did not get their expected status (see above); these figures are not valid")


if __name__ == "__main__":
    sys.exit(main())

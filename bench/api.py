"""HTTP throughput and latency of POST /v1/evaluate, against a bare FastAPI endpoint, in one run.

What it measures: requests/second and p50 / p99 latency (ms, client side, send → full response
read) of `POST /v1/evaluate` on the real service (`python -m discretion.cli serve`: uvicorn,
`log_level="warning"`, `--workers N`, a fresh SQLite database in a temp directory, the bundled
rulesets), driven by `--concurrency` clients over keep-alive connections for `--requests` requests.
The bodies are a varied mix for 食品安全法第一百二十四条第一款第（一）项 (scjg / SC-FOOD-124-1-1):
goods value from none to 150,000 yuan (fallback range and multiples), all four harm levels,
lenient / mitigated / exemption / no-penalty facts, minors, act dates from 2021 to 2026 (so all
four scjg versions and the 第三十七条 choice and 第三十六条 limitation are exercised), sent with an
officer key of department scjg. Every response must be 200 (the results are not stored:
`record` is false).

In the same run, the same load (same bodies, same client, same counts) is driven against a bare
FastAPI app — one `async def` route returning a constant JSON object — served by uvicorn with the
same settings (same worker count, log_level warning), and the ratio of the two throughputs is
printed. The bare figure is the ceiling of this framework + server + client stack on this machine.

The load generator runs in its own process(es) (`--client-procs`, default 1), one keep-alive
connection per client, one request in flight on each. `--client raw` (default): asyncio streams
speaking HTTP/1.1 with pre-encoded requests — cheap enough that the server is what is measured.
`--client httpx`: `--concurrency` threads, each with its own httpx.Client. (One httpx.AsyncClient
with a pool of 32 was measured here at ~340 req/s against the bare app at 90 % client CPU: its pool
is the bottleneck, so it is not offered.) Server and client CPU over the timed window are printed:
a client near 100 % of a core means the client, not the server, limits that figure.

    python bench/api.py [--requests 20000] [--concurrency 32] [--workers 1] [--client raw|httpx]
                        [--client-procs 1]

Exit status: 0 when every request got a 200, 1 otherwise (or when a server does not start).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import multiprocessing as mp
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENT, ITEM = "scjg", "SC-FOOD-124-1-1"
ROUTE = "/v1/evaluate"
CLIENTS = {"raw": "asyncio streams, raw HTTP/1.1 keep-alive", "httpx": "threads, one httpx.Client each"}
SCJG_2022_10 = dt.date(2022, 10, 8)  # effective_from of rulesets/scjg/2022-10.yaml
STARTUP_TIMEOUT = 120.0  # seconds: migrate + seed + compile the bundled rulesets

BARE_APP = textwrap.dedent('''
    """The bare endpoint: one route, a constant JSON response (written by bench/api.py)."""
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/v1/evaluate")
    async def evaluate() -> dict:
        return {"outcome": "penalty", "fine": {"min": "65000", "max": "85000", "suggested": "75000"}}
''')


# ------------------------------------------------------------------------------------- bodies
def bodies(n: int, seed: int = 124) -> list[dict]:
    """`n` distinct, valid evaluation requests for SC-FOOD-124-1-1 (facts declared by every scjg version)."""
    rnd = random.Random(seed)
    last_decision = dt.date(2026, 11, 1)
    out = []
    for _ in range(n):
        facts: dict = {"harm": rnd.choice(["none", "minor", "minor", "general", "general", "serious"])}
        goods = rnd.choice([None, 0, 800, 3000, 9999, 10000, 12500, 36000, 150000])
        if goods is not None:
            facts["goods_value"] = goods + rnd.randint(0, 999) if goods else 0
            if rnd.random() < 0.2:  # a decimal string in yuan and fen
                facts["goods_value"] = f"{facts['goods_value']}.{rnd.randint(1, 99):02d}"
        act = dt.date(2021, 8, 1) + dt.timedelta(days=rnd.randint(0, 1880))
        decision = min(act + dt.timedelta(days=rnd.randint(10, 900)), last_decision)
        flags = [
            ("first_offence", 0.3),
            ("corrected_in_time", 0.5),
            ("eliminated_harm", 0.15),
            ("minor_violation", 0.1),
            ("coerced_or_deceived", 0.05),
            ("confessed_unknown_violation", 0.05),
            ("meritorious_cooperation", 0.05),
            ("serious_circumstances", 0.1),
            ("no_fault_proven", 0.02),
        ]
        if act >= SCJG_2022_10:  # facts of 国市监法规〔2022〕2号, declared from version 2022-10 on
            flags += [
                ("cooperated_with_evidence", 0.2),
                ("low_social_harm", 0.1),
                ("secondary_role", 0.05),
                ("hardship", 0.03),
                ("prior_same_violation", 0.1),
                ("obstructed_enforcement", 0.03),
                ("evidence_destroyed", 0.02),
                ("instigated_others", 0.02),
                ("emergency_violation", 0.02),
                ("disposed_seized_property", 0.02),
            ]
        for name, p in flags:
            if rnd.random() < p:
                facts[name] = True
        if rnd.random() < 0.15:  # a trader who checked the purchase: 第一百三十六条 exemption option
            facts.update(
                is_trader=True,
                purchase_inspection_done=True,
                no_knowledge_proven=True,
                source_explained=rnd.random() < 0.8,
            )
        if rnd.random() < 0.08:
            facts["age"] = rnd.choice([13, 15, 17])
        if rnd.random() < 0.04:
            facts["mental_capacity"] = rnd.choice(["partial", "none"])
        body = {
            "department": DEPARTMENT,
            "item": ITEM,
            "facts": facts,
            "act_date": act.isoformat(),
            "decision_date": decision.isoformat(),
        }
        if rnd.random() < 0.2:
            body["discovery_date"] = (act + (decision - act) / 2).isoformat()
        out.append(body)
    return out


# ------------------------------------------------------------------------------------ servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until the port accepts connections; fails early when the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully, and stops its workers), SIGKILL after 15 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout and self.proc.stdout.close()


def start(name: str, cmd: list[str], env: dict, log: Path, port: int) -> Server:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return Server(name, proc, port, log)


def officer_key(env: dict) -> str:
    """A fresh officer key for scjg, created in the database the running service uses."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "discretion.cli",
            "keys",
            "create",
            "--role",
            "officer",
            "--department",
            DEPARTMENT,
            "--label",
            "bench/api.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"keys create failed ({done.returncode}): {done.stderr.strip()}")
    token = done.stdout.strip().splitlines()[-1]
    if not re.fullmatch(r"dk_\S+", token):
        raise RuntimeError(f"keys create printed no key: {done.stdout!r}")
    return token


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (uvicorn workers), from /proc; 0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    try:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            rest = raw[raw.rindex(")") + 2 :].split()
            ppid, utime, stime = int(rest[1]), int(rest[11]), int(rest[12])
            children.setdefault(ppid, []).append(int(entry))
            stats[int(entry)] = (utime + stime) / tick
    except OSError:
        return 0.0
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, 0.0)
        todo.extend(children.get(p, []))
    return total


# ------------------------------------------------------------------------------ load generator
@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # first few, with the body sent
    started: float = 0.0  # time.monotonic(), comparable across processes on one machine
    finished: float = 0.0
    cpu: float = 0.0  # CPU seconds of the load process during the run

    def merge(self, other: Load) -> None:
        self.latencies += other.latencies
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n
        self.failures += other.failures[: max(0, 5 - len(self.failures))]
        self.started = min(self.started or other.started, other.started)
        self.finished = max(self.finished, other.finished)
        self.cpu += other.cpu

    def record(self, t0: float, status: int, text: str, payload: bytes, ok: int = 200) -> None:
        self.latencies.append(time.perf_counter() - t0)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != ok and len(self.failures) < 5:
            self.failures.append(f"{status} {text[:300]} <- {payload.decode()[:300]}")


async def _drive_raw(
    port: int,
    token: str,
    payloads: list[bytes],
    count: int,
    concurrency: int,
    first: int,
    route: str = ROUTE,
    ok: int = 200,
) -> Load:
    """`concurrency` keep-alive HTTP/1.1 connections on asyncio streams, one request in flight on each.

    The requests are encoded once; a response is its status line, headers and Content-Length body.
    This costs the client a fraction of what httpx costs, so the server is what is measured."""
    load = Load()
    requests = [
        (
            b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (route.encode(), port, token.encode(), len(body))
        )
        + body
        for body in payloads
    ]
    next_index = 0

    async def one_connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < count:
                i = (first + next_index) % len(payloads)
                next_index += 1
                t0 = time.perf_counter()
                try:
                    writer.write(requests[i])
                    head = await reader.readuntil(b"\r\n\r\n")
                    lines = head.split(b"\r\n")
                    status = int(lines[0].split()[1])
                    length = next(
                        int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")
                    )
                    body = await reader.readexactly(length)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, StopIteration) as exc:
                    load.record(t0, 0, f"{type(exc).__name__}: {exc}", payloads[i])
                    return  # the connection is unusable; its share is missing, so the run fails
                load.record(t0, status, body.decode(errors="replace") if status != ok else "", payloads[i], ok)
        finally:
            writer.close()

    cpu0, load.started = time.process_time(), time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    load.finished, load.cpu = time.monotonic(), time.process_time() - cpu0
    return load


def _drive_httpx(port: int, token: str, payloads: list[bytes], count: int, concurrency: int, first: int) -> Load:
    """`concurrency` threads, each with its own httpx.Client (one keep-alive connection)."""
    import httpx

    load = Load()
    counter = itertools.count()  # next() on it is atomic under the GIL
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def one_thread() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60.0) as client:
            while (n := next(counter)) < count:
                payload = payloads[(first + n) % len(payloads)]
                t0 = time.perf_counter()
                try:
                    response = client.post(ROUTE, content=payload)
                    status, text = response.status_code, (response.text if response.status_code != 200 else "")
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                load.record(t0, status, text, payload)

    threads = [threading.Thread(target=one_thread) for _ in range(concurrency)]
    cpu0, load.started = time.process_time(), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.finished, load.cpu = time.monotonic(), time.process_time() - cpu0
    return load


def _client_process(
    kind: str,
    port: int,
    token: str,
    payloads: list[bytes],
    count: int,
    concurrency: int,
    first: int,
    barrier,
    results,
    route: str = ROUTE,
    ok: int = 200,
) -> None:  # type: ignore[no-untyped-def]
    import httpx  # noqa: F401  (imported before the barrier, outside the timed window)

    barrier.wait()
    if kind == "raw":
        results.put(asyncio.run(_drive_raw(port, token, payloads, count, concurrency, first, route, ok)))
    else:
        results.put(_drive_httpx(port, token, payloads, count, concurrency, first))


def drive(
    kind: str,
    port: int | list[int],
    token: str,
    payloads: list[bytes],
    count: int,
    concurrency: int,
    procs: int,
    route: str = ROUTE,
    ok: int = 200,
) -> Load:
    """`count` requests from `concurrency` connections split over `procs` load processes (process p sends to
    the p-th of several ports, in turn: one load process per service instance). The raw client only for
    another `route` (expecting status `ok`)."""
    ports = port if isinstance(port, list) else [port]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = []
    for p in range(procs):
        share = count // procs + (p < count % procs)
        conns = concurrency // procs + (p < concurrency % procs)
        w = ctx.Process(
            target=_client_process,
            args=(
                kind,
                ports[p % len(ports)],
                token,
                payloads,
                share,
                conns,
                p * (count // procs),
                barrier,
                results,
                route,
                ok,
            ),
        )
        w.start()
        workers.append(w)
    total = Load()
    try:
        for _ in workers:
            total.merge(results.get(timeout=3600))
    finally:
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.terminate()
    return total


# ---------------------------------------------------------------------------------- reporting
@dataclass
class Figures:
    name: str
    rps: float
    p50: float
    p99: float
    server_cpu: float  # cores used on average over the timed window
    client_cpu: float
    ok: bool


def measure(server: Server, token: str, payloads: list[bytes], args: argparse.Namespace) -> Figures:
    """Warm up (every distinct body once, must all be 200), then the timed run."""
    warm = drive(args.client, server.port, token, payloads, len(payloads), args.concurrency, 1)
    if set(warm.statuses) != {200}:
        print(f"{server.name}: warm-up failed, statuses {warm.statuses}", *warm.failures, sep="\n  ", file=sys.stderr)
    cpu0 = cpu_seconds(server.proc.pid)
    load = drive(args.client, server.port, token, payloads, args.requests, args.concurrency, args.client_procs)
    server_cpu = cpu_seconds(server.proc.pid) - cpu0
    wall = load.finished - load.started
    lat = sorted(load.latencies)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    ok = set(warm.statuses) == {200} and set(load.statuses) == {200} and len(lat) == args.requests
    if set(load.statuses) != {200}:
        print(f"{server.name}: statuses {load.statuses}", *load.failures, sep="\n  ", file=sys.stderr)
    return Figures(server.name, len(lat) / wall, q[49] * 1000, q[98] * 1000, server_cpu / wall, load.cpu / wall, ok)


def report(figs: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"\n{args.requests} requests each, concurrency {args.concurrency}, uvicorn workers {args.workers}, "
        f"{args.client_procs} load process(es) ({CLIENTS[args.client]}), {os.cpu_count()} CPUs"
    )
    print(f"{'':30} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>11} {'client CPU':>11}")
    for f in figs:
        print(f"{f.name:30} {f.rps:11,.0f} {f.p50:8.1f} {f.p99:8.1f} {f.server_cpu:10.0%} {f.client_cpu:10.0%}")
    svc, bare = figs
    ratio = svc.rps / bare.rps
    print(f"{'ratio (discretion / bare)':30} {ratio:10.2f}×")
    if not all(f.ok for f in figs):
        print("FAILED: some requests did not get a 200 (see above); these figures are not valid")
    target = svc.ok and svc.rps >= 1000 and svc.p99 <= 50 and ratio >= 1 / 3
    print(f"targets (≥ 1,000 req/s, p99 ≤ 50 ms, ≥ 1/3 of bare): {'met' if target else 'NOT met'}")
    for f in figs:
        if f.client_cpu >= 0.9:
            print(
                f"note: the load generator used {f.client_cpu:.0%} of a core against {f.name}: "
                f"that figure is (partly) client-bound"
            )


# --------------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="timed requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (connections)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (service and bare app)")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="load generator: raw asyncio HTTP/1.1 (light) or threads with httpx.Client",
    )
    parser.add_argument("--client-procs", type=int, default=1, help="load-generator processes")
    parser.add_argument("--bodies", type=int, default=256, help="distinct request bodies, cycled")
    args = parser.parse_args()

    payloads = [json.dumps(b, ensure_ascii=False).encode() for b in bodies(args.bodies)]
    servers: list[Server] = []
    figs: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="discretion-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "DISCRETION_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "PYTHONUNBUFFERED": "1"}
        try:
            port = free_port()
            svc = start(
                "discretion POST /v1/evaluate",
                [
                    sys.executable,
                    "-m",
                    "discretion.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                ],
                env,
                tmp / "serve.log",
                port,
            )
            servers.append(svc)
            svc.wait_ready()
            if not re.search(r"admin key \(shown once, keep it\): dk_\S+", svc.output()):
                raise RuntimeError(f"serve printed no admin key:\n{svc.output()}")
            token = officer_key(env)  # after serve: it seeds the departments the key is scoped to
            figs.append(measure(svc, token, payloads, args))
            svc.stop()

            (tmp / "bare_app.py").write_text(BARE_APP)
            port = free_port()
            bare = start(
                "bare FastAPI (constant JSON)",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bare_app:app",
                    "--app-dir",
                    str(tmp),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                ],
                env,
                tmp / "bare.log",
                port,
            )
            servers.append(bare)
            bare.wait_ready()
            figs.append(measure(bare, token, payloads, args))
        except Exception as exc:  # noqa: BLE001 — one line, servers stopped below, non-zero exit
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            for s in servers:
                s.stop()
    report(figs, args)
    return 0 if all(f.ok for f in figs) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Reliability: an import killed halfway keeps only whole batches and resumes; two uvicorn
workers share one PostgreSQL database (recorded evaluations, cross-worker publish)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import Session

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.store import make_engine, migrate
from discretion.store.cases import import_cases, parse_rows
from discretion.store.keys import create_key
from discretion.store.lifecycle import seed_bundled

from .conftest import FIXTURES, _drop_schema, _postgres_schema_url

ROOT = Path(__file__).resolve().parents[1]
IMPORT_JOB = Path(__file__).resolve().parent / "helpers" / "import_job.py"
FOOD = (FIXTURES / "food" / "2024.yaml").read_text(encoding="utf-8")
FOOD_2025 = FOOD.replace('version: "2024"', 'version: "2025"').replace(
    "effective_from: 2024-01-01", "effective_from: 2025-01-01"
)

#: twenty batches, killed once at least ten are stored: what the test checks (whole batches, file order,
#: a resume without duplicates) does not grow with the file; 100,000 cases took minutes of the suite
N_CASES = 20_000
BATCH = 1000
HARMS = ("none", "minor", "general", "serious")


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


# ---------------------------------------------------------------- 1. an import killed halfway


def _case_id(i: int) -> str:
    return f"R{i:06d}"


def _decided_cases(n: int) -> str:
    """n valid decided cases of food/F-124 as JSON lines, acts from 2024-01-01 on."""
    start = dt.date(2024, 1, 1)
    lines = []
    for i in range(n):
        act = start + dt.timedelta(days=i % 500)
        lines.append(
            json.dumps(
                {
                    "case_id": _case_id(i),
                    "department": "food",
                    "item": "F-124",
                    "facts": {"goods_value": 500 + (i * 37) % 30000, "harm": HARMS[i % 4]},
                    "act_date": act.isoformat(),
                    "decision_date": (act + dt.timedelta(days=30 + i % 60)).isoformat(),
                    "unit": f"第{i % 7 + 1}所",
                    "officer": f"officer{i % 13}",
                    "outcome": "penalty",
                    "fine": 50000 + (i % 500) * 100,
                    "penalties": ["没收违法生产经营的物品"],
                },
                ensure_ascii=False,
            )
        )
    return "\n".join(lines) + "\n"


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM decided_case")).scalar_one()


def _batches(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT batch_id, case_id FROM decided_case")).all()
    out: dict[str, list[str]] = {}
    for batch_id, case_id in rows:
        out.setdefault(batch_id, []).append(case_id)
    return out


def test_import_killed_halfway_keeps_whole_batches_and_resumes(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            seed_bundled(session, FIXTURES)
            session.commit()
        data = _decided_cases(N_CASES)
        path = tmp_path / "cases.jsonl"
        path.write_text(data, encoding="utf-8")

        log = (tmp_path / "import.out").open("w+")
        job = subprocess.Popen(
            [sys.executable, str(IMPORT_JOB), db_url, str(path), str(BATCH)],
            cwd=ROOT,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                seen = _count(engine)
                if seen >= N_CASES // 2:
                    break
                if job.poll() is not None:
                    log.seek(0)
                    raise AssertionError(
                        f"the import ended (exit {job.returncode}) with {seen} rows stored "
                        f"before it could be killed:\n{log.read()[-3000:]}"
                    )
                assert time.monotonic() < deadline, f"only {seen} rows after 300 s"
                time.sleep(0.01)
            assert job.poll() is None, "the import finished before it could be killed"
            os.kill(job.pid, signal.SIGKILL)
            assert job.wait(timeout=30) == -signal.SIGKILL
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
            log.close()

        # a COMMIT the server had already received when the client died may still land: wait until settled
        k, settled = _count(engine), time.monotonic()
        while time.monotonic() - settled < 0.5:
            time.sleep(0.1)
            if (now := _count(engine)) != k:
                k, settled = now, time.monotonic()

        # only whole batches, committed in file order
        assert k % BATCH == 0, f"{k} rows stored: a partial batch survived the kill"
        assert N_CASES // 2 <= k < N_CASES
        batches = _batches(engine)
        assert len(batches) == k // BATCH
        assert {b: len(ids) for b, ids in batches.items() if len(ids) != BATCH} == {}
        for ids in batches.values():  # each batch is one aligned run of consecutive lines
            numbers = sorted(int(c[1:]) for c in ids)
            assert numbers[0] % BATCH == 0 and numbers == list(range(numbers[0], numbers[0] + BATCH))
        stored = {c for ids in batches.values() for c in ids}
        assert stored == {_case_id(i) for i in range(k)}, "the stored rows are not the first K cases of the file"

        # resume: the same file again, to the end
        report = import_cases(engine, parse_rows(data, "jsonl"), RulesetLibrary.load(FIXTURES), batch_size=BATCH)
        assert report.rejected == []  # in particular no "already stored with different content"
        assert report.accepted + report.duplicates == N_CASES
        assert report.accepted == N_CASES - k and report.duplicates == k
        with engine.connect() as conn:
            total, distinct = conn.execute(text("SELECT count(*), count(DISTINCT case_id) FROM decided_case")).one()
        assert total == distinct == N_CASES
        batches = _batches(engine)
        assert len(batches) == N_CASES // BATCH and {len(ids) for ids in batches.values()} == {BATCH}
    finally:
        engine.dispose()


# ---------------------------------------------------------------- 2. two uvicorn workers, one PostgreSQL


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Child processes of pid, recursively (from /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of the TCP connection 127.0.0.1:client_port → server_port."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == server_port and int(f[2].rsplit(":", 1)[1], 16) == client_port:
                return f[9]
    return None


def _owner(pids: list[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


class Server:
    """`discretion serve --workers 2` as a subprocess, and which worker answered a request."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w+")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "discretion.cli",
                "serve",
                "--workers",
                "2",
                "--port",
                str(self.port),
                "--rulesets",
                str(FIXTURES),
            ],
            cwd=ROOT,
            env=_env(DISCRETION_DATABASE_URL=url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited ({self.proc.returncode}):\n{self.output()}"
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer within {timeout} s:\n{self.output()}")

    def ask(self, body: dict, token: str) -> tuple[int | None, httpx.Response]:
        """POST /v1/evaluate on a new connection: (pid of the worker that accepted it, response)."""
        with httpx.Client(base_url=self.base, timeout=30) as client:
            r = client.post("/v1/evaluate", json=body, headers={"Authorization": f"Bearer {token}"})
            client_port = r.extensions["network_stream"].get_extra_info("client_addr")[1]
            inode = _socket_inode(self.port, client_port)  # the connection is still open (keep-alive)
            pid = _owner(_descendants(self.proc.pid), inode) if inode else None
        return pid, r

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn's supervisor stops its workers on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session, started above
                self.proc.wait()
        self.log.close()


CASE = {
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
}
CASE_2025 = {**CASE, "act_date": "2025-02-01", "decision_date": "2025-03-01"}


def test_two_uvicorn_workers_share_one_postgres(tmp_path: Path) -> None:
    url, schema = _postgres_schema_url()
    engine = make_engine(url)
    server: Server | None = None
    try:
        migrate(engine)
        with Session(engine) as s:
            seed_bundled(s, FIXTURES)
            _, officer = create_key(s, "officer", "food", label="officer")
            _, alice = create_key(s, "reviewer", "food", label="alice")
            _, bob = create_key(s, "reviewer", "food", label="bob")
            s.commit()

        server = Server(url, tmp_path / "serve.log")
        server.wait_ready()
        workers = list(_descendants(server.proc.pid))
        assert len(workers) >= 2, f"expected two uvicorn workers, found processes {workers}"

        # 400 concurrent recorded evaluations from 16 threads
        rnd = random.Random(7)
        distinct = [
            {
                **CASE,
                "facts": {
                    "goods_value": rnd.choice([500, 9999, 10000, 25000]) + rnd.randint(0, 50),
                    "harm": rnd.choice(HARMS),
                    "repeat_within_2y": rnd.random() < 0.3,
                },
            }
            for _ in range(40)
        ]
        jobs = [(i % len(distinct)) for i in range(400)]
        rnd.shuffle(jobs)
        results: dict[int, list[tuple[int, bytes]]] = {}
        errors: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(16)

        def worker(n: int) -> None:
            try:
                with httpx.Client(
                    base_url=server.base, timeout=60, headers={"Authorization": f"Bearer {officer}"}
                ) as client:
                    barrier.wait()
                    for j in jobs[n::16]:
                        r = client.post("/v1/evaluate", json={**distinct[j], "record": True})
                        with lock:
                            results.setdefault(j, []).append((r.status_code, r.content))
            except Exception as e:  # noqa: BLE001
                errors.append(f"thread {n}: {type(e).__name__}: {e}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        answers = [a for rs in results.values() for a in rs]
        assert len(answers) == 400
        bad = [(status, body[:300]) for status, body in answers if status != 200]
        assert bad == [], f"{len(bad)} of 400 not 200, e.g. {bad[:3]}"
        library = RulesetLibrary.load(FIXTURES)
        for j, rs in results.items():
            assert len({body for _, body in rs}) == 1, f"different results for identical body {distinct[j]}"
            expected = json.loads(evaluate(library, EvaluationRequest.model_validate(distinct[j])).model_dump_json())
            assert json.loads(rs[0][1]) == expected
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM evaluation")).scalar_one() == 400
            assert (
                conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'evaluation.record'")).scalar_one()
                == 400
            )
            assert (
                conn.execute(
                    text("SELECT count(DISTINCT target) FROM audit_log WHERE action = 'evaluation.record'")
                ).scalar_one()
                == 400
            )

        # before the new version: both workers have the old library loaded and answer 2024 for a 2025 act
        def sweep(want: str, timeout: float) -> tuple[dict[int, str], list[tuple[float, int | None, str]]]:
            """Ask on fresh connections until every worker answered `want` (or timeout)."""
            start, last = time.monotonic(), {}
            seen: list[tuple[float, int | None, str]] = []
            while time.monotonic() - start < timeout:
                pid, r = server.ask(CASE_2025, officer)
                assert r.status_code == 200, r.text
                version = r.json()["ruleset"]["version"]
                seen.append((round(time.monotonic() - start, 2), pid, version))
                if pid is not None:
                    last[pid] = version
                if len(last) >= 2 and all(v == want for v in last.values()):
                    break
                time.sleep(0.02)
            return last, seen

        before, seen = sweep("2024", 30)
        assert len(before) >= 2 and set(before.values()) == {"2024"}, f"both workers should answer 2024 first: {seen}"

        # upload, approve (another reviewer), publish the 2025 version through the API
        with httpx.Client(base_url=server.base, timeout=30) as client:
            up = client.post(
                "/v1/rulesets/food",
                content=FOOD_2025.encode(),
                headers={"Authorization": f"Bearer {alice}", "Content-Type": "application/yaml"},
            )
            assert up.status_code == 201, up.text
            ok = client.post("/v1/rulesets/food/2025/approve", headers={"Authorization": f"Bearer {bob}"})
            assert ok.status_code == 200 and ok.json()["status"] == "approved", ok.text
            pub = client.post("/v1/rulesets/food/2025/publish", headers={"Authorization": f"Bearer {bob}"})
            assert pub.status_code == 200 and pub.json()["status"] == "published", pub.text
        published = time.monotonic()
        after, seen = sweep("2025", 3.0)
        took = time.monotonic() - published
        assert len(after) >= 2 and set(after.values()) == {"2025"}, (
            f"within 3 s both workers should use food/2025 (took {took:.2f} s); (t, worker, version): {seen}"
        )
        for _ in range(10):  # and they keep doing so
            _, r = server.ask(CASE_2025, officer)
            assert r.json()["ruleset"]["version"] == "2025"
    finally:
        try:
            if server is not None:
                server.stop()
        finally:
            engine.dispose()
            _drop_schema(schema)

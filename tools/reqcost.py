"""CPU per request of the service, in process: the ASGI app called directly (no sockets, no uvicorn), so
what is measured is the request path itself — middlewares, authentication, dependencies, validation, the
evaluation or the decision's check and write, the JSON of the answer.

    python tools/reqcost.py [--route evaluate|decisions|bare] [--requests 3000] [--concurrency 32]
                            [--pg postgresql://root@127.0.0.1:5432/test] [--profile FILE] [--slow 0.02]

Prints CPU µs per request (time.process_time over the timed requests, all threads of this process), the
full garbage collections during them and the longest; with --profile, writes a cProfile of the timed
requests (the event loop's thread only); with --slow S, asyncio's debug mode logs every callback that held
the event loop longer than S seconds. Environment: REQCOST_SAME=1 warms on the timed bodies themselves
(every cell warm), REQCOST_GC_PROBE=1 times full collections after the warm-up. `bare` is a
FastAPI app with one async route returning constant JSON, called the same way: the framework's floor.
The bodies are bench/api.py's and bench/decisions.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib.util
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("bench_decisions", ROOT / "bench" / "decisions.py")
bench = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench)  # type: ignore[union-attr]


def _app(url: str) -> tuple[object, str]:
    os.environ["DISCRETION_DATABASE_URL"] = url
    from sqlmodel import Session

    from api.app import create_app
    from discretion.store import make_engine, migrate
    from discretion.store.keys import create_key
    from discretion.store.lifecycle import seed_bundled

    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        seed_bundled(session)
        _, token = create_key(session, "officer", "scjg", label="tools/reqcost.py")
        session.commit()
    app = create_app(engine)
    try:
        from api import heap
    except ImportError:  # a commit before api/heap.py (this script copied there to compare)
        return app, token
    app.router.add_event_handler("startup", heap.enable)  # as app_from_env (discretion serve) does
    return app, token


def _bare() -> object:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/{route}")
    async def constant(route: str) -> dict[str, object]:
        return {"ok": True, "route": route, "items": [1, 2, 3]}

    return app


async def _call(app: object, route: str, token: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[operator]
    return status


async def _run(app: object, route: str, token: str, bodies: list[bytes], concurrency: int) -> list[int]:
    statuses: list[int] = []
    it = iter(bodies)

    async def client() -> None:
        for body in it:
            statuses.append(await _call(app, route, token, body))

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return statuses


async def _lifespan(app: object) -> asyncio.Task[None]:
    """Start the app as a server would (startup handlers: the job worker, the revocation listener, the
    heap's freeze); the task left running keeps it started (cancelled at the end)."""
    started = asyncio.Event()

    async def receive() -> dict:
        if not started.is_set():
            return {"type": "lifespan.startup"}
        await asyncio.sleep(3600)
        return {"type": "lifespan.shutdown"}

    async def send(message: dict) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))  # type: ignore[operator]
    await started.wait()
    return task


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", choices=("evaluate", "decisions", "bare"), default="evaluate")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warm", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a fresh schema); default a temporary SQLite file")
    parser.add_argument(
        "--slow", type=float, default=0.0, help="asyncio debug mode: log every callback holding the loop longer (s)"
    )
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the timed requests here")
    args = parser.parse_args()

    n = args.requests + args.warm
    cases = bench.harness.bodies(n)
    if args.route == "decisions":
        bodies = bench.decision_bodies(cases, f"rc-{secrets.token_hex(3)}")
    else:
        bodies = [json.dumps(c, ensure_ascii=False).encode() for c in cases]
    schema = None
    gc_pauses: list[list[float]] = []
    with tempfile.TemporaryDirectory(prefix="reqcost-") as tmp:
        if args.route == "bare":
            app, token = _bare(), "x"
        elif args.pg:
            url, schema = bench.pg_schema(args.pg)
            app, token = _app(url)
        else:
            app, token = _app(f"sqlite:///{tmp}/reqcost.db")
        route = f"/v1/{args.route}"
        ok = 201 if args.route == "decisions" else 200
        try:

            async def go() -> tuple[float, float, list[int]]:
                lifespan = await _lifespan(app)
                if getattr(getattr(app, "state", None), "revocations", None) is not None:
                    for _ in range(100):  # the revocation listener connected (PostgreSQL)
                        watch = app.state.revocations  # type: ignore[attr-defined]
                        if getattr(watch, "live", True) or watch.engine is None:  # (a commit before the listener)
                            break
                        await asyncio.sleep(0.05)
                await _run(app, route, token, bodies[args.requests :], args.concurrency)
                if os.environ.get("REQCOST_SAME") and args.route != "decisions":
                    await _run(app, route, token, bodies[: args.requests], args.concurrency)  # every cell warm
                print(f"after warm-up: {len(gc.get_objects()):,} objects tracked, {gc.get_freeze_count():,} frozen")
                if os.environ.get("REQCOST_FREEZE"):
                    gc.freeze()
                if os.environ.get("REQCOST_GC_PROBE"):
                    for i in range(3):
                        if i == 2:
                            gc.freeze()
                        c, w = time.process_time(), time.perf_counter()
                        found = gc.collect()
                        print(
                            f"gc.collect(): {found} found, cpu {(time.process_time() - c) * 1000:.1f} ms, "
                            f"wall {(time.perf_counter() - w) * 1000:.1f} ms"
                        )
                pauses: list[float] = []
                t = [0.0]

                def on_gc(phase: str, info: dict) -> None:
                    if phase == "start":
                        t[0] = time.thread_time()
                    elif info["generation"] == 2:
                        pauses.append(time.thread_time() - t[0])  # CPU of the collection (wall adds others' load)

                gc.callbacks.append(on_gc)
                gc_pauses.append(pauses)
                prof = cProfile.Profile() if args.profile else None
                c0, w0 = time.process_time(), time.perf_counter()
                if prof:
                    prof.enable()
                statuses = await _run(app, route, token, bodies[: args.requests], args.concurrency)
                if prof:
                    prof.disable()
                    prof.dump_stats(args.profile)
                lifespan.cancel()
                if os.environ.get("REQCOST_GC_PROBE"):
                    import collections

                    kinds = collections.Counter(type(o).__name__ for o in gc.get_objects())
                    c = time.thread_time()
                    gc.collect()
                    took = (time.thread_time() - c) * 1000
                    print(f"after: {sum(kinds.values()):,} tracked, full collection {took:.1f} ms CPU")
                    print(kinds.most_common(12))
                return time.process_time() - c0, time.perf_counter() - w0, statuses

            if args.slow:
                logging.basicConfig(level=logging.WARNING)
                loop = asyncio.new_event_loop()
                loop.set_debug(True)
                loop.slow_callback_duration = args.slow
                cpu, wall, statuses = loop.run_until_complete(go())
                loop.close()
            else:
                cpu, wall, statuses = asyncio.run(go())
        finally:
            if schema:
                bench.drop_schema(args.pg, schema)
    bad = [s for s in statuses if s != ok]
    refused = f"; {len(bad)} not {ok}: {bad[:5]}" if bad else ""
    print(
        f"{args.route}: {args.requests} requests, concurrency {args.concurrency}: "
        f"{cpu / args.requests * 1e6:,.0f} µs CPU each ({args.requests / cpu:,.0f}/s of CPU), "
        f"wall {wall:.2f} s, load average {os.getloadavg()[0]:.1f}; "
        f"{len(gc_pauses[0])} full collections, longest {max(gc_pauses[0], default=0) * 1000:.1f} ms CPU" + refused
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

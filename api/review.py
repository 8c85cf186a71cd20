"""verify, diff, impact and table imports in worker processes: the reviewer's CPU-bound Python off the server's GIL.

Why processes: in a thread, a verify holds the GIL in turns with the event loop, and every other
client's evaluation waits its turn (bench/heavy.py measured 4.7× the p50 of evaluations while
reviewers verified). A child process runs on the other core without taking the GIL from the loop.
Each child opens the database itself (a URL, not a connection, crosses the process boundary) and keeps
its own cache of the compiled live versions (store/lifecycle.py), so only its first review compiles
them. Admission is the heavy pool's (api/workers.py): at most DISCRETION_HEAVY_WORKERS at once, a
bounded queue, 503 beyond; the processes are as many. An in-memory SQLite database cannot be opened by
another process, and DISCRETION_HEAVY_PROCESSES=0 turns processes off: then the same functions run in
the heavy worker threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from discretion.audit import DiffReport, ImpactReport, VerifyReport, verify_version
from discretion.audit import diff as diff_versions
from discretion.audit import impact as replay
from discretion.consistency.sources import from_engine
from discretion.errors import DiscretionError
from discretion.settings import load_settings
from discretion.store import lifecycle, make_engine

from .importing import import_upload
from .workers import HEAVY_WORKERS, in_worker

#: reviews run in child processes (DISCRETION_HEAVY_PROCESSES; default on)
USE_PROCESSES = load_settings().heavy_processes


def verify_report(engine: Engine, department: str, version: str) -> VerifyReport:
    """`discretion verify` of one stored version (drafts too), compiled beside the live ones."""
    with Session(engine) as session:
        row = lifecycle.get_version(session, department, version)
        ref = f"{department}/{version}"
        lib = lifecycle.compile_with_live(session, {ref: row.document})
    problems, coverage = verify_version(lib.compiled[ref])
    return VerifyReport(problems=problems, coverage=coverage)


def compiled_pair(engine: Engine, department: str, version: str, against: str) -> tuple[Any, Any]:
    """Two stored versions (drafts too) compiled beside the live ones: (against, version)."""
    with Session(engine) as session:
        rows = [lifecycle.get_version(session, department, v) for v in (against, version)]
        lib = lifecycle.compile_with_live(session, {f"{department}/{r.version}": r.document for r in rows})
    return lib.compiled[f"{department}/{against}"], lib.compiled[f"{department}/{version}"]


def diff_report(engine: Engine, department: str, version: str, against: str) -> DiffReport:
    """`discretion diff`: what changed from `against` to `version`, item by item."""
    return diff_versions(*compiled_pair(engine, department, version, against))


def impact_report(engine: Engine, department: str, version: str, against: str) -> ImpactReport:
    """`discretion impact` over the department's stored decided cases."""
    old, new = compiled_pair(engine, department, version, against)
    return replay(old, new, from_engine(engine, department=department))


REVIEWS: dict[str, Callable[..., Any]] = {
    "verify": verify_report,
    "diff": diff_report,
    "impact": impact_report,
    "import": import_upload,  # a published table into a draft (api/importing.py)
}

# ------------------------------------------------------------------ the child's side

#: engines a child has opened, by URL (a few: every test opens another database)
_engines: OrderedDict[str, Engine] = OrderedDict()


def _child_engine(url: str) -> Engine:
    engine = _engines.pop(url, None) or make_engine(url)
    _engines[url] = engine
    while len(_engines) > 4:
        _engines.popitem(last=False)[1].dispose()
    return engine


def _in_child(name: str, url: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    """Run one review in the child; a refusal travels back as (class, message, attributes), since not
    every error class can be rebuilt from its arguments by pickle."""
    try:
        return "ok", REVIEWS[name](_child_engine(url), *args)
    except DiscretionError as e:
        return "error", (type(e), e.message, dict(vars(e)))


def _leave_with_parent(parent: int) -> None:
    """A child's initializer: exit when the server that started it is gone (SIGKILL included), so no
    orphaned reviewer process outlives the service."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="leave-with-parent").start()


def _rebuild(kind: type[DiscretionError], message: str, attributes: dict[str, Any]) -> DiscretionError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    vars(error).update(attributes)
    return error


# ------------------------------------------------------------------ the server's side

_executor: ProcessPoolExecutor | None = None
_executor_lock = threading.Lock()


def _processes() -> ProcessPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:  # spawned, not forked: the server has threads and locks a fork would copy
            _executor = ProcessPoolExecutor(
                HEAVY_WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_leave_with_parent,
                initargs=(os.getpid(),),
            )
        return _executor


def shutdown() -> None:
    """Stop the child processes (the app's shutdown); the next review starts new ones."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


def _url(engine: Engine) -> str | None:
    """The URL another process can open, or None (an in-memory SQLite database is this process's only)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


async def review(engine: Engine, name: str, *args: Any) -> Any:
    """Run review `name` (verify, diff, impact, import) through the heavy pool: in a child process when the
    database can be opened there, else in a heavy worker thread."""
    url = _url(engine) if USE_PROCESSES else None
    if url is None:
        return await in_worker(lambda: REVIEWS[name](engine, *args))

    def in_child() -> Any:
        outcome, value = _processes().submit(_in_child, name, url, args).result()
        if outcome == "error":
            raise _rebuild(*value)
        return value

    return await in_worker(in_child)  # the thread only waits: admission, queue and 503 stay the heavy pool's

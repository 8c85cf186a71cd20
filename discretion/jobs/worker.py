"""The per-instance worker: takes jobs from the store, runs them in bounded slots, keeps their leases.

Each kind of job has its own number of slots per instance (one sweep at a time: a second sweep waits
in the queue instead of doubling the memory; a few webhook deliveries at once). A dispatcher thread
claims jobs while slots are free and otherwise sleeps until woken (a job was enqueued here) or
`poll` seconds pass (a job enqueued by another instance, a retry that came due, a lease that ran out).
A heartbeat thread renews the leases of the running jobs and passes on cancellations.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from sqlalchemy.engine import Engine

from . import queue
from .queue import JobCancelled, JobFailed

log = logging.getLogger("discretion.jobs")


@dataclass
class JobContext:
    """What a handler gets: the job, the engine, the instance's services, and a progress call."""

    job: dict[str, Any]
    engine: Engine
    services: dict[str, Any]
    worker: str
    cancelled: threading.Event = field(default_factory=threading.Event)
    _last: float = 0.0

    @property
    def payload(self) -> dict[str, Any]:
        return self.job["payload"]  # type: ignore[no-any-return]  # a JSON column: each job kind knows its payload

    def progress(self, done: int, total: int | None = None, *, every: float = 0.5) -> None:
        """Report progress (at most every `every` seconds); raise JobCancelled if the job was cancelled."""
        if self.cancelled.is_set():
            raise JobCancelled()
        now = time.monotonic()
        if now - self._last >= every or (total is not None and done >= total):
            self._last = now
            if queue.progress(self.engine, self.job["id"], self.worker, done, total):
                self.cancelled.set()
                raise JobCancelled()


Handler = Callable[[JobContext], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Kind:
    """A kind of job: its handler, slots per instance, and the backoff between failed attempts."""

    handler: Handler
    slots: int = 1
    retry_base: float = 2.0
    retry_cap: float = 600.0


class Worker:
    """Runs the jobs of `kinds` taken from the store at `engine`; `start()` once per process."""

    def __init__(
        self,
        engine: Engine,
        kinds: dict[str, Kind],
        *,
        services: dict[str, Any] | None = None,
        lease: float = 30.0,
        poll: float = 0.5,
        idle_exit: float | None = None,
    ) -> None:
        self.engine, self.kinds, self.services = engine, kinds, services or {}
        self.lease, self.poll, self.idle_exit = lease, poll, idle_exit
        self.id = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, tuple[str, JobContext]] = {}
        self._threads: list[threading.Thread] = []
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, sum(k.slots for k in kinds.values())),
            thread_name_prefix="discretion-job",
        )

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Worker:
        """Start the dispatcher and heartbeat threads (again after an idle exit; a no-op while running)."""
        with self._lock:
            if any(t.is_alive() for t in self._threads):
                return self
            self._stop.clear()
            self._threads = [
                threading.Thread(target=self._dispatch, name="discretion-jobs", daemon=True),
                threading.Thread(target=self._heartbeat, name="discretion-jobs-lease", daemon=True),
            ]
            for t in self._threads:
                t.start()
        return self

    def wake(self) -> None:
        """A job was enqueued here: look now rather than at the next poll (starting if stopped)."""
        self.start()
        self._wake.set()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            if wait and t is not threading.current_thread():
                t.join(timeout=5)
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    # ------------------------------------------------------------ threads

    def _free_kinds(self) -> list[str]:
        with self._lock:
            used: dict[str, int] = {}
            for kind, _ in self._running.values():
                used[kind] = used.get(kind, 0) + 1
        return [k for k, spec in self.kinds.items() if used.get(k, 0) < spec.slots]

    def _dispatch(self) -> None:
        idle_since = time.monotonic()
        while not self._stop.is_set():
            try:
                job = queue.claim(self.engine, self._free_kinds(), self.id, self.lease)
            except Exception as e:  # noqa: BLE001 - the database may be away for a moment: try again later
                log.warning(
                    "claiming a job failed: %s",
                    str(e).splitlines()[0] if str(e) else type(e).__name__,
                )
                job = None
            if job is not None:
                ctx = JobContext(job=job, engine=self.engine, services=self.services, worker=self.id)
                with self._lock:
                    self._running[job["id"]] = (job["kind"], ctx)
                self._pool.submit(self._run, ctx)
                idle_since = time.monotonic()
                continue
            if self.busy():
                idle_since = time.monotonic()
            elif self.idle_exit is not None and time.monotonic() - idle_since > self.idle_exit:
                return
            self._wake.wait(self.poll)
            self._wake.clear()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            with self._lock:
                contexts = {i: ctx for i, (_, ctx) in self._running.items()}
            try:
                for job_id in queue.renew(self.engine, self.id, list(contexts), self.lease):
                    contexts[job_id].cancelled.set()
            except Exception as e:  # noqa: BLE001
                log.warning(
                    "renewing leases failed: %s",
                    str(e).splitlines()[0] if str(e) else type(e).__name__,
                )
            if not contexts and not self._threads[0].is_alive():
                return  # the dispatcher left (idle exit) and nothing runs: so does the heartbeat

    def _run(self, ctx: JobContext) -> None:
        job, spec = ctx.job, self.kinds[ctx.job["kind"]]
        try:
            result = spec.handler(ctx)
            queue.finish(self.engine, job["id"], self.id, queue.DONE, result=result)
        except JobCancelled:
            queue.finish(self.engine, job["id"], self.id, queue.CANCELLED)
        except JobFailed as e:
            queue.finish(self.engine, job["id"], self.id, queue.FAILED, error=str(e))
        except Exception as e:  # noqa: BLE001 - recorded on the job, retried with backoff
            error = f"{type(e).__name__}: {e}"
            if job["attempts"] < job["max_attempts"]:
                queue.finish(
                    self.engine,
                    job["id"],
                    self.id,
                    queue.QUEUED,
                    error=error,
                    retry_in=queue.backoff(job["attempts"], spec.retry_base, spec.retry_cap),
                )
            else:
                queue.finish(self.engine, job["id"], self.id, queue.FAILED, error=error)
        finally:
            with self._lock:
                self._running.pop(job["id"], None)
            self._wake.set()

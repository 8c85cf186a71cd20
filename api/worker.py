"""The instance's job worker: started with the server, so jobs left by a stopped instance are taken up.

An app made without a server (tests) starts its worker on the first job it queues, and that worker
leaves after a few idle seconds.
"""

from __future__ import annotations

from fastapi import FastAPI

from discretion.alerts.webhooks import KIND as DELIVER
from discretion.alerts.webhooks import deliver
from discretion.consistency.job import KIND as SWEEP
from discretion.consistency.job import run_sweep
from discretion.decisions.bulk import KIND as CHECK
from discretion.decisions.bulk import check_stored_cases
from discretion.jobs import Worker
from discretion.jobs.worker import Kind
from discretion.settings import load_settings

#: seconds a running job's lease lasts without a heartbeat (DISCRETION_JOB_LEASE)
LEASE = load_settings().job_lease


def default_kinds() -> dict[str, Kind]:
    """One sweep and one bulk check at a time per instance (each may hold a whole table of cases, so more
    wait in the queue instead of multiplying the memory); four webhook deliveries (they wait on the
    network, not on memory), retried with backoff up to ten minutes apart."""
    return {
        SWEEP: Kind(run_sweep, slots=1),
        CHECK: Kind(check_stored_cases, slots=1),
        DELIVER: Kind(deliver, slots=4, retry_base=2.0, retry_cap=600.0),
    }


def make_worker(app: FastAPI) -> Worker:
    worker = Worker(
        app.state.engine,
        default_kinds(),
        services={"library": app.state.library.get},
        lease=LEASE,
        idle_exit=5.0,
    )

    def _start() -> None:
        worker.idle_exit = None  # a served instance polls for other instances' jobs all along
        worker.start()

    def _stop() -> None:
        worker.stop(wait=False)  # running jobs keep their rows: their leases run out, another worker takes them

    app.router.add_event_handler("startup", _start)
    app.router.add_event_handler("shutdown", _stop)
    return worker

"""The instance's job worker: started with the server, so jobs left by a stopped instance are taken up.

An app made without a server (tests) starts its worker on the first job it queues, and that worker
leaves after a few idle seconds.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from discretion.jobs import Worker
from discretion.jobs.kinds import default_kinds

#: seconds a running job's lease lasts without a heartbeat (DISCRETION_JOB_LEASE)
LEASE = float(os.environ.get("DISCRETION_JOB_LEASE", 30))


def make_worker(app: FastAPI) -> Worker:
    worker = Worker(app.state.engine, default_kinds(), services={"library": app.state.library.get},
                    lease=LEASE, idle_exit=5.0)

    def _start() -> None:
        worker.idle_exit = None  # a served instance polls for other instances' jobs all along
        worker.start()

    def _stop() -> None:
        worker.stop(wait=False)  # running jobs keep their rows: their leases run out, another worker takes them

    app.router.add_event_handler("startup", _start)
    app.router.add_event_handler("shutdown", _stop)
    return worker

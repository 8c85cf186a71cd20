"""Durable jobs in the store: long work (sweeps, bulk checks, webhook deliveries) any instance can take.

queue.py (enqueue, claim with FOR UPDATE SKIP LOCKED on PostgreSQL, lease, progress, finish, retry with
backoff, cancel) · worker.py (the per-instance worker: bounded slots per kind, heartbeat, restart-safe).
No well-kept job library serves both SQLite and PostgreSQL from the application's own tables
(procrastinate and pgqueuer are PostgreSQL-only; huey, rq, dramatiq need a broker), so this is small
and built on the two statements every queue of this kind uses: a claim and a lease.
"""

from .queue import JobCancelled, JobFailed, cancel, enqueue
from .worker import Worker

__all__ = ["JobCancelled", "JobFailed", "Worker", "cancel", "enqueue"]

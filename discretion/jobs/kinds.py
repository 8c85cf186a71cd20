"""The kinds of job this service runs, with their slots per instance and their retry backoff."""

from __future__ import annotations

from .worker import Kind


def default_kinds(*, webhook_retry_base: float = 2.0) -> dict[str, Kind]:
    """One sweep and one bulk check at a time per instance (each may hold a whole table of cases);
    four webhook deliveries (they wait on the network, not on memory)."""
    from ..alerts.webhooks import KIND as DELIVER
    from ..alerts.webhooks import deliver
    from ..decisions.bulk import KIND as CHECK
    from ..decisions.bulk import check_stored_cases
    from .sweeps import KIND as SWEEP
    from .sweeps import run_sweep

    return {SWEEP: Kind(run_sweep, slots=1), CHECK: Kind(check_stored_cases, slots=1),
            DELIVER: Kind(deliver, slots=4, retry_base=webhook_retry_base, retry_cap=600.0)}

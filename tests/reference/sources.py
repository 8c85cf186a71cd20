"""Decided cases from the store (the decided_case table), as the file reader gives them.

Read with SQLAlchemy Core, streamed, as plain tuples: building an ORM object per row cost most of a
million-case sweep's time and doubled its memory.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Engine

from discretion.store import make_engine
from discretion.store.tables import DecidedCase
from .reading import DecidedRow, ReadResult, cyclic_gc_paused

_T = DecidedCase.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _T.c.case_id,
    _T.c.department,
    _T.c.item,
    _T.c.facts,
    _T.c.act_date,
    _T.c.decision_date,
    _T.c.unit,
    _T.c.officer,
    _T.c.outcome,
    _T.c.fine,
    _T.c.penalties,
)


def from_engine(
    engine: Engine,
    *,
    department: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ReadResult:
    """Stored decided cases (optionally one department, decided in [since, until]), ordered by case
    id. Rows were validated on import, so none is rejected here."""
    q = select(*_COLUMNS).order_by(_T.c.case_id)
    if department:
        q = q.where(_T.c.department == department)
    if since:
        q = q.where(_T.c.decision_date >= since)
    if until:
        q = q.where(_T.c.decision_date <= until)
    out = ReadResult()
    rows = out.rows
    shared: dict[str, str] = {}
    with cyclic_gc_paused(), engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(q)
        for n, (
            cid,
            dept,
            item,
            facts,
            act,
            decided,
            unit,
            officer,
            outcome,
            fine,
            penalties,
        ) in enumerate(result, 1):
            rows.append(
                DecidedRow(
                    n,
                    cid,
                    shared.setdefault(dept, dept),
                    shared.setdefault(item, item),
                    facts,
                    act,
                    decided,
                    shared.setdefault(unit, unit),
                    shared.setdefault(officer, officer),
                    shared.setdefault(outcome, outcome),
                    fine,
                    tuple(sorted(penalties)) if penalties else (),
                )
            )
    return out


def from_database(url: str) -> ReadResult:
    """Every stored decided case of the database at `url`."""
    engine = make_engine(url)
    try:
        return from_engine(engine)
    finally:
        engine.dispose()

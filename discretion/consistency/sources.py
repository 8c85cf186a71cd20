"""Decided cases from the store (the decided_case table) into the same CaseTable as the file reader.

Read with SQLAlchemy Core, streamed in partitions of plain tuples, with facts and penalties as
their JSON text: each distinct text is parsed once, and no object per case is kept.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import orjson
from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Engine

from ..store import make_engine
from ..store.tables import DecidedCase
from ..cases.reading import FORMAT, cyclic_gc_paused
from ..cases.table import CaseTable, TableBuilder

_T = DecidedCase.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, untyped
_COLUMNS = tuple(cast(_T.c[k], Text).label(k) if k in ("facts", "penalties") else _T.c[k] for k in FORMAT)
PARTITION = 20_000


def from_engine(
    engine: Engine,
    *,
    department: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    units: list[str] | None = None,
) -> CaseTable:
    """Stored decided cases (optionally one department, decided in [since, until], of some units),
    ordered by case id. Rows were validated on import; the same checks as for a file still apply."""
    q = select(*_COLUMNS).order_by(_T.c.case_id)
    if units:
        q = q.where(_T.c.unit.in_(units))
    if department:
        q = q.where(_T.c.department == department)
    if since:
        q = q.where(_T.c.decision_date >= since)
    if until:
        q = q.where(_T.c.decision_date <= until)
    builder = TableBuilder(orjson.loads, penalties_loads=orjson.loads)
    n = 1
    with cyclic_gc_paused(), engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=PARTITION).execute(q)
        for part in result.partitions():
            columns = dict(zip(FORMAT, map(list, zip(*part, strict=True)), strict=True))
            builder.add(np.arange(n, n + len(part), dtype=np.int64), columns)
            n += len(part)
    return builder.table()


def from_database(url: str) -> CaseTable:
    """Every stored decided case of the database at `url`."""
    engine = make_engine(url)
    try:
        return from_engine(engine)
    finally:
        engine.dispose()

"""Decided cases from the store (the decided_case table), as the file reader gives them."""

from __future__ import annotations

from sqlmodel import Session, select

from ..store import make_engine
from ..store.tables import DecidedCase
from .reading import DecidedRow, ReadResult


def from_database(url: str) -> ReadResult:
    """Every stored decided case; rows were validated on import, so none is rejected here."""
    engine = make_engine(url)
    out = ReadResult()
    with Session(engine) as session:
        for n, c in enumerate(session.exec(select(DecidedCase).order_by(DecidedCase.case_id)), 1):  # type: ignore[arg-type]
            out.rows.append(DecidedRow(n, c.case_id, c.department, c.item, c.facts, c.act_date, c.decision_date, c.unit,
                                       c.officer, c.outcome, c.fine, tuple(sorted(c.penalties))))
    engine.dispose()
    return out

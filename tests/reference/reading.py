"""Decided cases from JSON lines or CSV, validated row by row; bad rows are kept with their reason.

Same format as the store's import (discretion.store.cases): case_id, department, item, facts,
act_date, decision_date, unit, officer, outcome, fine, penalties.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from pathlib import Path
from contextlib import contextmanager
from typing import Any
from collections.abc import Iterable, Iterator

from discretion.errors import DiscretionError
from discretion.money import FEN

OUTCOMES = frozenset({"no_penalty", "exemption", "penalty"})


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small, acyclic objects are made:
    at 10⁶ cases its repeated rescans cost more than the work itself. Reference counting still
    frees."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class CaseFormatError(DiscretionError):
    """The input is not JSON lines or CSV of decided cases at all."""


@dataclass(slots=True)
class DecidedRow:
    """One decided case as read (facts still raw: they are validated per item later)."""

    line: int
    case_id: str
    department: str
    item: str
    facts: dict[str, Any]
    act_date: dt.date
    decision_date: dt.date
    unit: str
    officer: str
    outcome: str
    fine: Decimal | None
    penalties: tuple[str, ...]


@dataclass
class Rejected:
    line: int
    case_id: str | None
    reason: str


@dataclass
class ReadResult:
    rows: list[DecidedRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


@lru_cache(maxsize=65536)
def _iso_date(v: str) -> dt.date:
    return dt.date.fromisoformat(v)


def _date(v: Any, name: str) -> dt.date:
    if type(v) is str:
        try:
            return _iso_date(v)  # the same few thousand dates recur: parsed once, one object shared
        except ValueError:
            raise ValueError(f"{name}: {v!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(v, dt.date):
        return v
    if not isinstance(v, str):
        raise ValueError(f"{name}: not a date")
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{name}: {v!r} is not a date (YYYY-MM-DD)") from None


@lru_cache(maxsize=65536)
def _fine_text(v: str) -> Decimal | None:
    return _fine(v, cached=False)


def _fine(v: Any, cached: bool = True) -> Decimal | None:
    if cached and type(v) is str:
        return _fine_text(v)  # exceptions are not cached: a bad amount is checked (and refused) each time
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise ValueError("fine: not a number")
    try:
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(str(v))
    except InvalidOperation:
        raise ValueError(f"fine: {v!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise ValueError(f"fine: {v!r} is not an amount")
    if d != d.quantize(FEN):
        raise ValueError("fine: at most two decimals")
    return d


def to_row(line: int, raw: dict[str, Any]) -> DecidedRow:
    """Check one raw row; ValueError names the field and the reason."""
    for name in ("case_id", "department", "item", "act_date", "decision_date", "outcome"):
        if raw.get(name) in (None, ""):
            raise ValueError(f"{name}: missing")
    facts = raw.get("facts", {})
    if not isinstance(facts, dict):
        raise ValueError("facts: must be an object")
    outcome = raw["outcome"]
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: {outcome!r} is not one of no_penalty, exemption, penalty")
    act, decided = _date(raw["act_date"], "act_date"), _date(raw["decision_date"], "decision_date")
    if decided < act:
        raise ValueError("decision_date: before act_date")
    penalties = raw.get("penalties") or ()
    if not isinstance(penalties, (list, tuple)) or not all(isinstance(p, str) for p in penalties):
        raise ValueError("penalties: must be a list of strings")
    return DecidedRow(
        line,
        str(raw["case_id"]),
        _shared(str(raw["department"])),
        _shared(str(raw["item"])),
        facts,
        act,
        decided,
        _shared(str(raw.get("unit") or "")),
        _shared(str(raw.get("officer") or "")),
        _shared(outcome),
        _fine(raw.get("fine")),
        tuple(sorted(penalties)) if penalties else (),
    )


_SHARED: dict[str, str] = {}


def _shared(s: str) -> str:
    """One object for each of the few distinct departments, items, units and officers (memory at 10⁶
    rows)."""
    if len(_SHARED) > 100_000:
        _SHARED.clear()
    return _SHARED.setdefault(s, s)


def sniff(head: str) -> str:
    """'jsonl' or 'csv' from the first non-empty line; anything else is refused."""
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if first.lstrip().startswith("{"):
        return "jsonl"
    if "," in first and "case_id" in first:
        return "csv"
    raise CaseFormatError(
        "not JSON lines (one object per line) or CSV with a header naming case_id, department, item …",
        field="cases",
    )


def raw_rows(lines: Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, raw dict or why the line cannot be read)."""
    if fmt == "jsonl":
        try:
            import orjson

            loads = orjson.loads
        except ImportError:  # pragma: no cover
            loads = json.loads
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = loads(line)
            except ValueError as e:
                yield n, f"not JSON: {e}"
                continue
            yield (n, obj) if isinstance(obj, dict) else (n, "a line must be a JSON object")
        return
    reader = csv.DictReader(lines)
    for n, raw in enumerate(reader, 2):
        if None in raw or any(v is None for v in raw.values()):
            yield n, "wrong number of columns"
            continue
        row: dict[str, Any] = dict(raw)
        try:
            row["facts"] = json.loads(raw.get("facts") or "{}")
        except json.JSONDecodeError as e:
            yield n, f"facts: not JSON: {e.msg}"
            continue
        row["penalties"] = [p for p in (raw.get("penalties") or "").split(";") if p]  # CSV: ';'-separated
        yield n, row


def read_cases(source: Path | str, *, text: str | None = None) -> ReadResult:
    """Read and check every row of a file (or of `text`); never stops at a bad row."""
    if text is None:
        with open(source, encoding="utf-8") as fh:
            head = fh.read(65536)
        fmt = sniff(head)
        fh2 = open(source, encoding="utf-8", newline="")  # noqa: SIM115 - read lazily, closed in finally
        lines: Iterable[str] = fh2
        if fmt == "jsonl":
            # in bulk: one read, one split (the same lines unless a lone \r breaks one)
            whole = fh2.read()
            lines = whole.split("\n") if "\r" not in whole else io.StringIO(whole, newline="")
            del whole
    else:
        fmt = sniff(text[:65536])
        fh2 = None
        lines = io.StringIO(text, newline="")
    out = ReadResult()
    seen: dict[str, DecidedRow] = {}
    try:
        with cyclic_gc_paused():
            for n, raw in raw_rows(lines, fmt):
                if isinstance(raw, str):
                    out.rejected.append(Rejected(n, None, raw))
                    continue
                try:
                    row = to_row(n, raw)
                except ValueError as e:
                    out.rejected.append(Rejected(n, str(raw.get("case_id") or "") or None, str(e)))
                    continue
                prior = seen.get(row.case_id)
                if prior is not None:
                    same = (
                        prior.department,
                        prior.item,
                        prior.facts,
                        prior.act_date,
                        prior.decision_date,
                        prior.unit,
                        prior.officer,
                        prior.outcome,
                        prior.fine,
                        prior.penalties,
                    ) == (
                        row.department,
                        row.item,
                        row.facts,
                        row.act_date,
                        row.decision_date,
                        row.unit,
                        row.officer,
                        row.outcome,
                        row.fine,
                        row.penalties,
                    )
                    if not same:
                        out.rejected.append(
                            Rejected(
                                n,
                                row.case_id,
                                f"case_id: repeats line {prior.line} with different content",
                            )
                        )
                    continue
                seen[row.case_id] = row
                out.rows.append(row)
    finally:
        if fh2 is not None:
            fh2.close()
    return out

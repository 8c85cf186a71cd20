"""The checks of one field of the decided-case format, and the order a row's checks run in.

A row is refused with the reason of its first failing check, in `CHECKS` order: the same reason
whether rows are checked one by one or column by column (table.py checks each distinct value once).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from decimal import Decimal, InvalidOperation
from typing import Any
from collections.abc import Iterator

from ..money import FEN

OUTCOMES = ("no_penalty", "exemption", "penalty")

#: the columns of a decided case, in the order of the import format (JSON lines keys, CSV header)
COLUMNS = (
    "case_id",
    "department",
    "item",
    "facts",
    "act_date",
    "decision_date",
    "unit",
    "officer",
    "outcome",
    "fine",
    "penalties",
)

#: the order of a row's checks; a row's reason is its first failing one
CHECKS = (
    "case_id missing",
    "department missing",
    "item missing",
    "act_date missing",
    "decision_date missing",
    "outcome missing",
    "facts",
    "outcome",
    "act_date",
    "decision_date",
    "date order",
    "penalties",
    "fine",
)
ORDER = {name: i for i, name in enumerate(CHECKS)}


class Refused(ValueError):
    """A field's value is refused: `order` is its check's place in CHECKS."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(reason)
        self.order = ORDER[check]


def is_missing(v: Any) -> bool:
    return v is None or v == ""


def present(name: str, v: Any) -> Any:
    """A required field's value; missing (absent, null or "") is refused."""
    if is_missing(v):
        raise Refused(f"{name} missing", f"{name}: missing")
    return v


def date(v: Any, name: str) -> dt.date:
    """A YYYY-MM-DD date (or a date already)."""
    if isinstance(v, dt.date):
        return v
    if not isinstance(v, str):
        raise Refused(name, f"{name}: not a date")
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise Refused(name, f"{name}: {v!r} is not a date (YYYY-MM-DD)") from None


def outcome(v: Any) -> int:
    """The outcome's index in OUTCOMES."""
    if v not in OUTCOMES:
        raise Refused("outcome", f"outcome: {v!r} is not one of no_penalty, exemption, penalty")
    return OUTCOMES.index(v)


def penalties(v: Any) -> tuple[str, ...]:
    """A list of penalty names, sorted (absent or empty: none)."""
    v = v or ()
    if not isinstance(v, (list, tuple)) or not all(isinstance(p, str) for p in v):
        raise Refused("penalties", "penalties: must be a list of strings")
    return tuple(sorted(v)) if v else ()


def fine(v: Any) -> Decimal | None:
    """An amount in yuan with at most two decimals, or None."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise Refused("fine", "fine: not a number")
    try:
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(str(v))
    except InvalidOperation:
        raise Refused("fine", f"fine: {v!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise Refused("fine", f"fine: {v!r} is not an amount")
    if d != d.quantize(FEN):
        raise Refused("fine", "fine: at most two decimals")
    return d


def csv_records(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record) of a CSV reader past its header (line 1), numbered as records; a
    malformed record (a stray carriage return, a NUL byte) ends it with (its number, the reason):
    csv cannot go on."""
    rows = iter(reader)
    for n in itertools.count(2):
        try:
            yield n, next(rows)
        except StopIteration:
            return
        except csv.Error as e:
            yield n, f"not CSV: {e}"
            return

"""Path and query parameters, each bounded and validated before a route runs: a bad value is a 422
naming the parameter, never a 500 from the database or from date arithmetic.

Why one module: a query value reaches SQL as a bound parameter, and the store refuses what its
columns cannot hold — an integer beyond SQLite's 64 bits or PostgreSQL's `integer`, a naive
datetime compared with an aware column, a date whose conversion to UTC leaves the calendar. Every
route declares its parameters with these types, and tests/test_hardening_params.py walks the
OpenAPI document so that a new parameter without a bound fails the suite.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from discretion.bounds import MAX_DATE, MIN_DATE, check_date

#: codes of departments, versions and items, as the ruleset language allows them
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
#: ids the service makes (keys, sweeps, jobs, webhooks): short and plain
RECORD_ID_PATTERN = r"^[A-Za-z0-9_\-]+$"
#: the largest row id the store holds (PostgreSQL `integer` primary keys)
MAX_ROW_ID = 2**31 - 1
#: free text a filter compares with a column (units, officers, actors): the widest such column
MAX_FILTER_TEXT = 200


def _instant(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime in the store's calendar (a naive one is read as UTC, as the log records)."""
    check_date(value.date(), what="datetime")  # 1900 … 2999: a UTC offset cannot push it off the calendar
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


BoundedDate = Annotated[dt.date, AfterValidator(check_date)]
BoundedInstant = Annotated[dt.datetime, AfterValidator(_instant)]

# ------------------------------------------------------------------ path parameters

DepartmentPath = Annotated[str, Path(min_length=1, max_length=64, pattern=CODE_PATTERN)]
VersionPath = Annotated[str, Path(min_length=1, max_length=32, pattern=CODE_PATTERN)]
ItemPath = Annotated[str, Path(min_length=1, max_length=64, pattern=CODE_PATTERN)]
RecordIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=RECORD_ID_PATTERN)]
CaseIdPath = Annotated[str, Path(min_length=1, max_length=128)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# ------------------------------------------------------------------ query parameters

DepartmentQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=CODE_PATTERN)]
AgainstQuery = Annotated[
    str, Query(min_length=1, max_length=32, pattern=CODE_PATTERN, description="the version to compare with")
]
FilterText = Annotated[str | None, Query(max_length=MAX_FILTER_TEXT)]
ShortText = Annotated[str | None, Query(max_length=64)]
AfterId = Annotated[int | None, Query(ge=0, le=MAX_ROW_ID, description="the last id of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]
DateFrom = Annotated[BoundedDate | None, Query(description=f"{MIN_DATE} … {MAX_DATE}")]
InstantQuery = Annotated[
    BoundedInstant | None,
    Query(description=f"ISO 8601 date-time, {MIN_DATE.year} … {MAX_DATE.year}; without an offset it is UTC"),
]

# ------------------------------------------------------------------ a table import's parameters

_REF = r"[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*"
#: a ruleset, `department/version`
REF_PATTERN = f"^{_REF}$"
#: one or more rulesets a draft extends, comma-separated
EXTENDS_PATTERN = f"^{_REF}(,{_REF})*$"
DepartmentParam = Annotated[str, Query(min_length=1, max_length=64, pattern=CODE_PATTERN)]
VersionParam = Annotated[str, Query(min_length=1, max_length=32, pattern=CODE_PATTERN)]
ExtendsQuery = Annotated[
    str | None,
    Query(
        max_length=400,
        pattern=EXTENDS_PATTERN,
        description="the published rulesets the draft extends, comma-separated (e.g. general/2021)",
    ),
]

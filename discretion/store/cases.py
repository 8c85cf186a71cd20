"""Importing decided cases (JSON lines or CSV) in batches: each batch one transaction,
idempotent by case id; every row is accepted, a duplicate, or rejected with its reason.

Format (one case per line or row): case_id, department, item, facts (object; in CSV a JSON
column), act_date, decision_date, unit, officer, outcome (no_penalty | exemption | penalty),
fine (yuan, empty if none), penalties (list; in CSV separated by ';').
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from decimal import Decimal
from typing import Any, Literal
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator, model_validator
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..bounds import MAX_MONEY, check_date, check_text
from ..cases.fields import COLUMNS, csv_records
from ..errors import DiscretionError, RulesetDefect
from ..evaluation import EvaluationRequest, evaluate
from ..loader import RulesetLibrary
from ..money import to_money
from .tables import DecidedCase, utcnow


class DecidedCaseIn(BaseModel):
    """One decided case as imported (also the body of a JSON line)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)  # numeric ids are common in exports

    case_id: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=64)
    item: str = Field(min_length=1, max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict)
    act_date: dt.date
    decision_date: dt.date
    unit: str = Field(default="", max_length=200, description="执法机构或镇街")
    officer: str = Field(default="", max_length=200)
    outcome: Literal["no_penalty", "exemption", "penalty"]
    fine: Decimal | None = Field(default=None, ge=0, le=MAX_MONEY, max_digits=18, decimal_places=2)
    penalties: list[StrictStr] = Field(default_factory=list, description="罚款以外的处罚与措施")

    @field_validator("fine", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        if v is None or v == "":
            return None
        # a float is read by its shortest text (8000.5 → 8000.50); bounded before pydantic's arithmetic
        return to_money(repr(v) if isinstance(v, float) else v, field="fine")

    @field_validator("case_id", "department", "item", "unit", "officer")
    @classmethod
    def _storable(cls, v: str) -> str:
        return check_text(v)

    @field_validator("penalties")
    @classmethod
    def _storable_list(cls, v: list[str]) -> list[str]:
        return [check_text(p) for p in v]

    @field_validator("act_date", "decision_date")
    @classmethod
    def _bounded(cls, v: dt.date) -> dt.date:
        return check_date(v)

    @model_validator(mode="after")
    def _dates(self) -> DecidedCaseIn:
        if self.decision_date < self.act_date:
            raise ValueError("decision_date is before act_date")
        return self

    def content_hash(self) -> str:
        doc = self.model_dump(mode="json")
        return hashlib.sha256(
            json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()


class Rejection(BaseModel):
    line: int
    case_id: str | None = None
    reason: str


class ImportReport(BaseModel):
    """What an import did: counts, and every rejected row with its line and reason."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    batches: int = 0


CSV_COLUMNS = COLUMNS
REQUIRED_CSV = ("case_id", "department", "item", "facts", "act_date", "decision_date", "outcome")


class FormatError(DiscretionError):
    """The input is not JSON lines or CSV of decided cases at all."""


def parse_rows(data: str, fmt: Literal["jsonl", "csv"]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row dict or the reason it cannot be read)."""
    if fmt == "jsonl":
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as e:
                yield n, f"not JSON: {e.msg}"
                continue
            except (RecursionError, ValueError):  # nested too deep, or an integer of thousands of digits
                yield n, "not JSON this service reads: nested too deep or a number too long"
                continue
            yield (n, row) if isinstance(row, dict) else (n, "a line must be a JSON object")
        return
    reader = csv.DictReader(io.StringIO(data, newline=""))  # the csv module reads line ends itself
    try:
        header = reader.fieldnames or []
    except csv.Error as e:
        raise FormatError(f"not CSV: {e}", field="header") from None
    missing = [c for c in REQUIRED_CSV if c not in header]
    if missing:
        raise FormatError(f"CSV header lacks columns: {', '.join(missing)}", field="header")
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise FormatError(f"CSV header has unknown columns: {', '.join(unknown)}", field="header")
    for n, raw in csv_records(reader):
        if isinstance(raw, str):
            yield n, raw
            return
        if None in raw or any(v is None for k, v in raw.items() if k in REQUIRED_CSV):
            yield n, "wrong number of columns"
            continue
        row = {k: v for k, v in raw.items() if v != "" or k in REQUIRED_CSV}  # (row: Any, from the JSON branch)
        try:
            row["facts"] = json.loads(raw["facts"] or "{}", parse_float=Decimal)
        except json.JSONDecodeError as e:
            yield n, f"facts: not JSON: {e.msg}"
            continue
        except (RecursionError, ValueError):
            yield n, "facts: nested too deep or a number too long"
            continue
        if "penalties" in row:
            row["penalties"] = [p for p in row["penalties"].split(";") if p]
        yield n, row


def check_case(case: DecidedCaseIn, library: RulesetLibrary | None) -> str | None:
    """Why a case cannot be stored, or None.

    The check is the evaluator itself (the version in force on the act date, and on the decision
    date under 第三十七条): a stored row is one every later report can evaluate. A gap in the
    ruleset (RulesetDefect) is the ruleset's fault, not the row's: such a row is stored and the
    sweep reports the defect."""
    if library is None:
        return None
    try:
        evaluate(
            library,
            EvaluationRequest(
                department=case.department,
                item=case.item,
                facts=case.facts,
                act_date=case.act_date,
                decision_date=case.decision_date,
            ),
        )
    except RulesetDefect:
        return None
    except DiscretionError as e:
        return str(e)
    except ValidationError as e:
        return _reason(e)
    except (ArithmeticError, ValueError, TypeError, RecursionError) as e:  # never expected: refuse the row
        return f"facts: cannot be evaluated ({type(e).__name__})"
    return None


def _reason(e: ValidationError) -> str:
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}" if loc else err["msg"]


def import_cases(
    engine: Engine,
    rows: Iterable[tuple[int, dict[str, Any] | str]],
    library: RulesetLibrary | None,
    *,
    batch_size: int = 1000,
) -> ImportReport:
    """Validate and store rows batch by batch; a crash loses at most the batch in flight."""
    report = ImportReport()
    batch: list[tuple[int, DecidedCaseIn, str]] = []  # (line, case, content hash)
    seen: dict[str, str] = {}

    def flush() -> None:
        if not batch:
            return
        for attempt in (1, 2):  # a concurrent import may insert the same ids first: re-read and retry once
            accepted, duplicates, rejected = 0, 0, []
            try:
                with Session(engine) as session, session.begin():
                    ids = [c.case_id for _, c, _ in batch]
                    hashes = select(DecidedCase.case_id, DecidedCase.content_hash).where(
                        col(DecidedCase.case_id).in_(ids)
                    )
                    stored = dict(session.exec(hashes).all())
                    batch_id = uuid.uuid4().hex
                    now = utcnow()
                    fresh: list[dict[str, Any]] = []
                    for line, case, h in batch:
                        if case.case_id in stored:
                            if stored[case.case_id] == h:
                                duplicates += 1
                            else:
                                rejected.append(
                                    Rejection(
                                        line=line,
                                        case_id=case.case_id,
                                        reason="case_id: already stored with different content",
                                    )
                                )
                            continue
                        fresh.append({**case.model_dump(), "content_hash": h, "batch_id": batch_id, "imported_at": now})
                        stored[case.case_id] = h
                        accepted += 1
                    if fresh:  # one executemany, not an ORM object per row (a third of the import's time)
                        session.execute(insert(DecidedCase), fresh)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            break
        report.accepted += accepted
        report.duplicates += duplicates
        report.rejected.extend(rejected)
        report.batches += 1
        batch.clear()

    for line, row in rows:
        if isinstance(row, str):
            report.rejected.append(Rejection(line=line, reason=row))
            continue
        try:
            case = DecidedCaseIn.model_validate(row)
        except ValidationError as e:
            report.rejected.append(
                Rejection(line=line, case_id=str(row.get("case_id") or "") or None, reason=_reason(e))
            )
            continue
        why = check_case(case, library)
        if why is not None:
            report.rejected.append(Rejection(line=line, case_id=case.case_id, reason=why))
            continue
        h = case.content_hash()
        if case.case_id in seen:  # repeated within this import
            if seen[case.case_id] == h:
                report.duplicates += 1
            else:
                report.rejected.append(
                    Rejection(
                        line=line,
                        case_id=case.case_id,
                        reason="case_id: repeated in this import with different content",
                    )
                )
            continue
        seen[case.case_id] = h
        batch.append((line, case, h))
        if len(batch) >= batch_size:
            flush()
    flush()
    return report

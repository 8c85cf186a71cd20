"""Decided cases from JSON lines or CSV into a CaseTable; bad rows are kept with line and reason.

Same format as the store's import (discretion.store.cases): case_id, department, item, facts,
act_date, decision_date, unit, officer, outcome, fine, penalties. JSON lines are decoded by msgspec
into a small struct whose facts and penalties stay raw JSON text (bytes): nothing per case is kept
but codes, and each distinct facts text is parsed only when its item is swept.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Iterator

import msgspec
import numpy as np
import orjson

from ..errors import DiscretionError
from .fields import COLUMNS, csv_records
from .table import CaseTable, Rejected, TableBuilder

FORMAT = COLUMNS  # the import format, read in this order
CHUNK = 16384  # rows checked column-wise at a time
BLOCK = 1 << 24  # bytes read at a time
HALVES_FROM = 64 << 20  # a JSON-lines file this large is read by two processes


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small, acyclic objects are made:
    at 10⁶ cases its repeated rescans cost more than the work itself. Reference counting still
    frees."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            # what was made meanwhile goes straight to the oldest generation: re-enabled as it is,
            # the collector's next young-generation pass would first walk every object made while
            # paused
            gc.freeze()
            gc.unfreeze()
            gc.enable()


class CaseFormatError(DiscretionError):
    """The input is not JSON lines or CSV of decided cases at all."""


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


_NO_FACTS = msgspec.Raw(b"{}")
_NULL = msgspec.Raw(b"null")


class _Line(msgspec.Struct, gc=False):
    """One JSON line as decoded: any JSON value per field (checked later, column-wise); facts and
    penalties as their raw JSON text."""

    case_id: Any = None
    department: Any = None
    item: Any = None
    facts: msgspec.Raw = _NO_FACTS
    act_date: Any = None
    decision_date: Any = None
    unit: Any = None
    officer: Any = None
    outcome: Any = None
    fine: Any = None
    penalties: msgspec.Raw = _NULL


_decode = msgspec.json.Decoder(_Line).decode


def _slow_line(line: bytes) -> _Line | str:
    """A line msgspec would not decode into _Line: the row from orjson, or why it cannot be read."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        return f"not JSON: {e}"
    if not isinstance(obj, dict):
        return "a line must be a JSON object"
    raw = {k: obj[k] for k in FORMAT if k in obj}
    for k in ("facts", "penalties"):
        if k in raw:
            raw[k] = msgspec.Raw(orjson.dumps(raw[k]))
    return _Line(**raw)


def _json_chunk(builder: TableBuilder, lines: list[bytes], start: int) -> None:
    """Decode a chunk of JSON lines (line numbers from `start`) and add it to the table."""
    try:
        rows = list(map(_decode, lines))
        numbers = np.arange(start, start + len(lines), dtype=np.int64)
    except (msgspec.DecodeError, UnicodeDecodeError):
        rows, kept = [], []
        for n, line in enumerate(lines, start):
            if not line.strip():
                continue
            try:
                row: _Line | str = _decode(line)
            except (msgspec.DecodeError, UnicodeDecodeError):
                row = _slow_line(line)
            if isinstance(row, str):
                builder.rejected.append(Rejected(n, None, row))
                continue
            rows.append(row)
            kept.append(n)
        numbers = np.asarray(kept, dtype=np.int64)
    if not rows:
        return
    columns = {k: list(map(attrgetter(k), rows)) for k in FORMAT}  # faster than one getter and zip(*)
    columns["facts"] = list(map(bytes, columns["facts"]))
    columns["penalties"] = list(map(bytes, columns["penalties"]))
    builder.add(numbers, columns)


def _facts_object(text: bytes) -> bool:
    """A facts text (valid JSON: its line was decoded) is an object iff it is one to orjson."""
    try:
        return isinstance(orjson.loads(text), dict)
    except orjson.JSONDecodeError:
        return False


def _json_lines(blocks: Iterable[bytes], first_line: int = 1) -> CaseTable:
    builder = TableBuilder(orjson.loads, facts_object=_facts_object, penalties_loads=orjson.loads)
    carry, n = b"", first_line
    pending: list[bytes] = []

    def flush(final: bool = False) -> None:
        nonlocal pending, n
        at = 0
        while len(pending) - at >= CHUNK or (final and at < len(pending)):
            chunk = pending[at : at + CHUNK]
            _json_chunk(builder, chunk, n)
            n += len(chunk)
            at += len(chunk)
        del pending[:at]

    for block in blocks:
        data = carry + block
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        part, carry = data[: cut + 1], data[cut + 1 :]
        # a lone \r ends a line too (as in universal-newline reading)
        pending.extend(part.splitlines() if b"\r" in part else part[:-1].split(b"\n"))
        flush()
    if carry:
        pending.extend(carry.splitlines() if b"\r" in carry else [carry])
    flush(final=True)
    return builder.table()


def _csv_rows(lines: Iterable[str]) -> CaseTable:
    """CSV (header naming the fields; facts a JSON column, penalties separated by ';'), row by
    row."""
    builder = TableBuilder(json.loads, penalties_loads=lambda s: [p for p in (s or "").split(";") if p])
    facts_ok: dict[str, str | None] = {}
    rows: list[tuple[Any, ...]] = []
    numbers: list[int] = []

    def flush() -> None:
        if rows:
            builder.add(
                np.asarray(numbers, dtype=np.int64),
                dict(zip(FORMAT, map(list, zip(*rows, strict=True)), strict=True)),
            )
            rows.clear()
            numbers.clear()

    for n, raw in csv_records(csv.DictReader(lines)):
        if isinstance(raw, str):
            builder.rejected.append(Rejected(n, None, raw))
            break
        if None in raw or any(v is None for v in raw.values()):
            builder.rejected.append(Rejected(n, None, "wrong number of columns"))
            continue
        facts = raw.get("facts") or "{}"
        bad = facts_ok.get(facts, "")
        if bad == "":
            try:
                json.loads(facts)
                bad = facts_ok[facts] = None
            except json.JSONDecodeError as e:
                bad = facts_ok[facts] = f"facts: not JSON: {e.msg}"
        if bad is not None:
            builder.rejected.append(Rejected(n, None, bad))
            continue
        rows.append(tuple(facts if k == "facts" else raw.get(k) for k in FORMAT))
        numbers.append(n)
        if len(rows) >= CHUNK:
            flush()
    flush()
    return builder.table()


def _blocks(fh: Any, end: int | None = None) -> Iterator[bytes]:
    """The file's bytes from where it stands up to `end` (or its end), a block at a time."""
    while block := fh.read(BLOCK if end is None else min(BLOCK, end - fh.tell())):
        yield block


def _range(source: Path | str, start: int, end: int | None, first_line: int) -> CaseTable:
    """The JSON lines in bytes [start, end) of a file, numbered from first_line."""
    with cyclic_gc_paused(), open(source, "rb") as fh:
        fh.seek(start)
        return _json_lines(_blocks(fh, end), first_line)


def _json_lines_in_halves(source: Path | str) -> CaseTable | None:
    """A large JSON-lines file read by two processes, one half each, and joined; None where that is
    not the same as reading it in one pass (a lone \r among the first half's line ends, or a case id
    in both halves: both need the first half's rows in order)."""
    size = os.path.getsize(source)
    with open(source, "rb") as fh:
        fh.seek(size // 2)
        fh.readline()
        split = fh.tell()
        if split >= size:
            return None
        fh.seek(0)
        lines = 0
        for block in _blocks(fh, split):
            if b"\r" in block:
                return None
            lines += block.count(b"\n")
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        second = pool.submit(_range, source, split, None, lines + 1)
        first = _range(source, 0, split, 1)
        return first.join(second.result())


def read_cases(source: Path | str, *, text: str | None = None, halves: bool | None = None) -> CaseTable:
    """Read and check every row of a file (or of `text`); never stops at a bad row.

    A JSON-lines file of HALVES_FROM bytes or more is read in two processes where there are two
    cores (`halves` forces it on or off)."""
    if (
        text is None
        and halves is not False
        and sniff_file(source) == "jsonl"
        and (halves or ((os.cpu_count() or 1) > 1 and os.path.getsize(source) >= HALVES_FROM))
    ):
        got = _json_lines_in_halves(source)
        if got is not None:
            return got
    return _read(source, text)


def sniff_file(source: Path | str) -> str:
    with open(source, "rb") as fh:
        return sniff(fh.read(65536).decode("utf-8", errors="replace"))


def _read(source: Path | str, text: str | None) -> CaseTable:
    """In one pass."""
    with cyclic_gc_paused():
        if text is not None:
            if sniff(text[:65536]) == "jsonl":
                return _json_lines([text.encode("utf-8")])
            return _csv_rows(io.StringIO(text, newline=""))
        fmt = sniff_file(source)
        if fmt == "jsonl":
            with open(source, "rb") as fh:
                return _json_lines(_blocks(fh))
        with open(source, encoding="utf-8", newline="") as fh2:
            return _csv_rows(fh2)

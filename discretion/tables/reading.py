"""Reading published tables (.docx, .xlsx, .csv) into grids of positioned cells.

Every cell keeps its table, row and column (1-based, as a reviewer counts them in the
document) and, where a merge covers it, the position of the merge's origin, so that a
violation spanning tier rows through merged cells or blank repeats can be followed and a
merge that spans two violations can be named. Input is bounded before work starts: file
size, rows, cells and characters per cell; .xlsx is streamed (read_only) and its merged
ranges are read from the sheet XML with defusedxml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from ..errors import DiscretionError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELLS = 600_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 20_000

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TableImportError(DiscretionError):
    """A file cannot be read as a benchmark table at all (CLI exit 2): names the file or position."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid position of a table: its text, and the origin of the merge covering it, if any."""

    table: int
    row: int
    col: int
    text: str
    origin: tuple[int, int] | None = None  # (row, col) of the merge this position continues

    @property
    def where(self) -> str:
        return f"表{self.table} 第{self.row}行 第{self.col}列"


@dataclass
class RawTable:
    """A table as it appears in the document: caption (text above it, or the sheet name) and rows."""

    index: int
    caption: str
    rows: list[list[Cell]]


@dataclass
class RawDocument:
    """All tables of one file, and its running text (for the full titles short citations refer to)."""

    path: str
    kind: str
    tables: list[RawTable]
    text: list[str] = field(default_factory=list)


def read_document(path: Path, *, max_rows: int = MAX_ROWS) -> RawDocument:
    """Read a .docx, .xlsx or .csv file; TableImportError for anything that is not a readable table."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        raise TableImportError(f"cannot read: {e.strerror}", field=str(path)) from None
    if size > MAX_BYTES:
        raise TableImportError(f"file of {size} bytes exceeds the limit of {MAX_BYTES}", field=str(path))
    suffix = path.suffix.lower()
    if head.startswith(_OLE):
        raise TableImportError(
            "password-protected (encrypted) or legacy .doc/.xls file: save it as an unprotected .docx/.xlsx first",
            field=str(path),
        )
    if suffix in (".docx", ".xlsx"):
        if not head.startswith(_ZIP) or not zipfile.is_zipfile(path):
            raise TableImportError(f"not a {suffix} file (corrupt or another format)", field=str(path))
        _check_zip(path)
        reader = _read_docx if suffix == ".docx" else _read_xlsx
        try:
            doc = reader(path, max_rows)
        except TableImportError:
            raise
        except Exception as e:  # noqa: BLE001 - a corrupt package can fail anywhere inside the library
            raise TableImportError(f"corrupt {suffix} file: {type(e).__name__}: {e}", field=str(path)) from None
    elif suffix == ".csv":
        doc = _read_csv(path, max_rows)
    else:
        raise TableImportError("unsupported file type: give a .docx, .xlsx or .csv file", field=str(path))
    if not any(t.rows for t in doc.tables):
        raise TableImportError("no table in the file", field=str(path))
    return doc


def _check_zip(path: Path) -> None:
    """Refuse a zip whose members would expand beyond a bound (zip bomb)."""
    with zipfile.ZipFile(path) as z:
        total = sum(i.file_size for i in z.infolist())
    if total > 8 * MAX_BYTES:
        raise TableImportError(f"unpacks to {total} bytes, over the limit of {8 * MAX_BYTES}", field=str(path))


class _Limits:
    def __init__(self, path: Path, max_rows: int) -> None:
        self.path, self.max_rows, self.rows, self.cells = str(path), max_rows, 0, 0

    def row(self, table: int, n_cells: int) -> None:
        self.rows += 1
        self.cells += n_cells
        if self.rows > self.max_rows:
            raise TableImportError(
                f"more than {self.max_rows} rows: split the file or raise --max-rows",
                field=f"{self.path}: 表{table}",
            )
        if self.cells > MAX_CELLS:
            raise TableImportError(f"more than {MAX_CELLS} cells", field=f"{self.path}: 表{table}")
        if n_cells > MAX_COLUMNS:
            raise TableImportError(
                f"a row of {n_cells} columns (at most {MAX_COLUMNS})",
                field=f"{self.path}: 表{table}",
            )

    def text(self, cell: Cell) -> None:
        if len(cell.text) > MAX_CELL_CHARS:
            raise TableImportError(
                f"a cell of {len(cell.text)} characters (at most {MAX_CELL_CHARS})",
                field=f"{self.path}: {cell.where}",
            )


def clean(text: str) -> str:
    """Cell text as written, with layout whitespace trimmed (line breaks inside a cell kept)."""
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", ln).strip() for ln in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln)


# ---------------------------------------------------------------- .docx


def _read_docx(path: Path, max_rows: int) -> RawDocument:
    from docx import Document
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph

    document = Document(str(path))
    body = document.element.body
    limits = _Limits(path, max_rows)
    tables: list[RawTable] = []
    text: list[str] = []
    recent: list[str] = []
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            t = clean(Paragraph(child, document).text)
            if t:
                text.append(t)
                recent = [*recent[-2:], t]
        elif tag == "tbl":
            index = len(tables) + 1
            rows: list[list[Cell]] = []
            above: dict[int, tuple[int, int]] = {}  # column → origin of a vertical merge running down it
            for r, tr in enumerate(child.iterchildren("{*}tr"), start=1):
                out: list[Cell] = []
                col = 1 + _grid_before(tr)
                for tc in tr.iterchildren("{*}tc"):
                    span = max(1, int(tc.grid_span or 1))
                    vmerge = tc.vMerge
                    content = clean(_Cell(tc, document).text)  # type: ignore[arg-type]  # parent: a back-reference .text never reads
                    if vmerge == "continue" and col in above:
                        origin = above[col]
                        cell = Cell(index, r, col, "", origin)
                    else:
                        origin = (r, col)
                        cell = Cell(index, r, col, content)
                        if vmerge == "restart":
                            for c in range(col, col + span):
                                above[c] = origin
                        else:
                            for c in range(col, col + span):
                                above.pop(c, None)
                    limits.text(cell)
                    out.append(cell)
                    for extra in range(1, span):
                        out.append(Cell(index, r, col + extra, "", cell.origin or (r, col)))
                    col += span
                limits.row(index, len(out))
                rows.append(out)
            tables.append(RawTable(index, " ".join(recent), rows))
            recent = []
    return RawDocument(str(path), "docx", tables, text)


def _grid_before(tr: Any) -> int:
    try:
        return int(tr.grid_before or 0)
    except (AttributeError, ValueError):
        return 0


# ---------------------------------------------------------------- .xlsx


def _read_xlsx(path: Path, max_rows: int) -> RawDocument:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    limits = _Limits(path, max_rows)
    merges = _xlsx_merges(path)
    tables: list[RawTable] = []
    try:
        for sheet_index, ws in enumerate(workbook.worksheets):
            index = len(tables) + 1
            covered = _covered(merges.get(sheet_index, []))
            rows: list[list[Cell]] = []
            for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
                out: list[Cell] = []
                last = max((i for i, v in enumerate(values) if v not in (None, "")), default=-1)
                width = max(last + 1, max((c for (rr, c) in covered if rr == r), default=0))
                for c in range(1, width + 1):
                    v = values[c - 1] if c - 1 < len(values) else None
                    origin = covered.get((r, c))
                    cell = Cell(index, r, c, _xlsx_text(v), origin)
                    limits.text(cell)
                    out.append(cell)
                limits.row(index, len(out))
                rows.append(out)
            while rows and not any(c.text for c in rows[-1]):
                rows.pop()
            tables.append(RawTable(index, ws.title, rows))
    finally:
        workbook.close()
    return RawDocument(str(path), "xlsx", tables, [])


def _xlsx_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        d = Decimal(repr(v))
        return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else format(d.normalize(), "f")
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    return clean(str(v))


def _xlsx_merges(path: Path) -> dict[int, list[str]]:
    """Merged ranges per sheet (0-based, workbook order), read from the sheet XML (read_only hides them)."""
    from defusedxml import ElementTree as SafeET

    out: dict[int, list[str]] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wb = SafeET.fromstring(z.read("xl/workbook.xml"))
        rels = (
            SafeET.fromstring(z.read("xl/_rels/workbook.xml.rels")) if "xl/_rels/workbook.xml.rels" in names else None
        )
        targets = {r.get("Id"): r.get("Target", "") for r in (rels if rels is not None else [])}
        sheets = [s for s in wb.iter() if s.tag.endswith("}sheet")]
        for i, s in enumerate(sheets):
            rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member not in names:
                continue
            refs: list[str] = []
            with z.open(member) as f:
                for _, el in SafeET.iterparse(f, events=("end",)):
                    if el.tag.endswith("}mergeCell"):
                        refs.append(el.get("ref", ""))
                    if el.tag.endswith("}row"):
                        el.clear()
            out[i] = refs
    return out


def _covered(refs: list[str]) -> dict[tuple[int, int], tuple[int, int]]:
    from openpyxl.utils.cell import range_boundaries

    covered: dict[tuple[int, int], tuple[int, int]] = {}
    for ref in refs:
        try:
            c1, r1, c2, r2 = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_CELLS:
            raise TableImportError(f"merged range {ref} is too large")
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    covered[(r, c)] = (r1, c1)
    return covered


# ---------------------------------------------------------------- .csv


def _read_csv(path: Path, max_rows: int) -> RawDocument:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableImportError("not a text file (neither UTF-8 nor GB18030)", field=str(path))
    if "\x00" in text:
        raise TableImportError("not a text file (binary content)", field=str(path))
    limits = _Limits(path, max_rows)
    rows: list[list[Cell]] = []
    r = 0
    try:
        for r, values in enumerate(_csv_rows(text), start=1):
            out = [Cell(1, r, c, clean(v)) for c, v in enumerate(values, start=1)]
            for cell in out:
                limits.text(cell)
            limits.row(1, len(out))
            rows.append(out)
    except csv.Error as e:  # raised reading the row after the last one read
        why = f"a cell of more than {MAX_CELL_CHARS} characters" if "field limit" in str(e) else f"not a CSV table: {e}"
        raise TableImportError(why, field=f"{path}: 表1 第{r + 1}行") from None
    return RawDocument(str(path), "csv", [RawTable(1, path.stem, rows)], [])


def _csv_rows(text: str) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    yield from csv.reader(io.StringIO(text))

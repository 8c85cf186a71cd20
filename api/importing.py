"""`discretion import` in the service: a published benchmark table (.docx, .xlsx, .csv) uploaded on the
reviewer's page (/review/import) or to the API (POST /v1/rulesets/import) becomes a draft ruleset and its
import report, exactly as the CLI makes them (discretion.tables.import_read).

Why here, apart from the page and the route: both need the same bounds and the same work. The file is
bounded before it is read (MAX_UPLOAD: the importer's own limit, never more than a request body may
be), its kind is known before any work (suffix, content type, or its first bytes), and the import runs
through api/review.py: in a child process when the database can be opened there (the importer is
seconds of CPU-bound Python on a large table), else in a heavy worker thread; admission, queue and
503 are the heavy pool's. What the draft extends is read from the store's published versions (what
the draft will be compiled against when it is uploaded), not from files.
"""

from __future__ import annotations

import logging

import tempfile
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from discretion.settings import load_settings
from discretion.store import lifecycle
from discretion.tables import import_read
from discretion.tables.reading import _OLE, _ZIP, MAX_BYTES, TableImportError
from discretion.tables.report import report_dict

#: the largest table file the service reads (the importer's limit, within the request body's)
_log = logging.getLogger(__name__)

MAX_UPLOAD = min(MAX_BYTES, load_settings().max_body)
#: the suffixes the importer reads
SUFFIXES = (".docx", ".xlsx", ".csv")
#: at most this many rulesets extended
MAX_EXTENDS = 8
#: what a `Content-Type` says about a body's kind
CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/csv": ".csv",
}


@dataclass
class Imported:
    """A draft made from an uploaded table: its YAML and its import report (report_dict's fields)."""

    draft: str
    cells: int
    structured: int
    share: float
    markers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


def suffix_of(name: str) -> str | None:
    """The importer's suffix of a file name (case ignored), or None for any other."""
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return suffix if suffix in SUFFIXES else None


def sniff(data: bytes) -> str | None:
    """A body's kind by its first bytes: an Office package by the part it holds, else text is CSV."""
    if data.startswith(_OLE):
        return ".xlsx"  # an encrypted package: the reader names it, whatever its kind
    if data.startswith(_ZIP):
        try:
            with zipfile.ZipFile(BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return ".xlsx"  # a damaged package: the reader says so
        if "word/document.xml" in names:
            return ".docx"
        return ".xlsx" if "xl/workbook.xml" in names else None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data[:4096].decode(encoding)
            return ".csv"
        except UnicodeDecodeError as e:
            if e.start >= 4092:  # a character cut at the sample's end
                return ".csv"
    return None


def import_upload(
    engine: Engine,
    data: bytes,
    suffix: str,
    name: str,
    department: str,
    version: str,
    extends: tuple[str, ...],
) -> Imported:
    """Import `data` (a table file of kind `suffix`, uploaded as `name`) into a draft of
    department/version extending the published versions `extends`. TableImportError names the field:
    `extends` (not a published version) or `file` (the message says where in it)."""
    if len(data) > MAX_UPLOAD:
        raise TableImportError(f"file of {len(data)} bytes exceeds the limit of {MAX_UPLOAD}", field="file")
    parents = []
    if extends:
        with Session(engine) as session:
            lib = lifecycle.compile_with_live(session, {})
        for ref in extends:
            compiled = lib.compiled.get(ref)
            if compiled is None:
                raise TableImportError(f"{ref!r} is not a published ruleset version", field="extends")
            parents.append(compiled.ruleset)
    with tempfile.TemporaryDirectory(prefix="discretion-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            text, draft = import_read(
                path, department=department, version=version, extends=list(extends), parents=parents, name=name
            )
        except TableImportError as e:
            where = (e.field or "").removeprefix(str(path)).lstrip(": ")
            raise TableImportError(f"{where}: {e.message}" if where else e.message, field="file") from None
        except Exception as e:  # noqa: BLE001  a file the readers choke on is bad input, not a server error
            _log.exception("table import of %r failed inside the reader", name)
            raise TableImportError(
                f"cannot read the file as a benchmark table ({type(e).__name__})", field="file"
            ) from None
    report = report_dict(draft)
    return Imported(
        draft=text,
        cells=report["cells"],
        structured=report["structured"],
        share=report["share"],
        markers=report["markers"],
        notes=report["notes"],
    )

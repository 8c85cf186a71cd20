"""POST /v1/rulesets/import: a published benchmark table (.docx, .xlsx, .csv) into a draft ruleset and its
import report, as `discretion import` makes them (api/importing.py). Nothing is stored: the reviewer
resolves the markers, then uploads the draft (POST /v1/rulesets/{department})."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from discretion.tables.reading import TableImportError

from ..deps import CurrentKey, check_department, check_role
from ..importing import CONTENT_TYPES, MAX_EXTENDS, MAX_UPLOAD, Imported, sniff, suffix_of
from ..params import DepartmentParam, ExtendsQuery, VersionParam
from ..review import review

router = APIRouter(prefix="/v1", tags=["rulesets"])


class ImportMarker(BaseModel):
    """A cell kept verbatim in the draft (tagged !unresolved): where it stands and why it was not read."""

    table: int
    row: int
    column: str
    text: str
    why: str


class ImportNote(BaseModel):
    """Something the reviewer should know about a cell that was read (or a table left out)."""

    table: int
    row: int
    column: str
    text: str
    what: str


class ImportReport(BaseModel):
    markers: list[ImportMarker]
    notes: list[ImportNote]


class ImportedDraft(BaseModel):
    """The draft (YAML, markers inside: it fails validation until each is resolved) and its report."""

    department: str
    version: str
    extends: list[str]
    format: str = Field(description="docx, xlsx or csv: how the file was read")
    draft: str = Field(description="the draft ruleset, YAML")
    cells: int = Field(description="table cells the importer read")
    cells_structured: int
    share_structured: float = Field(ge=0, le=1, description="the share of cells structured (0 … 1)")
    report: ImportReport


def _bad(loc: list[str], msg: str, status: int = 422) -> HTTPException:
    return HTTPException(status, detail=[{"loc": loc, "msg": msg, "type": "table_import"}])


def extends_list(extends: str | None) -> tuple[str, ...]:
    refs = tuple(dict.fromkeys(r for r in (extends or "").split(",") if r))
    if len(refs) > MAX_EXTENDS:
        raise _bad(["query", "extends"], f"at most {MAX_EXTENDS} rulesets")
    return refs


async def _file(http: Request, fmt: str | None, filename: str | None) -> tuple[bytes, str, str]:
    """The file (bytes, suffix, name) from a multipart body (field `file`) or the body itself."""
    ctype = http.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        try:
            form = await http.form(max_files=1, max_fields=4)
        except StarletteHTTPException as e:  # request.form's refusal (Starlette's class, not FastAPI's)
            raise _bad(["body"], f"not a readable multipart body: {e.detail}") from None
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise _bad(["body", "file"], "the multipart body has no file in a part named `file`")
        data = await part.read(MAX_UPLOAD + 1)
        name = filename or part.filename or ""
        ctype = (part.content_type or "").split(";")[0].strip().lower()
    else:
        data, name = await http.body(), filename or ""
    if len(data) > MAX_UPLOAD:
        raise _bad(["body", "file"], f"the file is larger than {MAX_UPLOAD} bytes", 413)
    if not data or data.isspace():  # no copy of a large file on the loop
        raise _bad(["body", "file"], "the file is empty")
    suffix = f".{fmt}" if fmt else suffix_of(name) or CONTENT_TYPES.get(ctype) or sniff(data)
    if suffix is None:
        raise _bad(
            ["query", "format"],
            "cannot tell the file's kind: give format=docx|xlsx|csv, a filename ending so, or its content type",
        )
    return data, suffix, name or f"upload{suffix}"


FormatQuery = Annotated[str | None, Query(max_length=4, pattern=r"^(docx|xlsx|csv)$", description="docx, xlsx or csv")]
FilenameQuery = Annotated[str | None, Query(max_length=255, description="the file's name (its suffix tells its kind)")]
_FORMAT = {"type": "string", "format": "binary"}


@router.post(
    "/rulesets/import",
    response_model=ImportedDraft,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": _FORMAT},
                **{t: {"schema": _FORMAT} for t in CONTENT_TYPES},
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": _FORMAT}, "required": ["file"]}
                },
            },
        }
    },
)
async def import_table(
    http: Request,
    key: CurrentKey,
    department: DepartmentParam,
    version: VersionParam,
    extends: ExtendsQuery = None,
    format: FormatQuery = None,  # noqa: A002 - the parameter's name in the API
    filename: FilenameQuery = None,
) -> dict[str, Any]:
    """A published benchmark table (the body, or the part `file` of a multipart body) read into a draft
    ruleset of `department`/`version`, as `discretion import` does: every cell it could read structured,
    every other kept verbatim and marked (`report.markers`: table, row, column, text, why). The kind is
    `format`, else the file name's suffix (`filename` or the part's), else the content type, else the
    file's first bytes. Nothing is stored (reviewer; a heavy worker: 503 with Retry-After when busy)."""
    check_role(key, "reviewer")
    check_department(key, department, ["query", "department"])
    refs = extends_list(extends)
    data, suffix, name = await _file(http, format, filename)
    try:
        done: Imported = await review(http.app.state.engine, "import", data, suffix, name, department, version, refs)
    except TableImportError as e:
        raise _bad(["query", "extends"] if e.field == "extends" else ["body", "file"], e.message) from None
    return {
        "department": department,
        "version": version,
        "extends": list(refs),
        "format": suffix.lstrip("."),
        "draft": done.draft,
        "cells": done.cells,
        "cells_structured": done.structured,
        "share_structured": done.share,
        "report": {"markers": done.markers, "notes": done.notes},
    }

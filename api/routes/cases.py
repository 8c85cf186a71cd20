"""POST /v1/cases: import decided cases (JSON lines or CSV) in batches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from discretion.store.cases import FormatError, ImportReport, import_cases, parse_rows

from ..deps import CurrentKey, LibraryDep, check_role
from ..workers import in_worker

router = APIRouter(prefix="/v1", tags=["cases"])

FORMATS = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "text/csv": "csv",
}


@router.post(
    "/cases",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_decided_cases(
    http: Request, key: CurrentKey, library: LibraryDep, batch_size: Annotated[int, Query(ge=1, le=10000)] = 1000
) -> ImportReport:
    """Import decided cases; each batch one transaction, idempotent by case_id (officer, supervisor)."""
    check_role(key, "officer", "supervisor")
    ctype = http.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(ctype)
    if fmt is None:
        raise HTTPException(
            415,
            detail=[
                {
                    "loc": ["header", "content-type"],
                    "msg": f"send {' or '.join(FORMATS)}, not {ctype or 'nothing'}",
                    "type": "unsupported_media_type",
                }
            ],
        )
    try:
        text = (await http.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(
            422, detail=[{"loc": ["body"], "msg": "the body is not UTF-8 text", "type": "value_error"}]
        ) from None

    def run() -> ImportReport:
        rows = parse_rows(text, fmt)  # type: ignore[arg-type]  # fmt is a value of FORMATS
        if key.department is not None:
            rows = (
                (
                    n,
                    r
                    if isinstance(r, str) or r.get("department") == key.department
                    else f"department: outside this key's scope ({key.department})",
                )
                for n, r in rows
            )
        return import_cases(http.app.state.engine, rows, library.get(), batch_size=batch_size)

    try:  # parsing, validating (the evaluator) and storing: a worker thread, a few imports at a time
        return await in_worker(run)
    except FormatError as e:
        raise HTTPException(
            422, detail=[{"loc": ["body", e.field or ""], "msg": e.message, "type": "value_error"}]
        ) from None

"""The error body every 4xx answer uses: a list of {loc, msg, type}, like FastAPI's own 422."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """What went wrong: the field (loc) and the reason (msg)."""

    detail: list[ErrorItem]


def _doc(text: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": text}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _doc("no valid API key"),
    403: _doc("the key's role or department does not allow this"),
    404: _doc("no such department or version"),
    409: _doc("the version's lifecycle forbids this (frozen, not approved, exists)"),
    413: _doc("the body is larger than the limit (DISCRETION_MAX_BODY)"),
    415: _doc("unsupported content type"),
    422: _doc("bad input: the field and the reason"),
}

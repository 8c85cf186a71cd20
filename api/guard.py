"""One guard in front of every route: text the store cannot hold and JSON too costly to parse never
reach a route.

Why one guard: a NUL byte reaching PostgreSQL (a query parameter, a label, a case id, a path
segment) or a lone surrogate reaching an encoder is a 500 wherever it lands, and there are many
places; a JSON body nested 100,000 deep or carrying a number of a million digits costs the
parser (on the event loop) before any model sees it. So the guard refuses, with 422 naming the
part of the request:
- a NUL in the path or the query string (`%00`), and any NUL byte in a body;
- in JSON and JSON-lines bodies: an escaped NUL (`\\u0000`), a lone surrogate escape (`\\ud800`),
  nesting deeper than MAX_JSON_DEPTH, a number longer than MAX_NUMBER_DIGITS digits;
- a JSON body (application/json) over MAX_JSON_BODY bytes (JSON lines may be as large as the
  body limit; they are read line by line in a worker thread);
- `%00` in a form body.
The routes that take a table file (BINARY_PATHS: an .xlsx or .docx is a zip, full of NUL bytes) may
carry NUL bytes in a body that is neither JSON nor a urlencoded form; their text parameters are
codes matched by a pattern (api/params.py), and the file itself is read only by the importer.
Large bodies are scanned in a worker thread, so the event loop never waits on a scan.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

import anyio
import numpy as np
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from discretion.bounds import MAX_NUMBER_TEXT

MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = MAX_NUMBER_TEXT
#: application/json bodies are parsed by FastAPI on the event loop: keep that parse short
MAX_JSON_BODY = 1024 * 1024
#: bodies up to this size are scanned inline; larger ones in a worker thread
_INLINE_SCAN = 64 * 1024

#: routes whose body may be a binary file (a multipart upload or the file itself)
BINARY_PATHS = frozenset({"/v1/rulesets/import", "/review/import"})
_JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/json-lines")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_ESCAPE = re.compile(rb"(\\+)u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_LONG_NUMBER = re.compile(rb"[0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1))
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets: deleted
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


class BadRequestInput(Exception):
    """Why the request is refused: loc and message for the {detail: [{loc, msg, type}]} body."""

    def __init__(self, loc: list[str], msg: str, status: int = 422) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.status = loc, msg, status


def check_path_and_query(scope: Scope) -> None:
    path = scope.get("path", "")
    if "\x00" in path or b"%00" in scope.get("raw_path", b"") or any(0xD800 <= ord(c) <= 0xDFFF for c in path):
        raise BadRequestInput(["path"], "the path contains a NUL character or invalid Unicode")
    try:
        unquote_to_bytes(scope.get("raw_path") or path.encode("utf-8")).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestInput(["path"], "the path is not UTF-8 text (an invalid byte or a lone surrogate)") from None
    query: bytes = scope.get("query_string", b"")
    if query:
        check_query(query)


def check_query(query: bytes) -> None:
    """Each query parameter is UTF-8 text without NUL (percent-decoded strictly: Starlette would
    replace invalid bytes, such as an encoded lone surrogate, silently); the refusal names it."""
    for pair in query.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestInput(["query"], "a query parameter's name is not UTF-8 text") from None
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        if b"\x00" in value or "\x00" in name:
            raise BadRequestInput(["query", name.replace("\x00", "")], "contains a NUL character")
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestInput(["query", name], "is not UTF-8 text (an invalid byte or a lone surrogate)") from None


def _escapes(body: bytes) -> None:
    """Escaped NULs and lone surrogates in JSON strings (an even run of backslashes is no escape)."""
    pending_high = -1  # end offset of a high surrogate escape waiting for its low half
    for m in _ESCAPE.finditer(body):
        if len(m.group(1)) % 2 == 0:
            continue
        code = int(m.group(2), 16)
        if code == 0:
            raise BadRequestInput(["body"], "a string contains a NUL character (\\u0000)")
        is_low = code >= 0xDC00
        if pending_high >= 0:
            if not (is_low and m.start() + len(m.group(1)) - 1 == pending_high):
                raise BadRequestInput(["body"], "a string contains a lone surrogate (\\ud800–\\udbff without its pair)")
            pending_high = -1
            continue
        if is_low:
            raise BadRequestInput(["body"], "a string contains a lone surrogate (\\udc00–\\udfff without its pair)")
        pending_high = m.end()
    if pending_high >= 0:
        raise BadRequestInput(["body"], "a string contains a lone surrogate (\\ud800–\\udbff without its pair)")


def check_json_text(body: bytes) -> None:
    """Escapes, nesting depth and number length of a JSON (or JSON lines) text, without parsing it."""
    if b"\\u" in body:
        _escapes(body)
    outside = _STRING.sub(b'""', body)
    if _LONG_NUMBER.search(outside):
        raise BadRequestInput(["body"], f"a number has more than {MAX_NUMBER_DIGITS} digits")
    brackets = outside.translate(None, _BRACKETS)
    if len(brackets) > 2 * MAX_JSON_DEPTH:
        depth = np.cumsum(_OPEN[np.frombuffer(brackets, dtype=np.uint8)], dtype=np.int64)
        if depth.size and int(depth.max()) > MAX_JSON_DEPTH:
            raise BadRequestInput(["body"], f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


def check_body(body: bytes, content_type: str, binary: bool = False) -> None:
    """`binary`: the route takes a file, so NUL bytes may stand in a body other than JSON or a urlencoded form."""
    textual = content_type in _JSON_TYPES or content_type.endswith("+json")
    if b"\x00" in body and not (binary and not textual and content_type != "application/x-www-form-urlencoded"):
        raise BadRequestInput(["body"], "the body contains a NUL byte")
    if content_type in _JSON_TYPES or content_type.endswith("+json"):
        if content_type == "application/json" and len(body) > MAX_JSON_BODY:
            raise BadRequestInput(["body"], f"a JSON body is larger than {MAX_JSON_BODY} bytes", status=413)
        check_json_text(body)
    elif content_type == "application/x-www-form-urlencoded" and b"%00" in body:
        raise BadRequestInput(["body"], "a form field contains a NUL character")


class InputGuard:
    """ASGI middleware: check the path, the query and the whole body before the app sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_path_and_query(scope)
        except BadRequestInput as e:
            await _refuse(e, send)
            return
        headers = dict(scope.get("headers") or [])
        if (
            scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
            and b"content-length" not in headers
            and b"transfer-encoding" not in headers
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)  # disconnected: let the app see it
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        binary = scope.get("path", "") in BINARY_PATHS
        try:
            if len(body) <= _INLINE_SCAN:
                check_body(body, ctype, binary)
            else:
                await anyio.to_thread.run_sync(check_body, body, ctype, binary)
        except BadRequestInput as e:
            await _refuse(e, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], last: Message | None, receive: Receive) -> Receive:
    queue: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if last is not None:
        queue.append(last)

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


async def _refuse(e: BadRequestInput, send: Send) -> None:
    kind = "too_large" if e.status == 413 else "value_error"
    response = JSONResponse({"detail": [{"loc": e.loc, "msg": e.msg, "type": kind}]}, status_code=e.status)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})

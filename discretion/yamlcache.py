"""Parsed ruleset documents cached by content hash, so a large catalogue is parsed once.

PyYAML builds Python objects in Python even on libyaml's C parser; for a 6,000-item catalogue
that is most of the load. The parsed data of a large document is kept as JSON (orjson) under
`DISCRETION_CACHE_DIR` (default ~/.cache/discretion), named by the sha256 of the YAML text: the
same text always gives the same data, so a hit is exact. Data JSON cannot hold exactly (dates
other than effective_from/effective_to, non-string keys, non-finite floats) is never cached.
Keys also hash the code that reads and hashes rulesets, so a changed model never meets an
old entry. The cache is an optimisation only: any failure to read or write it is ignored.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
from pathlib import Path
from typing import Any

import orjson

from .settings import load_settings

#: documents smaller than this are parsed every time (the bundled rulesets are a few KiB)
MIN_BYTES = 256 * 1024
_DATE_KEYS = ("effective_from", "effective_to")


def _dir() -> Path:
    return Path(load_settings().cache_dir or Path.home() / ".cache" / "discretion") / "rulesets"


def _salt() -> bytes:
    """The code that reads and hashes a ruleset: a change to it makes every entry stale."""
    here = Path(__file__).resolve().parent
    return b"".join((here / name).read_bytes() for name in ("loader.py", "ruleset.py", "citation.py", "compiler.py"))


_SALT = hashlib.sha256(_salt()).digest()


@functools.lru_cache(maxsize=8)  # a load asks several times (data, hash) for the same 10 MiB text
def _key(text: str) -> str:
    return hashlib.sha256(_SALT + text.encode("utf-8")).hexdigest()


def get(text: str) -> Any | None:
    """The data of a document parsed before, or None."""
    if len(text) < MIN_BYTES:
        return None
    try:
        return orjson.loads((_dir() / f"{_key(text)}.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def put(text: str, data: Any, *, exact: bool | None = None) -> None:
    """Keep the parsed data of a large document, if JSON holds it exactly (`exact`: already known by the
    reader that built it, else checked here)."""
    if len(text) < MIN_BYTES or not isinstance(data, dict):
        return
    if not (exact if exact is not None else _exact(data, top=True)):
        return
    try:
        folder = _dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{_key(text)}.{os.getpid()}.tmp"
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(folder / f"{_key(text)}.json")
    except (OSError, TypeError, orjson.JSONEncodeError):
        return


def _exact(value: Any, top: bool = False, key: str = "") -> bool:
    """Whether JSON gives this value back as pydantic would have read it from the YAML."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _exact(v, key=k if top else "") for k, v in value.items())
    if isinstance(value, list):
        return all(_exact(v) for v in value)
    if isinstance(value, dt.date):  # a date reads back from its ISO text only where a date is expected
        return not isinstance(value, dt.datetime) and key in _DATE_KEYS
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


def _hash_file(text: str, parents: list[str]) -> Path:
    return _dir() / f"{_key(text)}-{_key(','.join(parents))[:16]}.hash"


def get_hash(text: str, parents: list[str]) -> str | None:
    """The content hash of a large document resolved against parents with these hashes, if known."""
    if len(text) < MIN_BYTES:
        return None
    try:
        value = _hash_file(text, parents).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None


def put_hash(text: str, parents: list[str], value: str) -> None:
    """Keep the content hash: the resolved ruleset is a function of the text and the parents' hashes."""
    if len(text) < MIN_BYTES:
        return
    try:
        _dir().mkdir(parents=True, exist_ok=True)
        _hash_file(text, parents).write_text(value, encoding="ascii")
    except OSError:
        return

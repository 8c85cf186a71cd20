"""A structural comparison of two rulesets: every field that differs, found by walking the models.

The content hash is taken over a ruleset's canonical JSON (compiler.content_hash), so two rulesets
have different hashes exactly when this walk finds a difference: it compares the same dump. It
knows no field by name, so a field added to the language later is compared without a change here.
Lists of things with an identity (`id`, or `code` for items) are matched by it, and a change of
their order is a difference of its own (tiers are tried in order); other lists are compared by
position, and lists of plain values as a whole. diff() words what it can and falls back to this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

Path = tuple[str | int, ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Key(str):
    """The id or code of an element of a list matched by identity (equal to the plain string)."""


@dataclass(frozen=True)
class Difference:
    """One field (or one whole element added or removed) that differs: `old`/`new` are JSON values
    (MISSING where the field is absent on that side); `order` marks a change of order only."""

    path: Path
    old: Any
    new: Any
    order: bool = False


def dump(model: BaseModel) -> Any:
    """The canonical form the content hash is taken over."""
    return model.model_dump(mode="json", exclude_none=True)


def differences(old: BaseModel, new: BaseModel) -> list[Difference]:
    out: list[Difference] = []
    _walk(dump(old), dump(new), (), out)
    return out


def _identity(items: list[Any]) -> str | None:
    """The key that identifies the elements of a list of objects, if every element has a distinct
    one."""
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for key in ("id", "code"):
        ids = [x.get(key) for x in items]
        if all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids):
            return key
    return None


def _walk(a: Any, b: Any, path: Path, out: list[Difference]) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in [*a, *(k for k in b if k not in a)]:
            _walk(a.get(k, MISSING), b.get(k, MISSING), (*path, k), out)
        return
    if isinstance(a, list) and isinstance(b, list):
        ka, kb = _identity(a), _identity(b)
        key = ka if ka == kb or not b else (kb if not a else None)  # an empty list matches any identity
        if key is not None:
            olds = {x[key]: x for x in a}
            news = {x[key]: x for x in b}
            for i in [*olds, *(i for i in news if i not in olds)]:
                _walk(olds.get(i, MISSING), news.get(i, MISSING), (*path, Key(i)), out)
            common_a = [i for i in olds if i in news]
            common_b = [i for i in news if i in olds]
            if common_a != common_b:
                out.append(Difference(path, common_a, common_b, order=True))
            return
        if len(a) == len(b) and any(isinstance(x, (dict, list)) for x in [*a, *b]):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _walk(x, y, (*path, i), out)
            return
    out.append(Difference(path, a, b))


def path_text(path: Path) -> str:
    """A path as a reviewer finds it in the YAML: items[SC-01].tiers[minor].fine.range."""
    out = ""
    for part in path:
        if isinstance(part, (int, Key)):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "（整个规则集）"


def value_text(v: Any) -> str:
    if v is MISSING:
        return "（无）"
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)

"""Comparing two rulesets the way a reviewer would: conditions by their syntax tree, not their spelling."""

from __future__ import annotations

import ast
from typing import Any

from discretion.ruleset import Ruleset

_CONDITION_KEYS = {"when"}


def normal(value: Any, key: str = "") -> Any:
    """A ruleset dump with every condition replaced by its parsed tree (spacing, quotes, parentheses ignored)."""
    if isinstance(value, dict):
        return {k: normal(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v, key) for v in value]
    if key in _CONDITION_KEYS and isinstance(value, str):
        return ast.dump(ast.parse(value.strip(), mode="eval")) if value.strip() else ""
    return value


def dump(rs: Ruleset) -> dict[str, Any]:
    return normal(rs.model_dump(mode="json", exclude_none=True))


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every path where two dumps differ (empty when they are the same ruleset)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += differences(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]

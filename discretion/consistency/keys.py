"""Relevance keys: which decided cases are "the same case" in law.

For one catalogue item under one version, every fact a condition reads is bucketed by the
thresholds the conditions compare it with (vectorised with numpy: 2i below the i-th threshold,
2i+1 exactly on it). All cases in one cell meet the same conditions, so the matcher is asked
once per distinct cell; cells that meet exactly the same conditions are merged into one key.
Facts no condition reads never split a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

import numpy as np

from ..compiler import CompiledItem
from ..conditions import NUMBER_SCALE, Value, encode_number

MISSING = np.iinfo(np.int64).min


def _encode_column(values: Sequence[Value | None], type_: str) -> np.ndarray:
    """Exact int64 images of a numeric fact (money in fen, numbers as in durable_rules)."""
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if v is None:
            out[i] = MISSING
        elif type_ == "money":
            out[i] = int(Decimal(v) * 100)  # type: ignore[arg-type]
        elif type_ == "number":
            out[i] = encode_number(Decimal(v))  # type: ignore[arg-type]
        else:
            out[i] = int(v)  # type: ignore[arg-type]
    return out


def _encode_threshold(v: Value, type_: str) -> int:
    if type_ == "money":
        return int(Decimal(v) * 100)  # type: ignore[arg-type]
    if type_ == "number":
        return int(Decimal(v) * NUMBER_SCALE) * 2  # type: ignore[arg-type]
    return int(v)  # type: ignore[arg-type]


def thresholds(ci: CompiledItem) -> dict[str, list[Value]]:
    """Every constant each fact is compared with, over all the item's conditions."""
    out: dict[str, set[Value]] = {}
    for cond in ci.conditions.values():
        for f, vals in cond.thresholds().items():
            out.setdefault(f, set()).update(vals)
    return {f: sorted(v, key=lambda x: (str(type(x)), x)) for f, v in out.items()}  # type: ignore[arg-type]


def bucket_columns(ci: CompiledItem, facts: Sequence[Mapping[str, Value | None]]) -> tuple[tuple[str, ...], np.ndarray]:
    """The (cases × cell facts) matrix of bucket indices; -1 where a fact is absent."""
    names = ci.cell_facts
    cols = np.empty((len(facts), len(names)), dtype=np.int64)
    ths = thresholds(ci)
    for j, name in enumerate(names):
        type_ = ci.types[name]
        column = [f.get(name) for f in facts]
        if type_ in ("money", "number", "integer"):
            v = _encode_column(column, type_)
            th = np.array(sorted({_encode_threshold(t, type_) for t in ths[name]}), dtype=np.int64)
            i = np.searchsorted(th, v, side="left")
            on = (i < len(th)) & (th[np.minimum(i, len(th) - 1)] == v)
            b = 2 * i + on
            b[v == MISSING] = -1
            cols[:, j] = b
        elif type_ == "bool":
            cols[:, j] = [-1 if x is None else int(bool(x)) for x in column]
        else:
            index = {val: k for k, val in enumerate(ci.schema[name].values or [])}
            cols[:, j] = [-1 if x is None else index.get(x, -2) for x in column]  # type: ignore[arg-type]
    return names, cols


@dataclass
class ItemKeys:
    """Each case's key id, and for each key the rules that hold there (its legal meaning)."""

    key_of_case: np.ndarray
    matched: list[frozenset[str]]
    representative: list[int]


def item_keys(ci: CompiledItem, facts: Sequence[Mapping[str, Value | None]]) -> ItemKeys:
    """Bucket, ask the matcher once per distinct cell, merge cells that meet the same rules."""
    _, cols = bucket_columns(ci, facts)
    if cols.shape[1] == 0:
        cells = np.zeros(len(facts), dtype=np.int64)
        firsts = np.array([0]) if len(facts) else np.array([], dtype=np.int64)
    else:
        _, firsts, cells = np.unique(cols, axis=0, return_index=True, return_inverse=True)
        cells = cells.reshape(-1)
    key_index: dict[frozenset[str], int] = {}
    matched: list[frozenset[str]] = []
    representative: list[int] = []
    cell_to_key = np.empty(len(firsts), dtype=np.int64)
    for c, first in enumerate(firsts):
        m = ci.match(facts[int(first)])
        k = key_index.get(m)
        if k is None:
            k = key_index[m] = len(matched)
            matched.append(m)
            representative.append(int(first))
        cell_to_key[c] = k
    return ItemKeys(cell_to_key[cells] if len(facts) else np.array([], dtype=np.int64), matched, representative)


def describe(ci: CompiledItem, matched: frozenset[str]) -> str:
    """A key in words: the labels and conditions of the tier, clause and list entries that hold."""
    parts: list[str] = []
    for t in ci.item.tiers:
        if f"tier:{t.id}" in matched:
            parts.append(f"阶次「{t.label}」（{ci.conditions[f'tier:{t.id}'].text}）")
    for c in ci.item.statutory:
        key = f"statutory:{c.id}"
        if key in matched and ci.conditions[key].text:
            parts.append(f"{c.label or c.id}（{ci.conditions[key].text}）")
        fb = f"fallback:{c.id}"
        if fb in matched:
            parts.append(f"适用法定最低幅度（{ci.conditions[fb].text}）")
    for e in ci.entries:
        if f"list:{e.id}" in matched:
            parts.append(e.label)
    if "limitation:extended" in matched:
        parts.append("有危害后果（追责期限五年）")
    return "；".join(parts) or "无任何裁量情节"


def rules_of(ci: CompiledItem, matched: frozenset[str]) -> list[dict[str, Any]]:
    """The rule ids, conditions and citations that define a key."""
    from ..citation import render_all

    out: list[dict[str, Any]] = []
    for key in sorted(matched):
        kind, _, ident = key.partition(":")
        basis: list = []
        if kind == "tier":
            t = next(t for t in ci.item.tiers if t.id == ident)
            basis = t.basis or ci.item.penalty_basis
        elif kind == "list":
            basis = next(e for e in ci.entries if e.id == ident).basis
        elif kind in ("statutory", "fallback"):
            c = next(c for c in ci.item.statutory if c.id == ident)
            basis = c.basis or ci.item.penalty_basis
        else:
            basis = ci.item.penalty_basis
        out.append({"rule": key, "condition": ci.conditions[key].text, "citation": render_all(basis)})
    return out

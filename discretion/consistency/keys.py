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
from typing import Any, cast
from collections.abc import Mapping, Sequence

import numpy as np

from ..compiler import CompiledItem
from ..conditions import NUMBER_SCALE, Value, encode_number
from ..errors import FactError
from ..evaluation.cells import match
from ..facts import Derivation, _coerce, validate_facts
from ..keys import LIMITATION_EXTENDED, RuleKey, RuleKind
from ..ruleset import FactSpec
from ..shapes import SHAPES
from ..wording import count_words

MISSING = np.iinfo(np.int64).min


def _encode_value(v: Value | None, type_: str) -> int:
    if v is None:
        return MISSING
    if type_ == "money":
        return int(Decimal(v) * 100)
    if type_ == "number":
        return encode_number(Decimal(v))
    return int(v)


def _encode_column(values: Sequence[Value | None], type_: str) -> np.ndarray:
    """Exact int64 images of a numeric fact (money in fen, numbers as in durable_rules), once per distinct value."""
    memo: dict[Any, int] = {}
    out: list[int] = []
    for v in values:
        e = memo.get(v)
        if e is None:
            e = memo[v] = _encode_value(v, type_)
        out.append(e)
    return np.array(out, dtype=np.int64)


class FactColumns:
    """Validated facts of many cases of one item, one list per fact (schema order, then derived facts).

    `facts[i]` is case i's dict, exactly as validate_facts returns it; `take` selects cases without copying.
    """

    __slots__ = ("names", "columns", "index")

    def __init__(
        self, names: tuple[str, ...], columns: dict[str, list[Value | None]], index: np.ndarray | None = None
    ) -> None:
        self.names, self.columns, self.index = names, columns, index

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else (len(self.columns[self.names[0]]) if self.names else 0)

    def column(self, name: str) -> list[Value | None]:
        col = self.columns.get(name)
        if col is None:
            return [None] * len(self)
        if self.index is None:
            return col
        return [col[i] for i in self.index.tolist()]

    def __getitem__(self, i: int) -> dict[str, Value | None]:
        j = int(self.index[i]) if self.index is not None else i
        return {n: self.columns[n][j] for n in self.names}

    def take(self, idx: np.ndarray) -> FactColumns:
        return FactColumns(self.names, self.columns, idx if self.index is None else self.index[idx])


_HASHABLE = frozenset({str, int, bool})  # not float (-0.0 == 0.0), not Decimal (1.0 == 1)


def validate_columns(
    raws: Sequence[Mapping[str, Any]],
    schema: Mapping[str, FactSpec],
    derived: list[tuple[str, Derivation]],
    *,
    tolerated: frozenset[str] = frozenset(),
) -> tuple[FactColumns, dict[int, FactError]]:
    """validate_facts over many cases at once: one pass per fact, each distinct raw value checked once.

    Returns the columns (rows that fail hold None) and the error of each failing row, which is
    the error validate_facts raises for that row (failing rows are re-checked by it).
    """
    n = len(raws)
    allowed = frozenset(n_ for n_, s in schema.items() if s.derived is None) | (tolerated - frozenset(schema))
    bad: set[int] = set()
    checked: list[Mapping[str, Any]] = []
    for i, raw in enumerate(raws):
        if type(raw) is not dict and not isinstance(raw, Mapping):
            bad.add(i)
            raw = {}
        elif not (raw.keys() <= allowed):
            bad.add(i)
        checked.append(raw)
    raws, originals = checked, raws
    columns: dict[str, list[Value | None]] = {}
    for name, spec in schema.items():
        if spec.derived is not None:
            continue
        missing: Value | None | FactError = None
        if spec.is_required:
            missing = FactError("required")
        elif spec.default is not None:
            try:
                missing = _coerce(name, spec, spec.default)
            except FactError as e:
                missing = e
        column = [raw.get(name) for raw in raws]
        types = set(map(type, column))
        types.discard(type(None))
        if len(types) <= 1 and types <= _HASHABLE:
            # one type of value (and absences): equal values are the same raw value, each checked once
            checked_values: dict[Any, Value | None | FactError] = {None: missing}
            for v in set(column) - {None}:
                try:
                    checked_values[v] = _coerce(name, spec, v)
                except FactError as e:
                    checked_values[v] = e
            col = list(map(checked_values.__getitem__, column))
            if any(isinstance(x, FactError) for x in checked_values.values()):
                for i, x in enumerate(col):
                    if isinstance(x, FactError):
                        bad.add(i)
                        col[i] = None
            columns[name] = cast("list[Value | None]", col)  # every FactError was replaced by None
            continue
        memo: dict[tuple[type, Any], Value | FactError] = {}
        col = []
        append = col.append
        for i, raw in enumerate(raws):
            v = raw.get(name)
            if v is None:
                out = missing
            else:
                t = type(v)
                if t is float or t is dict or t is list:  # not memoised (-0.0 == 0.0; unhashable)
                    try:
                        out = _coerce(name, spec, v)
                    except FactError as e:
                        out = e
                else:
                    k = (t, v)
                    out = memo.get(k, memo)  # type: ignore[arg-type]  # memo itself is the miss sentinel
                    if out is memo:  # type: ignore[comparison-overlap]  # (the sentinel)
                        try:
                            out = _coerce(name, spec, v)
                        except FactError as e:
                            out = e
                        memo[k] = out
            if isinstance(out, FactError):
                bad.add(i)
                out = None
            append(out)
        columns[name] = cast("list[Value | None]", col)  # every FactError was replaced by None
    # validate_facts' dict order: the schema's non-derived facts, then the derived ones
    names = tuple(n_ for n_, s in schema.items() if s.derived is None) + tuple(n_ for n_, _ in derived)
    for name, _ in derived:
        columns[name] = [None] * n
    errors: dict[int, FactError] = {}
    for i in sorted(bad):
        try:
            validate_facts(originals[i], schema, derived, tolerated=tolerated)
        except FactError as e:
            errors[i] = e
        else:  # pragma: no cover - the column checks refuse only what validate_facts refuses
            raise AssertionError(f"row {i} passed validate_facts but not the column checks")
    if derived:
        for i in range(n):
            if i in errors:
                continue
            row = {nm: columns[nm][i] for nm in names[: len(names) - len(derived)]}
            for name, fn in derived:
                row[name] = fn(row)
                columns[name][i] = row[name]
    return FactColumns(names, columns), errors


def _encode_threshold(v: Value, type_: str) -> int:
    if type_ == "money":
        return int(Decimal(v) * 100)
    if type_ == "number":
        return int(Decimal(v) * NUMBER_SCALE) * 2
    return int(v)


def thresholds(ci: CompiledItem) -> dict[str, list[Value]]:
    """Every constant each fact is compared with, over all the item's conditions."""
    out: dict[str, set[Value]] = {}
    for cond in ci.conditions.values():
        for f, vals in cond.thresholds().items():
            out.setdefault(f, set()).update(vals)
    return {f: sorted(v, key=lambda x: (str(type(x)), x)) for f, v in out.items()}


def bucket_columns(
    ci: CompiledItem, facts: Sequence[Mapping[str, Value | None]] | FactColumns
) -> tuple[tuple[str, ...], np.ndarray]:
    """The (cases × cell facts) matrix of bucket indices; -1 where a fact is absent."""
    names = ci.cell_facts
    cols = np.empty((len(facts), len(names)), dtype=np.int64)
    ths = thresholds(ci)
    for j, name in enumerate(names):
        type_ = ci.types[name]
        column = facts.column(name) if isinstance(facts, FactColumns) else [f.get(name) for f in facts]
        if type_ in ("money", "number", "integer"):
            v = _encode_column(column, type_)
            th = np.array(sorted({_encode_threshold(t, type_) for t in ths[name]}), dtype=np.int64)
            i = np.searchsorted(th, v, side="left")
            on = (i < len(th)) & (th[np.minimum(i, len(th) - 1)] == v)
            b = 2 * i + on
            b[v == MISSING] = -1
            cols[:, j] = b
        elif type_ == "bool":
            cols[:, j] = [-1 if x is None else (1 if x else 0) for x in column]
        else:
            index: dict[Any, int] = {val: k for k, val in enumerate(ci.schema[name].values or [])}
            index[None] = -1
            cols[:, j] = [index.get(x, -2) for x in column]
    return names, cols


@dataclass
class ItemKeys:
    """Each case's key id, and for each key the rules that hold there (its legal meaning)."""

    key_of_case: np.ndarray
    matched: list[frozenset[RuleKey]]
    representative: list[int]


def item_keys(ci: CompiledItem, facts: Sequence[Mapping[str, Value | None]] | FactColumns) -> ItemKeys:
    """Bucket, ask the matcher once per distinct cell, merge cells that meet the same rules."""
    _, cols = bucket_columns(ci, facts)
    if cols.shape[1] == 0:
        cells = np.zeros(len(facts), dtype=np.int64)
        firsts = np.array([0]) if len(facts) else np.array([], dtype=np.int64)
    else:
        _, firsts, cells = np.unique(cols, axis=0, return_index=True, return_inverse=True)
        cells = cells.reshape(-1)
    key_index: dict[frozenset[RuleKey], int] = {}
    matched: list[frozenset[RuleKey]] = []
    representative: list[int] = []
    cell_to_key = np.empty(len(firsts), dtype=np.int64)
    for c, first in enumerate(firsts):
        m = match(ci, facts[int(first)])
        k = key_index.get(m)
        if k is None:
            k = key_index[m] = len(matched)
            matched.append(m)
            representative.append(int(first))
        cell_to_key[c] = k
    return ItemKeys(cell_to_key[cells] if len(facts) else np.array([], dtype=np.int64), matched, representative)


def describe(ci: CompiledItem, matched: frozenset[RuleKey]) -> str:
    """A key in words: the labels and conditions of the tier, clause and list entries that hold."""
    parts: list[str] = []
    for shape in SHAPES.values():
        parts += shape.key_words(ci, matched)
    for c in ci.item.statutory:
        key = RuleKey.statutory(c.id)
        if key in matched and ci.conditions[key].text:
            parts.append(f"{c.label or c.id}（{ci.conditions[key].text}）")
        fb = RuleKey.fallback(c.id)
        if fb in matched:
            parts.append(f"适用法定最低幅度（{ci.conditions[fb].text}）")
    for e in ci.entries:
        if RuleKey.entry(e.id) in matched:
            parts.append(e.label)
    if LIMITATION_EXTENDED in matched:
        parts.append("有危害后果（追责期限五年）")
    return "；".join(parts) or "无任何裁量情节"


def rules_of(ci: CompiledItem, matched: frozenset[RuleKey]) -> list[dict[str, Any]]:
    """The rule ids, conditions and citations that define a key."""
    from ..citation import Citation, render_all

    out: list[dict[str, Any]] = []
    for key in sorted(matched):
        kind, ident = key.kind, key.id
        basis: list[Citation] = []
        if kind is RuleKind.TIER:
            t = next(t for t in ci.item.tiers if t.id == ident)
            basis = t.basis or ci.item.penalty_basis
        elif kind is RuleKind.LIST:
            entry = next((e for e in ci.entries if e.id == ident), None)
            # a general entry displaced by a special provision: the key cites the provision that applies
            basis = entry.basis if entry is not None else next(sp for e, sp in ci.displaced if e.id == ident)
        elif kind in (RuleKind.STATUTORY, RuleKind.FALLBACK):
            c = next(c for c in ci.item.statutory if c.id == ident)
            basis = c.basis or ci.item.penalty_basis
        else:
            basis = ci.item.penalty_basis
        condition = ci.conditions[key].text
        counted = next((count_words(c.entry) for c in ci.counting if c.key == key), "")
        if counted:  # a count of circumstances (when_count): the key holds by it too
            condition = f"{condition}，且{counted}" if condition and condition != "True" else counted
        out.append({"rule": str(key), "condition": condition, "citation": render_all(basis)})
    return out

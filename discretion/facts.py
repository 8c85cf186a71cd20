"""Facts of a case: validation against an item's schema, defaults, and derived facts."""

from __future__ import annotations

import ast
import re
from collections import abc
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any
from collections.abc import Callable, Mapping

from .bounds import MAX_MONEY, BoundError, bounded_decimal, bounded_int
from .conditions import Value, parse_source
from .errors import ConditionError, FactError
from .money import to_money
from .ruleset import FactSpec

Derivation = Callable[[Mapping[str, Value | None]], Decimal | None]
_MAX_MONEY_INT = int(MAX_MONEY)
#: money as an officer's form sends it: plain digits, at most two decimals (every other text takes the full checks)
_MONEY_TEXT = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
_ARITH = {ast.Add: Decimal.__add__, ast.Sub: Decimal.__sub__, ast.Mult: Decimal.__mul__, ast.Div: Decimal.__truediv__}


def parse_derived(
    text: str, schema: Mapping[str, FactSpec], *, field: str | None = None
) -> tuple[Derivation, tuple[str, ...]]:
    """Compile an arithmetic expression over numeric facts (+ - * /, constants, parentheses).

    The result is absent when an operand is absent or a divisor is zero: a ratio of an
    unknown or zero base is not a number, and conditions on it do not hold.
    """
    src = text.strip()

    def fail(message: str, n: ast.AST | None) -> ConditionError:
        return ConditionError(message, text=src, position=getattr(n, "col_offset", 0) + 1, field=field)

    tree = parse_source(src, field)
    names: set[str] = set()

    def build(n: ast.expr) -> Derivation:
        if isinstance(n, ast.BinOp) and type(n.op) in _ARITH:
            op, left, right = _ARITH[type(n.op)], build(n.left), build(n.right)

            def binop(f: Mapping[str, Value | None]) -> Decimal | None:
                a, b = left(f), right(f)
                if a is None or b is None:
                    return None
                try:
                    return op(a, b)
                except (DivisionByZero, InvalidOperation, ZeroDivisionError):
                    return None

            return binop
        if isinstance(n, ast.Name):
            spec = schema.get(n.id)
            if spec is None:
                raise fail(f"{n.id!r} is not a declared fact", n)
            if spec.type not in ("money", "number", "integer"):
                raise fail(f"{n.id!r} is {spec.type}: arithmetic needs numeric facts", n)
            names.add(n.id)
            name = n.id
            return lambda f: None if f.get(name) is None else Decimal(f[name])  # type: ignore[arg-type]  # numeric facts only (checked above)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            try:
                value = bounded_decimal((ast.get_source_segment(src, n) or repr(n.value)).replace("_", ""))
            except BoundError as e:
                raise fail(str(e), n) from None
            return lambda f: value
        raise fail(f"{type(n).__name__} is not allowed in a derived fact (only + - * / of facts and numbers)", n)

    return build(tree), tuple(sorted(names))


def _short(raw: Any) -> str:
    """A value as quoted in an error message, cut short (a megabyte of input is not echoed back)."""
    text = repr(raw) if not isinstance(raw, (list, dict)) else type(raw).__name__
    return text if len(text) <= 80 else text[:77] + "…"


def _coerce(name: str, spec: FactSpec, raw: Any) -> Value:
    # fast paths for the commonest exact forms; everything else takes the full checks below
    kind = spec.type
    if kind == "bool" and type(raw) is bool:
        return raw
    if kind == "enum" and type(raw) is str and raw in (spec.values or ()):
        return raw  # what the full check returns for a declared value
    if (
        kind == "money"
        and type(raw) is int
        and 0 <= raw <= _MAX_MONEY_INT
        and spec.minimum is None
        and spec.maximum is None
    ):
        return Decimal(raw)
    if (
        kind == "money"
        and type(raw) is str
        and spec.minimum is None
        and spec.maximum is None
        and _MONEY_TEXT.fullmatch(raw) is not None
    ):
        # what to_money gives for such a text: exact, finite, non-negative, at most two decimals and at most
        # 16 characters; only the upper bound is left to check (above it, the full checks say why)
        amount = Decimal(raw)
        if amount <= MAX_MONEY:
            return amount
    where = f"facts.{name}"
    if spec.type == "money":
        if isinstance(raw, float):
            raw = repr(raw)
        try:
            value: Value = to_money(raw, field=name)
        except ValueError as e:
            raise FactError(str(e).split(": ", 1)[-1], field=where) from None
    elif spec.type == "number":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
            raise FactError(f"expected a number, got {type(raw).__name__}", field=where)
        try:  # bounded by length, exponent and decimals before any arithmetic (bounds.py)
            value = bounded_decimal(raw)
        except BoundError as e:
            raise FactError(str(e), field=where) from None
    elif spec.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, (int, str, Decimal)):
            raise FactError(f"expected an integer, got {type(raw).__name__}", field=where)
        try:
            value = bounded_int(raw)
        except BoundError as e:
            raise FactError(str(e), field=where) from None
    elif spec.type == "bool":
        if not isinstance(raw, bool):
            raise FactError(f"expected true or false, got {_short(raw)}", field=where)
        value = raw
    else:
        if not isinstance(raw, str) or raw not in (spec.values or []):
            raise FactError(f"{_short(raw)} is not one of {', '.join(spec.values or [])}", field=where)
        value = raw
    if spec.type in ("number", "integer", "money"):
        if spec.minimum is not None and value < spec.minimum:  # type: ignore[operator]  # value is a number here
            raise FactError(f"{value} is below the minimum {spec.minimum}", field=where)
        if spec.maximum is not None and value > spec.maximum:  # type: ignore[operator]  # value is a number here
            raise FactError(f"{value} is above the maximum {spec.maximum}", field=where)
    return value


_Field = tuple[Any, ...]  # (name, spec, derived, required, default already coerced)


@dataclass(frozen=True)
class _Schema:
    """What validation needs of one schema, worked out once (schemas are immutable once compiled)."""

    fields: tuple[_Field, ...]  # in schema order: the order errors are reported in
    defaults: dict[str, Value | None]  # every non-derived fact at its default (None if it has none)
    required: frozenset[str]
    derived: frozenset[str]
    specs: dict[str, FactSpec]


_SCHEMAS: dict[int, tuple[Mapping[str, FactSpec], _Schema]] = {}


def _compiled(schema: Mapping[str, FactSpec]) -> _Schema:
    hit = _SCHEMAS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    fields = tuple(
        (
            name,
            spec,
            spec.derived is not None,
            spec.is_required,
            None if spec.default is None else _coerce(name, spec, spec.default),
        )
        for name, spec in schema.items()
    )
    compiled = _Schema(
        fields,
        {f[0]: f[4] for f in fields if not f[2]},
        frozenset(f[0] for f in fields if f[3] and not f[2]),
        frozenset(f[0] for f in fields if f[2]),
        dict(schema),
    )
    if len(_SCHEMAS) < 10_000:
        _SCHEMAS[id(schema)] = (schema, compiled)  # the schema itself is kept, so its id is not reused
    return compiled


def validate_facts(
    raw: Mapping[str, Any],
    schema: Mapping[str, FactSpec],
    derived: list[tuple[str, Derivation]],
    *,
    context: str = "",
    tolerated: frozenset[str] = frozenset(),
) -> dict[str, Value | None]:
    """Check the officer's facts against the schema; fill defaults; compute derived facts.

    Undeclared facts are refused (a typo must not silently drop a circumstance), except
    those in `tolerated` (declared by another version being compared under 第三十七条).
    Only the facts given are converted (the rest start from their defaults); when anything is
    wrong, the checks run again in schema order so that the error reported is always the first.
    """
    if not isinstance(raw, dict) and not isinstance(raw, abc.Mapping):
        raise FactError("facts must be an object of name: value", field="facts")
    unknown = raw.keys() - schema.keys()
    if unknown and tolerated:
        unknown -= tolerated
    if unknown:
        suffix = f" ({context})" if context else ""
        raise FactError(
            f"not a fact of this item{suffix}; declared: {', '.join(sorted(schema))}", field=f"facts.{min(unknown)}"
        )
    sc = _compiled(schema)
    out = dict(sc.defaults)
    specs = sc.specs
    try:
        for name, given in raw.items():
            spec = specs.get(name)
            if spec is None or given is None:
                continue  # tolerated, or left to its default
            if given is True or given is False:
                out[name] = given if spec.type == "bool" else _coerce(name, spec, given)
            else:
                out[name] = _coerce(name, spec, given)
        if sc.derived and not sc.derived.isdisjoint(raw.keys()):
            raise FactError("derived")
        for name in sc.required:
            if out[name] is None:
                raise FactError("required")
    except FactError:
        _first_error(raw, sc, context)
        raise
    for name, fn in derived:
        out[name] = fn(out)
    return out


def _first_error(raw: Mapping[str, Any], sc: _Schema, context: str) -> None:
    """Raise the first error in schema order (the error users and tests see)."""
    for name, spec, is_derived, required, _ in sc.fields:
        if is_derived:
            if name in raw:
                raise FactError("is derived from other facts and cannot be given", field=f"facts.{name}")
            continue
        given = raw.get(name)
        if given is None:
            if required:
                raise FactError(
                    f"required ({spec.label})" + (f" ({context})" if context else ""), field=f"facts.{name}"
                )
        else:
            _coerce(name, spec, given)

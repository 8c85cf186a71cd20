"""The condition language: comparisons of declared facts with constants, and/or/not.

Parsed with `ast` against a whitelist (no eval, no calls, no attributes), type-checked against
the fact schema, normalised to negation normal form (durable_rules has no general `not`), then
compiled two ways: a durable_rules JSON condition (`to_durable`) and a reference predicate
(`holds`). Every condition is a union of boxes in fact space, so the thresholds it mentions
cut each fact's axis into cells (`cell_of`) within which its truth never changes.

Semantics, identical in both compilations: a comparison on an absent fact is false (after
negation has been pushed down to the comparisons).
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from operator import itemgetter
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Any
from collections.abc import Callable, Mapping

from .bounds import MAX_MONEY, MAX_NUMBER, BoundError, bounded_decimal
from .errors import ConditionError
from .ruleset import FactSpec

Value = Decimal | int | bool | str
NUMERIC = ("money", "number", "integer")
#: number facts travel to durable_rules as integers at this scale (exact, see `encode_number`)
NUMBER_SCALE = Decimal(10) ** 6

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_AST_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


@dataclass(frozen=True, slots=True)
class Cmp:
    """fact <op> value."""

    fact: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Given:
    """`given(fact)`: the fact was supplied (present) — or, negated, not supplied (absent).

    违法所得无法确定 (absent) and 没有违法所得 (0) are different facts: `illegal_gain == 0` never
    holds for an absent gain, and `not given(illegal_gain)` never holds for a gain of 0."""

    fact: str
    present: bool = True


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    part: Node


@dataclass(frozen=True, slots=True)
class Always:
    value: bool


Node = Cmp | Given | AllOf | AnyOf | Negation | Always


@dataclass(frozen=True)
class Condition:
    """A parsed, type-checked condition in negation normal form, with its source text."""

    text: str
    node: Node

    @cached_property
    def facts(self) -> tuple[str, ...]:
        """The facts this condition reads, sorted."""
        out: set[str] = set()
        _collect_facts(self.node, out)
        return tuple(sorted(out))

    def holds(self, facts: Mapping[str, Value | None]) -> bool:
        """The reference predicate: plain Python, used for verification and differential tests."""
        return _holds(self.node, facts)

    def to_durable(self, types: Mapping[str, str]) -> dict[str, Any]:
        """The durable_rules form, values encoded as `encode` does."""
        return _to_durable(self.node, types)

    def thresholds(self) -> dict[str, set[Value]]:
        """Every constant each fact is compared with."""
        out: dict[str, set[Value]] = {}
        _collect_thresholds(self.node, out)
        return out


ALWAYS = Condition("", Always(True))


# ---------------------------------------------------------------- parsing


def parse_condition(text: str | None, schema: Mapping[str, FactSpec], *, field: str | None = None) -> Condition:
    """Parse and type-check `text` against `schema`; raise ConditionError with the column."""
    if text is None or not text.strip():
        return ALWAYS
    src = text.strip()
    tree = parse_source(src, field)
    node = _nnf(_Parser(src, schema, field).node(tree), negate=False)
    read = _collect_facts(node, set()) | {given_flag(f) for f in given_facts(node, set())}
    if len(read) > MAX_FACTS:  # what one durable_rules message carries (engine.MAX_PROPERTIES)
        raise ConditionError(
            f"reads {len(read)} facts and given() flags; at most {MAX_FACTS}: split it into list entries or tiers",
            text=src[:60],
            position=1,
            field=field,
        )
    return Condition(src, node)


#: bounds on one condition or derived expression, checked before it is compiled: real benchmark
#: conditions have a handful of comparisons; 10,000 `and` terms or 5,000 nested `not` are an attack
MAX_SOURCE = 4_000
MAX_NODES = 400
MAX_DEPTH = 40
#: the facts (and given() flags) one condition may read: what one durable_rules message carries beside
#: its three fixed fields (engine.MAX_PROPERTIES − 3); real benchmark conditions read a handful
MAX_FACTS = 64


def parse_source(src: str, field: str | None) -> ast.expr:
    """Parse an expression whose length, node count and nesting are bounded; else ConditionError."""
    if len(src) > MAX_SOURCE:
        raise ConditionError(
            f"longer than {MAX_SOURCE} characters", text=src[:60] + "…", position=MAX_SOURCE + 1, field=field
        )
    if "\x00" in src:
        raise ConditionError(
            "contains a NUL character", text=src.replace("\x00", "\\0"), position=src.index("\x00") + 1, field=field
        )
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        raise ConditionError(
            f"syntax error: {e.msg}", text=src, position=e.offset or len(src) + 1, field=field
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ConditionError(f"nested deeper than {MAX_DEPTH} levels", text=src[:60], position=1, field=field) from None
    check_size(tree, src, field)
    return tree.body


def check_size(tree: ast.AST, src: str, field: str | None) -> None:
    """Refuse an expression of more than MAX_NODES nodes or MAX_DEPTH levels (walked without recursion)."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ConditionError(
                f"more than {MAX_NODES} terms: split it into list entries or tiers",
                text=src[:60],
                position=getattr(node, "col_offset", 0) + 1,
                field=field,
            )
        if depth > MAX_DEPTH:
            raise ConditionError(
                f"nested deeper than {MAX_DEPTH} levels",
                text=src[:60],
                position=getattr(node, "col_offset", 0) + 1,
                field=field,
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Parser:
    def __init__(self, src: str, schema: Mapping[str, FactSpec], field: str | None) -> None:
        self.src, self.schema, self.field = src, schema, field

    def fail(self, message: str, node: ast.AST) -> ConditionError:
        return ConditionError(message, text=self.src, position=getattr(node, "col_offset", 0) + 1, field=self.field)

    def node(self, n: ast.expr) -> Node:
        if isinstance(n, ast.BoolOp):
            parts = tuple(self.node(v) for v in n.values)
            return AllOf(parts) if isinstance(n.op, ast.And) else AnyOf(parts)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            return Negation(self.node(n.operand))
        if isinstance(n, ast.Compare):
            return self.compare(n)
        if isinstance(n, ast.Name):
            spec = self.fact(n)
            if spec.type != "bool":
                raise self.fail(f"fact {n.id!r} is {spec.type}, not bool: compare it with a constant", n)
            return Cmp(n.id, "==", True)
        if isinstance(n, ast.Constant) and isinstance(n.value, bool):
            return Always(n.value)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "given":
            return self.given(n)
        raise self.fail(
            f"{type(n).__name__} is not allowed in a condition (only comparisons of facts with constants, and/or/not)",
            n,
        )

    def given(self, n: ast.Call) -> Node:
        """`given(fact)`: only for a fact that may be absent (not required, no default, not derived)."""
        if n.keywords or len(n.args) != 1 or not isinstance(n.args[0], ast.Name):
            raise self.fail("given() takes one fact name: given(illegal_gain)", n)
        name = n.args[0]
        spec = self.fact(name)
        if spec.is_required:
            raise self.fail(
                f"given({name.id}): {name.id!r} is required, so it is always given; "
                "declare it `required: false` to tell 无法确定 from 0",
                name,
            )
        if spec.default is not None:
            raise self.fail(f"given({name.id}): {name.id!r} has a default, so it is never absent", name)
        return Given(name.id)

    def fact(self, n: ast.Name) -> FactSpec:
        spec = self.schema.get(n.id)
        if spec is None:
            raise self.fail(f"{n.id!r} is not a declared fact", n)
        return spec

    def compare(self, n: ast.Compare) -> Node:
        operands = [n.left, *n.comparators]
        parts: list[Node] = []
        for op, left, right in zip(n.ops, operands[:-1], operands[1:], strict=True):
            parts.append(self.pair(op, left, right, n))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def pair(self, op: ast.cmpop, left: ast.expr, right: ast.expr, whole: ast.Compare) -> Node:
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(left, ast.Name):
                raise self.fail("the left side of `in` must be a fact", left)
            spec = self.fact(left)
            if not isinstance(right, (ast.List, ast.Tuple)) or not right.elts:
                raise self.fail("`in` needs a non-empty list of constants", right)
            values = [self.constant(e, left.id, spec) for e in right.elts]
            if spec.type == "bool":
                raise self.fail(f"`in` on bool fact {left.id!r}", left)
            eq = [Cmp(left.id, "==", v) for v in values]
            node: Node = eq[0] if len(eq) == 1 else AnyOf(tuple(eq))
            return Negation(node) if isinstance(op, ast.NotIn) else node
        sym = _AST_OPS.get(type(op))
        if sym is None:
            raise self.fail(f"operator {type(op).__name__} is not allowed", whole)
        if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
            name, const, final = left, right, sym
        elif isinstance(right, ast.Name) and not isinstance(left, ast.Name):
            name, const, final = right, left, _FLIP[sym]
        elif isinstance(left, ast.Name):
            raise self.fail("comparing two facts is not allowed: declare a derived fact", right)
        else:
            for side in (left, right):
                if not isinstance(side, (ast.Constant, ast.UnaryOp)):
                    raise self.fail(
                        f"{type(side).__name__} is not allowed in a condition "
                        "(only comparisons of facts with constants, and/or/not)",
                        side,
                    )
            raise self.fail("a comparison needs a fact on one side", left)
        spec = self.fact(name)
        if spec.type in ("enum", "bool") and final not in ("==", "!="):
            raise self.fail(f"ordering comparison {final!r} on {spec.type} fact {name.id!r}", whole)
        value = self.constant(const, name.id, spec)
        return Cmp(name.id, final, value)

    def constant(self, n: ast.expr, fact: str, spec: FactSpec) -> Value:
        negative = False
        inner: ast.expr
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant):
            negative, inner = True, n.operand
        else:
            inner = n
        if not isinstance(inner, ast.Constant):
            raise self.fail(f"{type(n).__name__} is not a constant", n)
        v = inner.value
        if spec.type == "bool":
            if not isinstance(v, bool) or negative:
                raise self.fail(f"bool fact {fact!r} compares with True or False, not {v!r}", n)
            return v
        if spec.type == "enum":
            if not isinstance(v, str) or negative:
                raise self.fail(f"enum fact {fact!r} compares with a string, not {v!r}", n)
            if v not in (spec.values or []):
                raise self.fail(f"{v!r} is not a value of {fact!r} (values: {', '.join(spec.values or [])})", n)
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"{spec.type} fact {fact!r} compares with a number, not {v!r}", n)
        segment = ast.get_source_segment(self.src, inner) or repr(v)
        places = 2 if spec.type == "money" else 6
        try:  # bounded before any arithmetic: `x < 1e400` is refused, not rounded (bounds.py)
            number = bounded_decimal(
                segment.replace("_", ""),
                what=f"{spec.type} constant",
                limit=MAX_MONEY if spec.type == "money" else MAX_NUMBER,
                decimals=places,
            )
        except BoundError as e:
            raise self.fail(str(e), n) from None
        if negative:
            number = -number
        if spec.type == "integer" and number != number.to_integral_value():
            raise self.fail(f"integer fact {fact!r} compared with a fraction {number}", n)
        return int(number) if spec.type == "integer" else number


# ---------------------------------------------------------------- normal form


def _nnf(node: Node, *, negate: bool) -> Node:
    if isinstance(node, Cmp):
        return Cmp(node.fact, _NEGATE[node.op], node.value) if negate else node
    if isinstance(node, Always):
        return Always(node.value != negate)
    if isinstance(node, Given):
        return Given(node.fact, node.present != negate)
    if isinstance(node, Negation):
        return _nnf(node.part, negate=not negate)
    parts = tuple(_nnf(p, negate=negate) for p in node.parts)
    conj = isinstance(node, AllOf) != negate
    flat: list[Node] = []
    for p in parts:
        if isinstance(p, AllOf if conj else AnyOf):
            flat.extend(p.parts)
        else:
            flat.append(p)
    return AllOf(tuple(flat)) if conj else AnyOf(tuple(flat))


# ---------------------------------------------------------------- reference predicate


def _compare(a: Value, op: str, b: Value) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b  # type: ignore[operator]  # ordering ops are parsed for numeric facts only
    if op == "<=":
        return a <= b  # type: ignore[operator]  # (the same)
    if op == ">":
        return a > b  # type: ignore[operator]  # (the same)
    return a >= b  # type: ignore[operator]  # (the same)


def _holds(node: Node, facts: Mapping[str, Value | None]) -> bool:
    if isinstance(node, Cmp):
        v = facts.get(node.fact)
        return v is not None and _compare(v, node.op, node.value)
    if isinstance(node, Given):
        return (facts.get(node.fact) is not None) == node.present
    if isinstance(node, AllOf):
        return all(_holds(p, facts) for p in node.parts)
    if isinstance(node, AnyOf):
        return any(_holds(p, facts) for p in node.parts)
    if isinstance(node, Always):
        return node.value
    raise TypeError("conditions are in negation normal form")  # pragma: no cover


# ---------------------------------------------------------------- durable_rules form

#: every fact asserted to durable_rules carries this marker, so Always(True) has something to match
MARK = "_mark"


def given_flag(fact: str) -> str:
    """The field the matcher sets to 1 or 0 for a fact a `given()` test reads (present or absent)."""
    return f"_given_{fact}"


def given_facts(node: Node, out: set[str]) -> set[str]:
    """The facts `given()` tests read."""
    if isinstance(node, Given):
        out.add(node.fact)
    elif isinstance(node, (AllOf, AnyOf)):
        for p in node.parts:
            given_facts(p, out)
    return out


def encode_number(v: Decimal) -> int:
    """Exact integer image of a number for durable_rules: 2·⌊v·10⁶⌋, plus 1 if v·10⁶ is fractional.

    Constants (at most six decimals) encode to even integers, so <, <=, == and != between a fact
    and a constant keep their truth for every value, not just those with six decimals.
    """
    scaled = v * NUMBER_SCALE
    floor = int(scaled.to_integral_value(rounding="ROUND_FLOOR"))
    return 2 * floor + (0 if scaled == floor else 1)


def encode(value: Value, type_: str) -> int | bool | str:
    """A fact value or constant in the form durable_rules compares (money as integer fen)."""
    if type_ == "money":
        return int((Decimal(value) * 100).to_integral_value(rounding="ROUND_FLOOR"))
    if type_ == "number":
        return encode_number(Decimal(value))
    if type_ == "integer":
        return int(value)
    return value  # type: ignore[return-value]  # bool and enum facts: a bool or a str, as validated


_DR_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}


def _to_durable(node: Node, types: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(node, Cmp):
        v = encode(node.value, types[node.fact])
        return {node.fact: v} if node.op == "==" else {_DR_OPS[node.op]: {node.fact: v}}
    if isinstance(node, Always):
        return {MARK: 1 if node.value else 2}
    if isinstance(node, Given):  # durable_rules' $nex loops on a retracted fact: the matcher sends a flag instead
        return {given_flag(node.fact): 1 if node.present else 0}
    assert not isinstance(node, Negation), "conditions reach durable_rules in negation normal form (_nnf)"
    key = "$and" if isinstance(node, AllOf) else "$or"
    return {key: [_to_durable(p, types) for p in node.parts]}


# ---------------------------------------------------------------- facts and cells


def _collect_facts(node: Node, out: set[str]) -> set[str]:
    if isinstance(node, (Cmp, Given)):
        out.add(node.fact)
    elif isinstance(node, (AllOf, AnyOf)):
        for p in node.parts:
            _collect_facts(p, out)
    return out


def _collect_thresholds(node: Node, out: dict[str, set[Value]]) -> None:
    if isinstance(node, Cmp):
        out.setdefault(node.fact, set()).add(node.value)
    elif isinstance(node, Given):
        out.setdefault(node.fact, set())  # present or absent: a cell of its own, whatever the value
    elif isinstance(node, (AllOf, AnyOf)):
        for p in node.parts:
            _collect_thresholds(p, out)


def bucket(value: Value | None, thresholds: tuple[Decimal, ...]) -> int:
    """The cell of a number among sorted thresholds: 2i below the i-th, 2i+1 on it; -1 if absent."""
    if value is None:
        return -1
    i = bisect_left(thresholds, value)
    if i < len(thresholds) and thresholds[i] == value:
        return 2 * i + 1
    return 2 * i


def cell_function(
    conditions: list[Condition], types: Mapping[str, str]
) -> tuple[tuple[str, ...], Callable[[Mapping[str, Value | None]], tuple[Any, ...]], dict[str, int]]:
    """The facts the conditions read, a function mapping facts to their cell key, and where each fact's
    value (or bucket) sits in that key.

    Facts in one cell satisfy exactly the same conditions: numbers are bucketed by the
    thresholds compared with them; enums and bools are their own cells. So does each condition alone
    within the part of the key made of the facts it reads (evaluation/cells.py relies on it).
    """
    merged: dict[str, set[Value]] = {}
    for c in conditions:
        for f, vals in c.thresholds().items():
            merged.setdefault(f, set()).update(vals)
    names = tuple(sorted(merged))
    numeric = {f: tuple(sorted(Decimal(v) for v in merged[f])) for f in names if types[f] in NUMERIC}

    plain = [f for f in names if f not in numeric]
    counted = [(f, numeric[f]) for f in names if f in numeric]
    take = itemgetter(*plain) if len(plain) > 1 else None

    def key(facts: Mapping[str, Value | None]) -> tuple[Any, ...]:
        """Enum and bool values as they are, then each number's bucket (the order is fixed per item)."""
        get = facts.get
        try:
            values = take(facts) if take is not None else tuple([get(f) for f in plain])
        except KeyError:  # some fact absent: absent reads as None, as in the conditions
            values = tuple([get(f) for f in plain])
        return values + tuple([bucket(get(f), th) for f, th in counted])

    positions = {f: i for i, f in enumerate([*plain, *(f for f, _ in counted)])}
    return names, key, positions

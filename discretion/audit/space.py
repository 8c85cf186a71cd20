"""The fact space of one item, cut into independent parts, so verify can cover all of it.

Every condition is a union of boxes: the constants it compares a fact with cut that fact's axis
into buckets (below, on, between, above each constant), and every value of one bucket meets the
same conditions. A cell is one bucket per fact; an item's cells are the product of its facts'
buckets, which for real catalogues reaches millions. They need not be walked one by one:

- conditions that read disjoint sets of facts are independent, so the facts split into
  *components* (facts joined when one condition reads both, a derived fact joined with its
  inputs); the cells of a component are few and are enumerated exactly;
- each cell of a component is reduced to its *signature*, the conditions it meets; the item's
  cells are every combination of one cell per component, and a combination meets exactly the
  union of their signatures;
- what the checks read of a combination (`Projection`) is smaller still: whether a mandatory
  no-penalty or exemption entry settles it, which clauses, fallbacks and tiers hold, how many
  tier-raising entries act, and the sum of the weights that hold (kept as its lowest and highest
  value, each with the cells that reach it). Folding the components one by one and merging equal
  states gives every state any cell can reach, each with a real example case.

So every cell is checked without being visited: each maps to a state, and every state is checked.
A component whose own cells exceed the budget, and a derived fact (a ratio of two facts) whose
buckets are found by solving rather than by construction, are the cases where this is not a
proof; `Space.incomplete` says which and how many cells.
"""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from ..compiler import CompiledItem
from ..conditions import Condition, Value
from ..ruleset import FactSpec

#: cells of one component enumerated at most (beyond: a seeded sample, reported as not exhaustive)
COMPONENT_LIMIT = 200_000

_STEP = {"money": Decimal("0.01"), "integer": Decimal(1)}


@dataclass(frozen=True)
class Atom:
    """One thing a cell either meets or not: a condition of the item, or "the fine's base is zero
    or unknown"."""

    key: str
    facts: tuple[str, ...]  # the facts it reads (derived ones included)
    test: Callable[[Mapping[str, Value | None]], bool]
    thresholds: dict[str, set[Value]] = field(default_factory=dict)


def atoms_of(ci: CompiledItem) -> list[Atom]:
    """Every condition of the item, and for each base of a multiple the atom `base0:<fact>` (the
    statute's fallback range applies when the base is zero or unknown, whatever the conditions
    say)."""
    # keys as the trace shows them (statutory:base, tier:minor …)
    out = [_condition_atom(str(k), c) for k, c in ci.conditions.items()]
    bases = sorted({c.fine.multiple_of for c in ci.item.statutory if c.fine is not None and c.fine.multiple_of})
    for b in bases:
        out.append(
            Atom(
                f"base0:{b}",
                (b,),
                lambda f, b=b: f.get(b) is None or f.get(b) == 0,  # type: ignore[misc]  # b=b binds the loop value
                {b: {Decimal(0)}},
            )
        )
    return out


def _condition_atom(key: str, cond: Condition) -> Atom:
    return Atom(key, cond.facts, cond.holds, cond.thresholds())


# ---------------------------------------------------------------- one value per bucket


def representatives(spec: FactSpec, cuts: Iterable[Value]) -> list[Value | None]:
    """One valid value in every non-empty bucket the cuts make of the fact's axis, plus absent
    where the fact may be left out (None). Only values the fact validation accepts are returned."""
    out: list[Value | None]
    if spec.type == "bool":
        out = [False, True]
    elif spec.type == "enum":
        out = list(spec.values or [])
    else:
        out = list(_numeric_representatives(spec, sorted({Decimal(v) for v in cuts})))
    if not spec.is_required and spec.default is None and spec.derived is None:
        out.append(None)
    return out


def _numeric_representatives(spec: FactSpec, cuts: list[Decimal]) -> Iterable[Value]:
    low = spec.minimum
    if spec.type == "money":
        low = Decimal(0) if low is None else max(low, Decimal(0))
    high = spec.maximum
    bounds: list[Decimal | None] = [None, *cuts, None]
    seen: set[Decimal] = set()
    for i in range(len(bounds) - 1):
        a, b = bounds[i], bounds[i + 1]
        hit = _inside(spec.type, a, b, low, high)
        if hit is not None and hit not in seen:
            seen.add(hit)
            yield _typed(spec.type, hit)
        if b is not None and b not in seen and _valid(spec.type, b, low, high):
            seen.add(b)
            yield _typed(spec.type, b)


def _valid(type_: str, v: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    step = _STEP.get(type_)
    if step is not None and v != v.quantize(step):
        return False
    return (low is None or v >= low) and (high is None or v <= high)


def _inside(
    type_: str, a: Decimal | None, b: Decimal | None, low: Decimal | None, high: Decimal | None
) -> Decimal | None:
    """A valid value strictly between a and b (None: unbounded), or None if the bucket is empty."""
    step = _STEP.get(type_, Decimal(1))
    candidates: list[Decimal] = []
    if a is not None:
        candidates.append(_grid_above(type_, a))
    if b is not None:
        candidates.append(_grid_below(type_, b))
    if a is not None and b is not None and type_ == "number":
        candidates.append((a + b) / 2)
    for edge in (low, high):
        if edge is not None:
            candidates.append(edge.quantize(step, rounding=ROUND_CEILING) if type_ in _STEP else edge)
    if a is None and b is None:
        candidates.append(Decimal(0))
    if low is not None and high is not None and type_ == "number":
        candidates.append((max(low, a) if a is not None else low) / 2 + (min(high, b) if b is not None else high) / 2)
    for c in candidates:
        if (a is None or c > a) and (b is None or c < b) and _valid(type_, c, low, high):
            return c
    return None


def _grid_above(type_: str, a: Decimal) -> Decimal:
    step = _STEP.get(type_)
    if step is None:
        return a + 1 if a == a.to_integral_value() else a.to_integral_value(rounding=ROUND_CEILING)
    return (a + step).quantize(step) if a == a.quantize(step) else a.quantize(step, rounding=ROUND_CEILING)


def _grid_below(type_: str, b: Decimal) -> Decimal:
    step = _STEP.get(type_, Decimal(1))
    return (b - step).quantize(step) if type_ in _STEP else b - 1


def _typed(type_: str, v: Decimal) -> Value:
    return int(v) if type_ == "integer" else v


# ---------------------------------------------------------------- components


@dataclass
class Component:
    """Facts some condition reads together, the atoms that read them, and the distinct signatures of
    their cells: signature → (an example assignment, how many cells have it)."""

    facts: tuple[str, ...]
    atoms: list[Atom]
    cells: int = 0
    enumerated: int = 0
    signatures: dict[frozenset[str], tuple[dict[str, Value | None], int]] = field(default_factory=dict)
    solved: bool = False  # derived facts reached by solving, not by construction

    @property
    def exhaustive(self) -> bool:
        return self.enumerated == self.cells and not self.solved


def components(ci: CompiledItem, atoms: list[Atom]) -> list[Component]:
    """Union-find over the facts: joined when one atom reads both, or a derived fact uses
    another."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(x: str, y: str) -> None:
        parent[find(x)] = find(y)

    for a in atoms:
        for f in a.facts:
            find(f)
        for f, g in itertools.pairwise(a.facts):
            join(f, g)
    derived = _derived_inputs(ci)
    pending = [n for n in derived if n in parent]
    while pending:  # a derived fact brings its inputs in, and theirs
        name = pending.pop()
        for d in derived[name]:
            if d in derived and d not in parent:
                pending.append(d)
            join(name, d)
    groups: dict[str, list[str]] = {}
    for f in list(parent):
        groups.setdefault(find(f), []).append(f)
    out = []
    for members in sorted(groups.values(), key=lambda m: sorted(m)):
        fs = set(members)
        out.append(Component(tuple(sorted(members)), [a for a in atoms if fs & set(a.facts)]))
    return out


def _derived_inputs(ci: CompiledItem) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, spec in ci.schema.items():
        if spec.derived:
            out[name] = tuple(
                sorted({n.id for n in ast.walk(ast.parse(spec.derived, mode="eval")) if isinstance(n, ast.Name)})
            )
    return out


def enumerate_component(ci: CompiledItem, comp: Component, limit: int = COMPONENT_LIMIT) -> None:
    """Fill the component's signatures by walking its cells (a seeded sample beyond `limit`)."""
    given = [f for f in comp.facts if ci.schema[f].derived is None]
    cuts: dict[str, set[Value]] = {f: set() for f in given}
    for a in comp.atoms:
        for f, vals in a.thresholds.items():
            if f in cuts:
                cuts[f] |= vals
    choices = [representatives(ci.schema[f], cuts[f]) for f in given]
    derived = [(n, fn) for n, fn in ci.derived if n in comp.facts]
    if derived:
        comp.solved = True
        choices = _with_solutions(ci, comp, given, choices)
    total = 1
    for c in choices:
        total *= len(c)
    comp.cells = total
    if total <= limit:
        combos: Iterable[tuple[Value | None, ...]] = itertools.product(*choices)
        comp.enumerated = total
    else:
        rnd = random.Random(0)
        combos = (tuple(rnd.choice(c) for c in choices) for _ in range(limit))
        comp.enumerated = limit
    for combo in combos:
        assignment = dict(zip(given, combo, strict=True))
        facts: dict[str, Value | None] = dict(assignment)
        for n, fn in derived:
            facts[n] = fn(facts)
        sig = frozenset(a.key for a in comp.atoms if a.test(facts))
        hit = comp.signatures.get(sig)
        comp.signatures[sig] = (assignment, 1) if hit is None else (hit[0], hit[1] + 1)


def _with_solutions(
    ci: CompiledItem, comp: Component, given: list[str], choices: list[list[Value | None]]
) -> list[list[Value | None]]:
    """Add, for each bucket of a derived fact, input values that put it there (solving the
    expression for one input at the other inputs' representatives). This finds the buckets; it does
    not prove that every combination of buckets has been reached, so the component is reported as
    not exhaustive."""
    out = [list(c) for c in choices]
    index = {f: i for i, f in enumerate(given)}
    for name, spec in ci.schema.items():
        if name not in comp.facts or not spec.derived:
            continue
        targets = set()
        for a in comp.atoms:
            targets |= {Decimal(v) for v in a.thresholds.get(name, ())}
        points = sorted(targets)
        wanted = set(points) | {(x + y) / 2 for x, y in itertools.pairwise(points)}
        if points:
            wanted |= {points[0] - 1, points[-1] + 1, points[0] / 2, points[-1] * 2}
        tree = ast.parse(spec.derived or "", mode="eval").body
        inputs = [f for f in _derived_inputs(ci)[name] if f in index]
        for x in inputs:
            others = [f for f in inputs if f != x]
            for combo in itertools.product(*[[v for v in out[index[o]] if v is not None] for o in others]):
                env = {o: Decimal(v) for o, v in zip(others, combo, strict=True)}
                for t in wanted:
                    v = _solve(tree, t, x, env)
                    if v is None:
                        continue
                    for near in _near(ci.schema[x], v):
                        if near not in out[index[x]]:
                            out[index[x]].append(near)
    return out


def _near(spec: FactSpec, v: Decimal) -> list[Value]:
    step = _STEP.get(spec.type, Decimal("0.000001"))
    found: list[Value] = []
    for c in (v.quantize(step), v.quantize(step) + step, v.quantize(step) - step):
        low = spec.minimum if spec.type != "money" else max(spec.minimum or Decimal(0), Decimal(0))
        if _valid(spec.type, c, low, spec.maximum):
            found.append(_typed(spec.type, c))
    return found


def _solve(node: ast.expr, target: Decimal, var: str, env: Mapping[str, Decimal]) -> Decimal | None:
    """The value of `var` that makes the expression equal `target`, when `var` occurs once."""
    try:
        if isinstance(node, ast.Name):
            return target if node.id == var else None
        if not isinstance(node, ast.BinOp):
            return None
        left_has = any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(node.left))
        inner, other = (node.left, node.right) if left_has else (node.right, node.left)
        o = _value(other, env)
        if o is None:
            return None
        op = type(node.op)
        if op is ast.Add:
            t = target - o
        elif op is ast.Sub:
            t = target + o if left_has else o - target
        elif op is ast.Mult:
            t = target / o
        elif op is ast.Div:
            t = target * o if left_has else o / target
        else:
            return None
        return _solve(inner, t, var, env)
    except (ArithmeticError, InvalidOperation):
        return None


def _value(node: ast.expr, env: Mapping[str, Decimal]) -> Decimal | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, env), _value(node.right, env)
        if a is None or b is None:
            return None
        ops: dict[type, Callable[[Decimal, Decimal], Decimal]] = {
            ast.Add: Decimal.__add__,
            ast.Sub: Decimal.__sub__,
            ast.Mult: Decimal.__mul__,
            ast.Div: Decimal.__truediv__,
        }
        fn = ops.get(type(node.op))
        return fn(a, b) if fn else None
    return None


# ---------------------------------------------------------------- folding components into states


@dataclass
class Reach:
    """How one state is reached: the lowest and highest weight sum over its cells, the component
    cells (one per component) that reach each, and how many cells of the item land in the state."""

    low: Decimal
    low_parts: tuple[dict[str, Value | None], ...]
    high: Decimal
    high_parts: tuple[dict[str, Value | None], ...]
    cells: int

    def example(self, which: str = "low") -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in self.low_parts if which == "low" else self.high_parts:
            merged.update(part)
        return merged


#: a state's key: (the state atoms that hold, settled by a mandatory no-penalty/exemption entry,
#: tier-raising entries that act)
StateKey = tuple[frozenset[str], bool, int]
SETTLED: StateKey = (frozenset(), True, 0)


@dataclass(frozen=True)
class Projection:
    """What the checks read of a signature: which atoms stay in the state, which settle the case,
    which raise the tier, and the weight each atom adds."""

    keep: Callable[[str], bool]
    settles: frozenset[str]
    raises: frozenset[str]
    weights: dict[str, Decimal]

    def __call__(self, sig: frozenset[str]) -> tuple[StateKey, Decimal]:
        if sig & self.settles:
            return SETTLED, Decimal(0)
        return (
            (frozenset(k for k in sig if self.keep(k)), False, len(sig & self.raises)),
            sum((self.weights[k] for k in sig if k in self.weights), Decimal(0)),
        )


def fold(comps: list[Component], project: Projection) -> dict[StateKey, Reach]:
    """Every state some cell reaches, with examples: the components combined one at a time."""
    states: dict[StateKey, Reach] = {(frozenset(), False, 0): Reach(Decimal(0), (), Decimal(0), (), 1)}
    for comp in comps:
        local: dict[StateKey, Reach] = {}
        for sig, (example, n) in comp.signatures.items():
            key, w = project(sig)
            _merge(local, key, Reach(w, (example,), w, (example,), n))
        nxt: dict[StateKey, Reach] = {}
        for (k1, r1), (k2, r2) in itertools.product(states.items(), local.items()):
            key = SETTLED if k1 == SETTLED or k2 == SETTLED else (k1[0] | k2[0], False, k1[2] + k2[2])
            _merge(
                nxt,
                key,
                Reach(
                    r1.low + r2.low,
                    r1.low_parts + r2.low_parts,
                    r1.high + r2.high,
                    r1.high_parts + r2.high_parts,
                    r1.cells * r2.cells,
                ),
            )
        states = nxt
    return states


def _merge(into: dict[StateKey, Reach], key: StateKey, r: Reach) -> None:
    hit = into.get(key)
    if hit is None:
        into[key] = r
        return
    if r.low < hit.low:
        hit.low, hit.low_parts = r.low, r.low_parts
    if r.high > hit.high:
        hit.high, hit.high_parts = r.high, r.high_parts
    hit.cells += r.cells


@dataclass
class Space:
    """An item's fact space, decomposed: its components, the reachable states, the cells they cover,
    and what (if anything) was not covered by construction."""

    components: list[Component]
    states: dict[StateKey, Reach]
    fixed: dict[str, Value]  # required facts no condition reads: one value serves every cell
    empty: list[str] = field(default_factory=list)  # facts no value of which validates

    @property
    def cells(self) -> int:
        total = 1
        for c in self.components:
            total *= c.cells
        return total

    @property
    def incomplete(self) -> list[str]:
        """Why some cells are not covered by construction, one sentence per component."""
        out = []
        for c in self.components:
            if c.enumerated < c.cells:
                out.append(f"facts {', '.join(c.facts)}: {c.cells:,} cells, {c.enumerated:,} sampled")
            elif c.solved:
                out.append(
                    f"facts {', '.join(c.facts)}: the buckets of a derived fact were found by "
                    f"solving its expression ({c.cells:,} cells tried); that every combination "
                    "is reached is not proven"
                )
        return out


def decompose(ci: CompiledItem, project: Projection, limit: int = COMPONENT_LIMIT) -> Space:
    """Decompose the item's fact space and fold it into the states the checks read."""
    atoms = atoms_of(ci)
    comps = components(ci, atoms)
    for comp in comps:
        enumerate_component(ci, comp, limit)
    constant = [a for a in atoms if not a.facts]  # conditions that read nothing (no `when`): one cell
    if constant:
        sig = frozenset(a.key for a in constant if a.test({}))
        comps.insert(0, Component((), constant, cells=1, enumerated=1, signatures={sig: ({}, 1)}))
    read = {f for c in comps for f in c.facts}
    fixed: dict[str, Value] = {}
    empty: list[str] = []
    for name, spec in ci.schema.items():
        if spec.is_required and spec.derived is None and name not in read:
            value = next((v for v in representatives(spec, ()) if v is not None), None)
            if value is None:
                empty.append(name)
            else:
                fixed[name] = value
    for comp in comps:
        for f in comp.facts:
            spec = ci.schema[f]
            if spec.derived is None and not representatives(spec, ()):
                empty.append(f)
    return Space(comps, fold(comps, project), fixed, sorted(set(empty)))

"""Hypothesis strategies: facts for a compiled item, concentrated on its thresholds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from discretion.compiler import CompiledItem
from discretion.conditions import Cmp
from discretion.facts import parse_derived
from discretion.keys import RuleKey

OFFSETS = [
    Decimal(0),
    Decimal("0.01"),
    Decimal("-0.01"),
    Decimal(1),
    Decimal(-1),
    Decimal("0.000001"),
    Decimal("-0.000001"),
]


def thresholds(ci: CompiledItem, fact: str) -> list[Decimal]:
    out: set[Decimal] = set()
    for c in ci.conditions.values():
        for v in c.thresholds().get(fact, ()):
            if isinstance(v, (Decimal, int)) and not isinstance(v, bool):
                out.add(Decimal(v))
    return sorted(out)


def value_for(ci: CompiledItem, name: str) -> st.SearchStrategy[Any]:
    spec = ci.schema[name]
    if spec.type == "bool":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values or [])
    near = thresholds(ci, name)
    lo = spec.minimum if spec.minimum is not None else (Decimal(0) if spec.type == "money" else Decimal(-1000))
    hi = spec.maximum if spec.maximum is not None else Decimal(10**7)
    places = {"money": 2, "number": 6, "integer": 0}[spec.type]
    # a threshold and an offset from it (two independent choices; a flatmap here built a new strategy
    # for every value drawn)
    edges = st.tuples(st.sampled_from(near or [lo]), st.sampled_from(OFFSETS)).map(
        lambda t_o: (t_o[0] + t_o[1]).quantize(Decimal(1).scaleb(-places))
    )
    anywhere = st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False)
    values = st.one_of(edges, anywhere).filter(lambda v: lo <= v <= hi)
    return values.map(int) if spec.type == "integer" else values


def needed(ci: CompiledItem) -> set[str]:
    """Optional facts the item still cannot do without: the base of a statutory fine that is a multiple
    of it with no fallback for an unknown base (违法所得无法确定 has no range of its own there), and the
    facts such a derived base is computed from. The schema says `required: false` because other items
    or clauses do without them; the evaluator refuses the case when the clause applies and the base is
    absent, so drawing it absent only draws an invalid case."""
    bases = {
        c.fine.multiple_of
        for c in ci.item.statutory
        if c.fine is not None and c.fine.multiple_of and c.fine.fallback is None
    }
    out: set[str] = set()
    pending = list(bases)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        out.add(name)
        formula = ci.schema[name].derived
        if formula:
            pending.extend(parse_derived(formula, ci.schema, field=name)[1])
    return out


#: facts_for's strategies, one per (compiled item, evaluable), the item kept with it so its id is not reused
_FACTS: dict[tuple[int, bool], tuple[CompiledItem, st.SearchStrategy[dict[str, Any]]]] = {}


def facts_for(ci: CompiledItem, *, evaluable: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Facts as an officer would give them (no derived facts); optional facts sometimes absent, except
    those the item needs (`needed`) when the case is to be evaluated (a matcher is asked about any
    combination: `evaluable=False`).

    One strategy object per item, built on the first call: the properties draw it inside each example
    (`data.draw`), and hypothesis validates a strategy and computes its labels once per object, which for
    a fresh object every example cost several times the evaluation it fed. The draws are the same."""
    key = (id(ci), evaluable)
    if key not in _FACTS:
        _FACTS[key] = (ci, _facts_for(ci, evaluable))
    return _FACTS[key][1]


def _facts_for(ci: CompiledItem, evaluable: bool) -> st.SearchStrategy[dict[str, Any]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    must = needed(ci) if evaluable else set()
    for name, spec in ci.schema.items():
        if spec.derived:
            continue
        v = value_for(ci, name)
        parts[name] = v if spec.is_required or name in must else st.one_of(st.none(), v)
    return st.fixed_dictionaries(parts).map(lambda d: {k: v for k, v in d.items() if v is not None})


def reads_only_lists(ci: CompiledItem, kind: set[str]) -> list[str]:
    """Bool facts read only by list entries of the given kinds (and by nothing else)."""
    readers: dict[str, set[RuleKey]] = {}
    for key, cond in ci.conditions.items():
        for f in cond.facts:
            readers.setdefault(f, set()).add(key)
    kinds = {RuleKey.entry(e.id): e.list for e in ci.entries}
    out = []
    for f, keys in readers.items():
        if ci.schema[f].type != "bool" or ci.schema[f].default is not False:
            continue
        # negated uses would make the fact lighten and aggravate at once
        if all(kinds.get(k) in kind for k in keys) and all(_positive(ci.conditions[k].node, f) for k in keys):
            out.append(f)
    return sorted(out)


def _positive(node: Any, fact: str) -> bool:
    if isinstance(node, Cmp):
        return node.fact != fact or (node.op == "==" and node.value is True)
    parts = getattr(node, "parts", ())
    return all(_positive(p, fact) for p in parts)

"""Reference verify: walk every cell of an item's fact space one by one, as verify once did.

Independent of discretion.audit.space on purpose: its own values per bucket (each threshold, and
one smallest step below and above it), the whole product of every fact the item reads, each cell
validated, matched and planned as the evaluator does, the weighted sum added up from the conditions
that hold. Only usable on small items; the differential tests compare it with the decomposed verify.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from discretion.compiler import CompiledItem, CompiledRuleset
from discretion.errors import DiscretionError, RulesetDefect
from discretion.evaluation.plan import plan_cell, refuse_defect
from discretion.facts import validate_facts

_DELTA = {"money": Decimal("0.01"), "integer": Decimal(1), "number": Decimal("0.0000001")}


def _values(ci: CompiledItem, name: str) -> list[Any]:
    spec = ci.schema[name]
    if spec.type == "bool":
        out: list[Any] = [False, True]
    elif spec.type == "enum":
        out = list(spec.values or [])
    else:
        cuts: set[Decimal] = {Decimal(0)}
        for cond in ci.conditions.values():
            cuts |= {Decimal(v) for v in cond.thresholds().get(name, ())}  # type: ignore[arg-type]
        d = _DELTA[spec.type]
        points = sorted({p for t in cuts for p in (t - d, t, t + d)})
        out = [int(p) if spec.type == "integer" else p for p in points]
    if not spec.is_required and spec.default is None:
        out.append(None)
    return out


def cells(ci: CompiledItem) -> list[dict[str, Any]]:
    """Every combination of values of the facts the item declares (invalid ones dropped later)."""
    names = [n for n, s in ci.schema.items() if s.derived is None]
    choices = [_values(ci, n) for n in names]
    return [{n: v for n, v in zip(names, combo, strict=True) if v is not None} for combo in itertools.product(*choices)]


def size(ci: CompiledItem) -> int:
    total = 1
    for n, s in ci.schema.items():
        if s.derived is None:
            total *= len(_values(ci, n))
    return total


def findings(crs: CompiledRuleset, ci: CompiledItem) -> set[tuple[Any, ...]]:
    """The defects of one item, as comparable tuples:
    ("coverage", message), ("tier_range", tier), ("tier_base", tier), ("weighted_range", clause,
    fallback, lowest), ("count", entry) for a counting entry (when_count) no cell meets."""
    out: set[tuple[Any, ...]] = set()
    lowest: dict[tuple[str, bool], Decimal] = {}
    clipped: set[tuple[str, bool]] = set()
    met: set[str] = set()  # counting entries (when_count) some cell meets
    for raw in cells(ci):
        try:
            facts = validate_facts(raw, ci.schema, ci.derived)
        except DiscretionError:
            continue
        matched = ci.match_reference(facts)
        holding = {str(k) for k in matched}
        met |= {c.entry.id for c in ci.counting if c.key in matched}
        try:
            refuse_defect(crs, ci, matched, facts)
        except RulesetDefect as e:
            out.add(("coverage", e.message.split(" (facts:")[0]))
            continue
        plan = plan_cell(crs, ci, matched, facts)
        fp = plan.fine
        if plan.decided is not None or fp is None:
            continue
        clause = fp.statutory.rule.removeprefix("statutory:")
        base = facts.get(fp.spec.multiple_of) if fp.spec.multiple_of else None
        fallback = fp.spec.fallback is not None and (base is None or base == 0 or fp.fallback_holds)
        if fp.shape == "tiers" and fp.tier is not None and fp.tier.fine is not None:
            t = fp.tier.fine
            if (
                t.range is not None
                and fp.spec.range is not None
                and (t.range[0] < fp.spec.range[0] or t.range[1] > fp.spec.range[1])
            ):
                out.add(("tier_range", fp.tier.id))
            if t.times is not None and fallback:
                out.add(("tier_base", fp.tier.id))
        if fp.shape == "weighted" and fp.weighted is not None:
            w = fp.weighted
            total = w.start
            total += sum((f.weight for f in w.factors if f"weight:{f.id}" in holding), Decimal(0))
            total += sum(
                (
                    e.weight
                    for e in ci.entries
                    if e.mandatory
                    and e.weight is not None
                    and e.list in ("lenient", "mitigated", "aggravated")
                    and f"list:{e.id}" in holding
                ),
                Decimal(0),
            )
            key = (clause, fallback)
            lowest[key] = min(lowest.get(key, total), total)
            point = min(max(total, Decimal(0)), w.cap)
            if fp.spec.range is not None or fallback:
                lo, hi = fp.spec.range if fp.spec.range is not None else fp.spec.fallback.range  # type: ignore[union-attr]
                if fp.spec.ceiling is not None:
                    lo, hi = min(lo, fp.spec.ceiling), min(hi, fp.spec.ceiling)
                below = point * hi < lo
            else:
                b = Decimal(base) if base else Decimal(1)  # type: ignore[arg-type]
                below = point * b * fp.spec.times[1] < b * fp.spec.times[0]  # type: ignore[index]
            if below:
                clipped.add(key)
    for key in clipped:
        out.add(("weighted_range", key[0], key[1], lowest[key]))
    acting = {e.id for e in ci.entries}
    out |= {("count", c.entry.id) for c in ci.counting if c.entry.id in acting and c.entry.id not in met}
    return out

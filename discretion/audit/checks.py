"""The checks verify runs on every reachable state of an item, and the place to plug in more.

A *cell check* looks at one reachable state of the fact space (a `Cell`: an example case that
reaches it, the conditions it meets, the evaluator's plan for it, and the lowest and highest
weight sum of the cells in it) and returns findings. Each shape's own `verify(fp)`
(discretion/shapes) runs on every state whose plan uses that shape (`shape_findings`). A check
that needs the whole cell registers under a shape (`register_cell_check(fn, shape="tiers")`) or
for all; a check that needs more of a cell than clauses, tiers and weights names the condition
keys it reads (`keeps`), and the states are split by them (e.g. the mandatory lenient and
aggravated entries, for a check of the direction's band). An *item check* looks at the item as
a whole (citations). The built-in checks are registered at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from ..evaluation.plan import Plan
from ..keys import RuleKey, ShapeKind
from ..money import yuan_text
from ..shapes import shape_for
from ..shapes.weighted import pct
from .space import Reach, StateKey


@dataclass(frozen=True)
class Finding:
    """One defect a check found. Findings of one item with the same `check` and `group` are one
    problem: the one with the lowest `rank` is reported (e.g. the lowest weight sum)."""

    check: str
    message: str
    example: dict[str, Any] | None = None
    group: str | None = None
    rank: Decimal = Decimal(0)


@dataclass
class Cell:
    """One reachable state of an item's fact space, as a check sees it."""

    crs: CompiledRuleset
    ci: CompiledItem
    state: StateKey
    reach: Reach
    example: dict[str, Any]  # the facts of a case in this state (lowest weight sum)
    facts: Mapping[str, Value | None]  # the same, validated (defaults, derived facts)
    matched: frozenset[RuleKey]
    plan: Plan


CellCheck = Callable[[Cell], Iterable[Finding]]
ItemCheck = Callable[[CompiledRuleset, CompiledItem], Iterable[Finding]]

_CELL: list[tuple[str | None, CellCheck]] = []
_ITEM: list[ItemCheck] = []
_KEEPS: list[Callable[[str], bool]] = []


def register_cell_check(
    check: CellCheck, *, shape: str | None = None, keeps: Callable[[str], bool] | None = None
) -> CellCheck:
    """Run `check` on every reachable state (of items placed by `shape`, if given); `keeps` names
    the condition keys the check needs to tell states apart."""
    _CELL.append((shape, check))
    if keeps is not None:
        _KEEPS.append(keeps)
    return check


def register_item_check(check: ItemCheck) -> ItemCheck:
    _ITEM.append(check)
    return check


def cell_checks(shape: str) -> list[CellCheck]:
    return [c for s, c in _CELL if s is None or s == shape]


def item_checks() -> list[ItemCheck]:
    return list(_ITEM)


def kept(key: str) -> bool:
    """Whether a condition key stays in the state (what the checks tell states apart by)."""
    return key.startswith(("statutory:", "fallback:", "tier:", "base0:")) or any(k(key) for k in _KEEPS)


# ---------------------------------------------------------------- built-in checks


def _tier(cell: Cell) -> tuple[Any, Any] | None:
    """The fine plan of the cell and the fine of the tier it reaches (None: no tier fine)."""
    fp = cell.plan.fine
    if fp is None or fp.tier is None or fp.tier.fine is None:
        return None
    return fp, fp.tier.fine


def _falls_back(cell: Cell) -> bool:
    """Whether the statute's fixed fallback range applies here (base small, zero, unknown)."""
    fp = cell.plan.fine
    if fp is None or fp.spec.fallback is None:
        return False
    return fp.fallback_holds or f"base0:{fp.spec.multiple_of}" in cell.state[0]


def shape_findings(cell: Cell) -> Iterable[Finding]:
    """What the item's shape itself finds wrong in this cell's plan (discretion/shapes: a tier's
    amounts beyond the statute, bands where the law does not allow them …)."""
    fp = cell.plan.fine
    if fp is None:
        return
    check = "tier_range" if fp.shape == ShapeKind.TIERS else f"shape_{fp.shape}"
    for message in shape_for(fp.shape).verify(fp):
        yield Finding(check, message, cell.example)


def tier_multiple_without_base(cell: Cell) -> Iterable[Finding]:
    """A tier given as a multiple of the base, reached where the statute's fixed fallback range
    applies (base zero, unknown or below the threshold): the evaluator refuses such a case."""
    hit = _tier(cell)
    if hit is not None and hit[1].times is not None and _falls_back(cell):
        yield Finding(
            "tier_base",
            f"tier {hit[0].tier.id!r} is a multiple of the base, but the statutory fallback range "
            "applies (base small, zero or unknown): the ruleset needs a tier for that case",
            cell.example,
        )


def weighted_range(cell: Cell) -> Iterable[Finding]:
    """权重累加: the lowest reachable amount (start + the weights that can hold together, × the
    statutory maximum) must not fall below the statutory minimum; the evaluator would raise it
    silently. The top is kept inside by `cap` ≤ 100%. For a multiple of a base the comparison is in
    multiples (lowest weight × highest multiple ≥ lowest multiple), which holds for every base
    below a ceiling."""
    fp = cell.plan.fine
    if fp is None or fp.shape != "weighted" or fp.weighted is None:
        return
    w = fp.weighted
    raw = w.start + cell.reach.low
    total = min(max(raw, Decimal(0)), w.cap)
    spec = fp.spec
    clause = fp.clause_id
    used_fallback = _falls_back(cell)
    if spec.range is not None or used_fallback:
        lo, hi = spec.range if spec.range is not None else spec.fallback.range  # type: ignore[union-attr]  # used_fallback implies a fallback
        if spec.ceiling is not None:
            lo, hi = min(lo, spec.ceiling), min(hi, spec.ceiling)
        amount = total * hi
        if amount >= lo:
            return
        where = "the fallback range" if used_fallback else "the statutory range"
        text = f"{yuan_text(amount)}, below {where} {yuan_text(lo)}–{yuan_text(hi)}"
    else:
        t0, t1 = spec.times  # type: ignore[misc]  # a multiple_of fine has times (FineSpec)
        if total * t1 >= t0:
            return
        text = f"{total * t1}× the base, below the statutory lowest multiple {t0}×"
    group = f"{clause}:{'fallback' if used_fallback else 'main'}"
    yield Finding(
        "weighted_range",
        f"clause {clause!r}: the lowest reachable weight sum is {pct(raw)} "
        f"(start {pct(w.start)}), giving "
        f"{text}; the evaluator would raise it to the minimum",
        cell.example,
        group=group,
        rank=raw,
    )


def uncited(crs: CompiledRuleset, ci: CompiledItem) -> Iterable[Finding]:
    if not ci.item.penalty_basis:
        yield Finding("citation", "the item cites no penalty basis")
    for e in ci.entries:
        if not e.basis:
            yield Finding("citation", f"list entry {e.id!r} cites nothing")


register_cell_check(shape_findings)
register_cell_check(tier_multiple_without_base, shape="tiers")
register_cell_check(weighted_range, shape="weighted")
register_item_check(uncited)


def weight_of(ci: CompiledItem) -> dict[str, Decimal]:
    """The weight each condition key adds when it holds: weighted factors, and mandatory list
    entries with a weight (the evaluator sums those; discretionary ones become options)."""
    out: dict[str, Decimal] = {}
    if ci.item.weighted is not None:
        out.update({f"weight:{f.id}": f.weight for f in ci.item.weighted.factors})
    out.update(
        {
            f"list:{e.id}": e.weight
            for e in ci.entries
            if e.mandatory and e.weight is not None and e.list in ("lenient", "mitigated", "aggravated")
        }
    )
    return out

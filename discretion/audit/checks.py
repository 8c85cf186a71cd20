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

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from ..evaluation.plan import Plan
from ..keys import RuleKey, ShapeKind
from ..ruleset import FineSpec, MeasureRef
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


#: 可以并处 / 可以处 / 可以吊销 …: a penalty the quoted statute only allows, up to the end of its phrase
_ALLOWED = re.compile(r"可以(?:并处以|并处|处以|处|责令|吊销|没收|暂扣|予以)[^，；。：:,;]*")
#: what a measure the statute allows is done by: a measure offered as an option must share it
_VERBS = ("吊销", "停产停业", "停业", "关闭", "没收", "暂扣", "恢复原状", "拆除", "取缔", "撤销", "降低资质", "警告")


def allowed_penalties(texts: Iterable[str]) -> list[tuple[str, str | None]]:
    """The discretionary penalties a statute text allows: (phrase, None) for a fine, (phrase, verb) for
    a measure, in the order quoted. 可以从轻、可以免予处罚 … are not penalties and are not read."""
    out: list[tuple[str, str | None]] = []
    for text in texts:
        for m in _ALLOWED.finditer(text):
            phrase = m.group(0)
            if "罚款" in phrase:
                out.append((phrase, None))
                continue
            verb = next((v for v in _VERBS if v in phrase), None)
            if verb is not None:
                out.append((phrase, verb))
    return out


def _same_measure(phrase: str, verb: str, label: str) -> bool:
    """Whether a measure's label does what the phrase allows: the same verb, and (where the phrase
    names things) one of them — 没收用于违法生产经营的工具、设备 is not 没收违法所得."""
    if verb not in label:
        return False
    things = [p.rstrip("等")[-2:] for p in re.split("、|和|或者|及", phrase.split(verb, 1)[1]) if p.rstrip("等")]
    return not things or any(t in label for t in things)


def discretionary_penalties(crs: CompiledRuleset, ci: CompiledItem) -> Iterable[Finding]:
    """可以并处 / 可以处 (issue 9): every fine or measure the quoted statute only allows comes back as an
    option (`may: true`). Imposed without `may` it would be taken silently; missing, it would be
    dropped. A clause's own basis is read for that clause; the item's penalty basis for the item. A
    fine is decided, not discretionary, where every tier cites the published row that decides it."""
    item = ci.item
    measures = crs.ruleset.measures
    refs: list[MeasureRef] = []
    for owner_refs in (
        *(c.measures for c in item.statutory),
        *(t.measures for t in item.tiers),
        *(e.measures for e in ci.entries),
    ):
        refs.extend(owner_refs)
    fines = [f for f in (*(c.fine for c in item.statutory), *(t.fine for t in item.tiers)) if f is not None]
    seen: set[tuple[str, str | None]] = set()
    # a published benchmark's rows, each citing its own text, decide when the fine is imposed (轻微：不罚款；
    # 一般：处…罚款): the benchmark narrows the discretion the statute leaves, as it may
    decided_by_rows = bool(item.tiers) and all(t.basis for t in item.tiers)
    owners: list[tuple[str, list[Any], list[FineSpec]]] = [
        (f"clause {c.id!r}", list(c.basis), [c.fine] if c.fine is not None else []) for c in item.statutory
    ]
    owners.append(("the item's penalty basis", list(item.penalty_basis), fines))
    for owner, basis, own_fines in owners:
        for phrase, verb in allowed_penalties(b.text for b in basis if b.text):
            if (phrase, verb) in seen:
                continue
            seen.add((phrase, verb))
            if verb is None:
                if any(f.may for f in own_fines) or decided_by_rows:
                    continue
                how = "imposes it (no `may: true`)" if own_fines else "has no such fine"
                yield Finding(
                    "discretionary",
                    f"the statute says 「{phrase}」 ({owner}), a fine the officer may impose, but the ruleset "
                    f"{how}: give it as `fine: {{…, may: true}}` so it comes back as an option",
                )
                continue
            same = [m for m in refs if _same_measure(phrase, verb, measures.get(m.code, ""))]
            if any(m.may for m in same):
                continue
            how = (
                f"imposes {', '.join(sorted({m.code for m in same}))} (no `may: true`)"
                if same
                else "offers no such measure"
            )
            yield Finding(
                "discretionary",
                f"the statute says 「{phrase}」 ({owner}), a measure the officer may take, but the ruleset "
                f"{how}: list it with `may: true` so it comes back as an option",
            )


def reductions(cell: Cell) -> Iterable[Finding]:
    """Proportional reductions (`reduce`) that hold together in one cell: mandatory ones would compound (30% off,
    then 50% off what is left), and an option beside a mandatory one would be taken off the fine before it. A
    document that refines another's reduction (东莞's 指引 fixes 粤环发〔2021〕7号 第十四条's 30%–50%, and caps it)
    says so with `displaces`; reductions of one document are made exclusive by their conditions."""
    fp = cell.plan.fine
    if fp is None:
        return
    both = [e.id for e in (*fp.reductions, *fp.may_reductions)]
    if len(both) >= 2:
        yield Finding(
            "reductions",
            f"proportional reductions {', '.join(both)} hold together: they would compound; make them exclusive "
            "or name the one a document replaces in `displaces`",
            cell.example,
            group=",".join(sorted(both)),
        )


register_cell_check(shape_findings)
register_cell_check(reductions)
register_cell_check(tier_multiple_without_base, shape="tiers")
register_cell_check(weighted_range, shape="weighted")
register_item_check(uncited)
register_item_check(discretionary_penalties)


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

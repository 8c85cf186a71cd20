"""verify(): what a legal reviewer checks before approving a version, found by machine, over all of
fact space.

Loading already refuses malformed files, unknown facts, type errors and overlapping versions.
What loading cannot see is how the conditions carve up fact space. verify decomposes each item's
fact space (`space.py`: independent components, each cell reduced to what the checks read) and
checks every state a cell can reach, each with a real example case the evaluator would see:

- coverage: a case the lists do not settle meets no statutory clause or several, or (tiers) no
  tier or several — the "同案不同罚" of a benchmark's own making; the evaluator refuses such a case;
- the checks of `checks.py`: tier amounts beyond the statute, a tier that is a multiple of a base
  where the statute's fallback range applies, a weighted sum whose lowest reachable amount falls
  below the statutory minimum, and whatever a shape registers; entries that cite nothing;
- counts of circumstances (`when_count`, counting.py): an entry whose count no cell meets.

Every cell of every item is covered, and the report says so per item (`exhaustive`); where that
cannot be shown (a component too large to enumerate, a derived fact), the report says which
and how many cells, and that is itself a problem: a clean verify means nothing was left out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field

from ..compiler import CompiledItem, CompiledRuleset
from ..errors import DiscretionError, RulesetDefect
from ..evaluation.plan import plan_cell, refuse_defect
from ..facts import validate_facts
from ..keys import DECIDING_LISTS, RuleKey
from ..loader import RulesetLibrary
from . import checks, counting
from .space import COMPONENT_LIMIT, SETTLED, Projection, Space, decompose

#: kept for callers that pass `limit`: it now bounds the cells of one component, not of the item
LIMIT = COMPONENT_LIMIT


class Problem(BaseModel):
    """One defect of a version, with an example case where it shows."""

    ruleset: str = Field(description="department/version")
    item: str | None = None
    check: str = Field(
        description="coverage | tier_range (the tiers shape's own findings) | tier_base | "
        "weighted_range | reductions | citation | facts | exhaustive | count | shape_<kind> | a registered check"
    )
    message: str
    example: dict[str, Any] | None = Field(default=None, description="事实示例（该格的代表值）")


class ItemCoverage(BaseModel):
    """How much of an item's fact space verify covered."""

    ruleset: str
    item: str
    cells: int = Field(description="cells of the item's fact space (one bucket per fact)")
    states: int = Field(default=0, description="distinct states those cells reach, each checked with an example")
    exhaustive: bool
    note: str | None = Field(default=None, description="what was not covered by construction, and how many cells")


class VerifyReport(BaseModel):
    """Every problem found, and how much of each item's fact space was covered."""

    problems: list[Problem]
    coverage: list[ItemCoverage]

    @computed_field(description="no problem found")  # type: ignore[prop-decorator]  # pydantic's documented form, over @property
    @property
    def ok(self) -> bool:
        return not self.problems

    @computed_field(description="every cell of every item was checked")  # type: ignore[prop-decorator]  # (the same)
    @property
    def exhaustive(self) -> bool:
        return all(c.exhaustive for c in self.coverage)


def projection(ci: CompiledItem) -> Projection:
    """What the checks read of a cell of this item (see space.Projection)."""
    settles = frozenset(str(RuleKey.entry(e.id)) for e in ci.entries if e.mandatory and e.list in DECIDING_LISTS)
    raises = frozenset(str(RuleKey.entry(e.id)) for e in ci.entries if e.mandatory and e.tier_up)
    # members of an exclusive group of a weighted sum: exactly one must hold, so a state keeps which
    grouped = frozenset(
        str(RuleKey.weight(f.id)) for f in (ci.item.weighted.factors if ci.item.weighted else ()) if f.group
    )

    # proportional reductions: a state keeps which hold, so that two holding together are seen (checks.reductions)
    reducing = frozenset(str(RuleKey.entry(e.id)) for e in ci.entries if e.reduce is not None)

    def keep(key: str) -> bool:
        return checks.kept(key) or key in grouped or key in reducing

    return Projection(keep, settles, raises, checks.weight_of(ci))


def item_space(ci: CompiledItem, limit: int = LIMIT) -> Space:
    return decompose(ci, projection(ci), limit)


def verify_item(crs: CompiledRuleset, ci: CompiledItem, *, limit: int = LIMIT) -> tuple[list[Problem], ItemCoverage]:
    """Every check on every reachable state of one item."""
    ref = f"{crs.department}/{crs.version}"
    space = item_space(ci, limit)
    best: dict[tuple[str, str], checks.Finding] = {}
    order: list[tuple[str, str]] = []

    def keep(f: checks.Finding) -> None:
        key = (f.check, f.group or f.message)
        hit = best.get(key)
        if hit is None:
            order.append(key)
        if hit is None or f.rank < hit.rank:
            best[key] = f

    shape = ci.item.shape or crs.placement.shape
    reachable = {} if space.empty else space.states  # no case can be entered: nothing to reach
    for state, reach in sorted(reachable.items(), key=lambda kv: _order(kv[0])):
        if state == SETTLED:
            continue
        raw = {**space.fixed, **{k: v for k, v in reach.example().items() if v is not None}}
        try:
            facts = validate_facts(raw, ci.schema, ci.derived)
        except DiscretionError as e:  # representatives are valid values, so this is a bug of verify: say so
            keep(
                checks.Finding(
                    "exhaustive",
                    f"an example case of this item does not validate ({e}); its state was not checked",
                    raw,
                )
            )
            continue
        matched = ci.match_reference(facts)
        try:
            refuse_defect(crs, ci, matched, facts)
            plan = plan_cell(crs, ci, matched, facts)  # a shape may refuse too (an exclusive group)
        except RulesetDefect as e:
            keep(checks.Finding("coverage", e.message.split(" (facts:")[0], raw))
            continue
        if plan.decided is not None:
            continue
        cell = checks.Cell(crs, ci, state, reach, raw, facts, matched, plan)
        for cell_check in checks.cell_checks(plan.fine.shape if plan.fine is not None else shape):
            for f in cell_check(cell):
                keep(f)
    for item_check in checks.item_checks():
        for f in item_check(crs, ci):
            keep(f)
    for f in counting.findings(ci, space):  # when_count: a count no cell meets (counting.py)
        keep(f)
    if space.empty:
        keep(
            checks.Finding(
                "facts",
                f"no case of this item can be entered: no value of {', '.join(space.empty)} "
                "is accepted (its type, minimum and maximum leave nothing)",
            )
        )
    incomplete = space.incomplete
    if incomplete:
        keep(
            checks.Finding(
                "exhaustive",
                "not every cell of this item could be checked: " + "; ".join(incomplete),
            )
        )
    problems = [
        Problem(
            ruleset=ref,
            item=ci.item.code,
            check=best[k].check,
            message=best[k].message,
            example=best[k].example,
        )
        for k in order
    ]
    coverage = ItemCoverage(
        ruleset=ref,
        item=ci.item.code,
        cells=space.cells,
        states=len(space.states),
        exhaustive=not incomplete,
        note="; ".join(incomplete) or None,
    )
    return problems, coverage


def _order(state: Any) -> tuple[bool, int, int, list[str]]:
    """States in a stable order, so the example reported for a defect is the same on every run."""
    on, settled, raised = state
    return (settled, raised, len(on), sorted(on))


def verify_version(crs: CompiledRuleset, *, limit: int = LIMIT) -> tuple[list[Problem], list[ItemCoverage]]:
    """Every check for one version."""
    problems: list[Problem] = []
    coverage: list[ItemCoverage] = []
    for ci in crs.items.values():
        p, c = verify_item(crs, ci, limit=limit)
        problems += p
        coverage.append(c)
    return problems, coverage


def approval_check(crs: CompiledRuleset) -> tuple[list[Problem], dict[str, object]]:
    """What approval asks (lifecycle.approve's verifier): the problems, and what was checked."""
    problems, coverage = verify_version(crs)
    checked: dict[str, object] = {
        "items": len(coverage),
        "cells": sum(c.cells for c in coverage),
        "exhaustive": all(c.exhaustive for c in coverage),
    }
    return problems, checked


def verify(library: RulesetLibrary, *, department: str | None = None, limit: int = LIMIT) -> VerifyReport:
    """Verify every version (of one department, if given)."""
    problems: list[Problem] = []
    coverage: list[ItemCoverage] = []
    for dept in [department] if department else library.departments():
        for crs in library.versions(dept):
            p, c = verify_version(crs, limit=limit)
            problems += p
            coverage += c
    return VerifyReport(problems=problems, coverage=coverage)


def summary(report: VerifyReport) -> str:
    """One line: how much was checked, and whether exhaustively."""
    cells = sum(c.cells for c in report.coverage)
    states = sum(c.states for c in report.coverage)
    partial = [f"{c.ruleset} {c.item}（{c.note}）" for c in report.coverage if not c.exhaustive]
    return f"检查了 {len(report.coverage)} 个事项、{cells:,} 个事实格（归并为 {states:,} 个状态逐一检查）" + (
        f"；未能穷举：{'；'.join(partial)}" if partial else "，全部穷举"
    )

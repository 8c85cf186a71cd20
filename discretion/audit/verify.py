"""verify(): what a legal reviewer checks before approving a version, found by machine.

Loading already refuses malformed files, unknown facts, type errors and overlapping versions.
What loading cannot see is how the conditions carve up fact space, so verify walks it: every
cell (one representative case per combination of buckets of the facts the conditions read) is
planned as the evaluator would plan it, and any cell where no statutory clause or no tier (or
several) holds is reported with an example case — the "同案不同罚" of a benchmark's own making.
It also reports tier amounts outside the statutory range (the evaluator clips them) and entries
that cite nothing. Exhaustive up to `limit` cells per item, a fixed-seed sample beyond.
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any, Iterator, Literal

from pydantic import BaseModel, Field

from ..compiler import CompiledItem, CompiledRuleset
from ..errors import DiscretionError, RulesetDefect
from ..evaluation.plan import Plan, plan_cell, refuse_defect
from ..facts import validate_facts
from ..keys import DECIDING_LISTS, RuleKey, RuleKind
from ..loader import RulesetLibrary
from ..shapes import shape_for

LIMIT = 4096


class Problem(BaseModel):
    """One defect of a version, with an example case where it shows."""

    ruleset: str = Field(description="department/version")
    item: str | None = None
    check: Literal["coverage", "tier_range", "citation"]
    message: str
    example: dict[str, Any] | None = Field(default=None, description="事实示例（该格的代表值）")


class ItemCoverage(BaseModel):
    ruleset: str
    item: str
    cells: int = Field(description="fact-space cells examined")
    exhaustive: bool


class VerifyReport(BaseModel):
    problems: list[Problem]
    coverage: list[ItemCoverage]

    @property
    def ok(self) -> bool:
        return not self.problems


def _representatives(ci: CompiledItem, name: str) -> list[Any]:
    """One value per bucket of the fact's thresholds (below, on, between, above), plus absent when allowed."""
    spec = ci.schema[name]
    out: list[Any] = []
    if spec.type == "bool":
        out = [False, True]
    elif spec.type == "enum":
        out = list(spec.values or [])
    else:
        cuts: set[Decimal] = set()
        for cond in ci.conditions.values():
            cuts.update(Decimal(v) for v in cond.thresholds().get(name, ()))  # type: ignore[arg-type]
        points = sorted(cuts)
        lo = spec.minimum if spec.minimum is not None else Decimal(0)
        candidates = [lo]
        for a, b in zip(points, points[1:] + [None]):  # type: ignore[operator]
            candidates.append(a)
            candidates.append((a + b) / 2 if b is not None else a * 2 + 1)
        step = Decimal(1) if spec.type == "integer" else Decimal("0.01")
        for v in candidates:
            v = v.quantize(step)
            if v >= lo and (spec.maximum is None or v <= spec.maximum) and v not in out:
                out.append(int(v) if spec.type == "integer" else str(v))
    if not spec.is_required and spec.default is None and spec.derived is None:
        out.append(None)
    return out or [spec.default]


def _deciding_facts(ci: CompiledItem) -> list[str]:
    """Facts read by what decides whether a clause and a tier are reached and which: the clauses, the
    tiers, mandatory no-penalty and exemption entries, tier-raising entries. Other facts only move the
    fine within the tier, so they need no enumeration. A derived fact brings every numeric fact in."""
    keys = {k for k in ci.conditions if k.kind in (RuleKind.STATUTORY, RuleKind.TIER)}
    keys |= {RuleKey.entry(e.id) for e in ci.entries if (e.mandatory and e.list in DECIDING_LISTS) or e.tier_up}
    read = {f for k in keys if k in ci.conditions for f in ci.conditions[k].facts}
    if any(ci.schema[f].derived for f in read):
        read |= {n for n, s in ci.schema.items() if s.type in ("money", "number", "integer")}
    return sorted(f for f in read if ci.schema[f].derived is None)


def _cells(ci: CompiledItem, limit: int) -> tuple[Iterator[dict[str, Any]], int, bool]:
    names = _deciding_facts(ci)
    choices = [_representatives(ci, n) for n in names]
    # a required fact that decides nothing still has to be given: one value of it serves every cell
    for n, spec in ci.schema.items():
        if spec.is_required and spec.derived is None and n not in names:
            names.append(n)
            choices.append([next(v for v in _representatives(ci, n) if v is not None)])
    total = 1
    for c in choices:
        total *= len(c)
    if total <= limit:
        return (dict(zip(names, combo)) for combo in itertools.product(*choices)), total, True
    rnd = random.Random(0)
    return ({n: rnd.choice(c) for n, c in zip(names, choices)} for _ in range(limit)), limit, False


def verify_version(crs: CompiledRuleset, *, limit: int = LIMIT) -> tuple[list[Problem], list[ItemCoverage]]:
    """Every check for one version."""
    ref = f"{crs.department}/{crs.version}"
    problems: list[Problem] = []
    coverage: list[ItemCoverage] = []
    for code, ci in crs.items.items():
        cells, n, exhaustive = _cells(ci, limit)
        coverage.append(ItemCoverage(ruleset=ref, item=code, cells=n, exhaustive=exhaustive))
        seen: set[str] = set()
        for raw in cells:
            raw = {k: v for k, v in raw.items() if v is not None}
            try:
                facts = validate_facts(raw, ci.schema, ci.derived)
            except DiscretionError:
                continue  # a combination the schema itself refuses (e.g. a required fact left out)
            matched = ci.match_reference(facts)
            try:
                refuse_defect(crs, ci, matched, facts)
            except RulesetDefect as e:
                kind = e.message.split(" (facts:")[0]
                if kind not in seen:  # one example per kind of defect per item
                    seen.add(kind)
                    problems.append(Problem(ruleset=ref, item=code, check="coverage", message=kind, example=raw))
                continue
            wide = _tier_outside(plan_cell(crs, ci, matched, facts))
            if wide and wide not in seen:
                seen.add(wide)
                problems.append(Problem(ruleset=ref, item=code, check="tier_range", message=wide, example=raw))
        problems += _citations(ref, ci)
    return problems, coverage


def _tier_outside(plan: Plan) -> str | None:
    """What the item's shape finds wrong in this cell's plan (a tier's amounts beyond the statute …)."""
    fp = plan.fine
    if fp is None:
        return None
    found = shape_for(fp.shape).verify(fp)
    return found[0] if found else None


def _citations(ref: str, ci: CompiledItem) -> list[Problem]:
    out = []
    if not ci.item.penalty_basis:
        out.append(Problem(ruleset=ref, item=ci.item.code, check="citation", message="the item cites no penalty basis"))
    for e in ci.entries:
        if not e.basis:
            out.append(Problem(ruleset=ref, item=ci.item.code, check="citation", message=f"list entry {e.id!r} cites nothing"))
    return out


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

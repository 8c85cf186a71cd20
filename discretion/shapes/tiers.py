"""`tiers`: the 裁量阶次 table — exactly one tier holds (or the heavier, where the ruleset says so);
its sub-range is the applicable range, and the direction takes the placement share of it (江门:
从重 top of the tier, 从轻 lower end, else 适中). 从重 entries with `tier_up` move one tier up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from .. import wording
from ..conditions import Value
from ..errors import RulesetDefect
from ..keys import ListKind, RuleKey, ShapeKind
from ..ruleset import Item, ListEntry
from .base import Mandatory

if TYPE_CHECKING:
    from ..compiler import CompiledItem, CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan, Planner
    from ..evaluation.result import Fine, Measure, Option, TraceStep


class TiersShape:
    kind = ShapeKind.TIERS

    def validate(self, item: Item) -> tuple[str, str] | None:
        if not item.tiers:
            return "tiers", "the tiers shape needs at least one tier"
        return None

    def tier_index(self, cell: Planner, fp: FinePlan) -> int:
        """The tier that holds; none, or several unless the ruleset takes the heavier, is a defect."""
        from ..evaluation.result import show_value

        item = cell.ci.item
        hits = [i for i, t in enumerate(item.tiers) if cell.holds(RuleKey.tier(t.id))]
        if not hits or (len(hits) > 1 and cell.crs.placement.tier_overlap == "defect"):
            which = ", ".join(item.tiers[i].id for i in hits) or "none"
            raise RulesetDefect(f"item {item.code}: exactly one tier must match these facts, got {which} "
                                f"(facts: {', '.join(f'{k}={show_value(v)}' for k, v in sorted(cell.facts.items()))})",
                                field=f"items.{item.code}.tiers")
        if len(hits) > 1:
            fp.before_span.append(cell.template("tier", "tier_overlap", wording.tier_overlap(len(hits), item.tiers[hits[-1]].label),
                                                cell.crs.placement_basis))
        return hits[-1]

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        item = cell.ci.item
        index = self.tier_index(cell, fp)
        stays: list[ListEntry] = []  # tier_up entries already at the top tier act as 从重 within it
        for e in mandatory[ListKind.AGGRAVATED]:
            if not e.tier_up:
                stays.append(e)
            elif index + 1 < len(item.tiers):
                index += 1
                fp.before_span.append(cell.template(ListKind.AGGRAVATED, e.id, wording.tier_up(e.label, item.tiers[index].label),
                                                    e.basis, RuleKey.entry(e.id)))
            else:
                stays.append(e)
        mandatory[ListKind.AGGRAVATED] = stays
        tier = fp.tier = item.tiers[index]
        key = RuleKey.tier(tier.id)
        fp.tier_step = cell.template("tier", str(key), "", tier.basis or cell.crs.placement_basis, key)
        return mandatory, cell.measures(key, tier.measures, fp.clause_basis)

    def place(self, crs: CompiledRuleset, fp: FinePlan, stat: StatutoryFine, facts: Mapping[str, Value | None],
              trace: list[TraceStep], options: list[Option]) -> Fine:
        from ..evaluation.fines import tier_span
        from ..evaluation.placing import in_span

        trace += [t.make(facts) for t in fp.before_span]
        tier, span = fp.tier, stat.span
        assert tier is not None and fp.tier_step is not None
        note = ""
        if tier.fine is not None:
            own = tier_span(tier.fine, stat, tier.id)
            span = own.clip(stat.span)
            note = "" if span == own else wording.tier_clipped(own.text())
        trace.append(fp.tier_step.make(facts, wording.tier_range(tier.label, span.text(), note)))
        return in_span(crs, fp, stat, span, facts, trace, options, tier.label)

    def verify(self, fp: FinePlan) -> list[str]:
        """A tier whose fixed amounts leave the fixed statutory range of the clause it is reached under."""
        if fp.tier is None or fp.tier.fine is None or fp.tier.fine.range is None or fp.spec.range is None:
            return []  # multiples of a base are clipped per case, and the trace says so
        (lo, hi), (slo, shi) = fp.tier.fine.range, fp.spec.range
        if lo >= slo and hi <= shi:
            return []
        return [f"tier {fp.tier.id!r} ({lo}–{hi} yuan) leaves the statutory range {slo}–{shi} yuan of the clause "
                f"reached with it; evaluations clip it to the statutory range"]

    def key_words(self, ci: CompiledItem, matched: frozenset[RuleKey]) -> list[str]:
        return [f"阶次「{t.label}」（{ci.conditions[RuleKey.tier(t.id)].text}）"
                for t in ci.item.tiers if RuleKey.tier(t.id) in matched]

    def diff(self, old: Item, new: Item) -> list[str]:
        return []  # tiers are compared by discretion.audit.diff


TIERS = TiersShape()

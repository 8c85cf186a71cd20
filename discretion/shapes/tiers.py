"""`tiers`: the 裁量阶次 table — exactly one tier holds (or the heavier, where the ruleset says so);
its sub-range is the applicable range, and the direction takes the placement share of it (江门:
从重 top of the tier, 从轻 lower end, else 适中). 从重 entries with `tier_up` move one tier up."""

from __future__ import annotations

from typing import TYPE_CHECKING
from collections.abc import Mapping

from .. import wording
from ..conditions import Value
from ..errors import RulesetDefect
from ..keys import Direction, ListKind, RuleKey, ShapeKind
from ..ruleset import Item, ListEntry, Tier
from ..evaluation.fines import Span, tier_span
from ..evaluation.placing import in_span, step
from ..evaluation.result import show_value
from .base import Mandatory, ShapeDefaults

if TYPE_CHECKING:
    from ..compiler import CompiledItem, CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan, Planner
    from ..evaluation.result import Fine, Measure, Option, TraceStep


class TiersShape(ShapeDefaults):
    kind = ShapeKind.TIERS

    def validate(self, item: Item) -> tuple[str, str] | None:
        if not item.tiers:
            return "tiers", "the tiers shape needs at least one tier"
        return None

    def tier_index(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> int:
        """The tier that holds; none, or several unless the ruleset takes the heavier, is a defect."""
        item = cell.ci.item
        hits = [i for i, t in enumerate(item.tiers) if cell.holds(RuleKey.tier(t.id))]
        if any(item.tiers[i].direction is not None for i in hits):
            # rows published per direction (从轻 / 一般 / 从重 / 减轻): the circumstances choose the row
            from ..evaluation.plan import decide_direction

            wanted = decide_direction(mandatory, cell.crs.placement.conflict)
            hits = [i for i in hits if item.tiers[i].direction == wanted]
        if not hits or (len(hits) > 1 and cell.crs.placement.tier_overlap == "defect"):
            which = ", ".join(item.tiers[i].id for i in hits) or "none"
            raise RulesetDefect(
                f"item {item.code}: exactly one tier must match these facts, got {which} "
                f"(facts: {', '.join(f'{k}={show_value(v)}' for k, v in sorted(cell.facts.items()))})",
                field=f"items.{item.code}.tiers",
            )
        if len(hits) > 1:
            fp.before_span.append(
                cell.template(
                    "tier",
                    "tier_overlap",
                    wording.tier_overlap(len(hits), item.tiers[hits[-1]].label),
                    cell.crs.placement_basis,
                )
            )
        return hits[-1]

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        item = cell.ci.item
        index = self.tier_index(cell, fp, mandatory)
        stays: list[ListEntry] = []  # tier_up entries already at the top tier act as 从重 within it
        for e in mandatory[ListKind.AGGRAVATED]:
            if not e.tier_up:
                stays.append(e)
            elif index + 1 < len(item.tiers):
                index += 1
                fp.before_span.append(
                    cell.template(
                        ListKind.AGGRAVATED,
                        e.id,
                        wording.tier_up(e.label, item.tiers[index].label),
                        e.basis,
                        RuleKey.entry(e.id),
                    )
                )
            else:
                stays.append(e)
        mandatory[ListKind.AGGRAVATED] = stays
        tier = fp.tier = item.tiers[index]
        key = RuleKey.tier(tier.id)
        fp.tier_step = cell.template("tier", str(key), "", tier.basis or cell.crs.placement_basis, key)
        return mandatory, cell.measures(key, tier.measures, fp.clause_basis)

    def place(
        self,
        crs: CompiledRuleset,
        fp: FinePlan,
        stat: StatutoryFine,
        facts: Mapping[str, Value | None],
        trace: list[TraceStep],
        options: list[Option],
    ) -> Fine:
        if fp.before_span:
            trace += [t.make(facts) for t in fp.before_span]
        tier, span = fp.tier, stat.span
        assert tier is not None and fp.tier_step is not None
        note = ""
        if tier.fine is not None:
            own = tier_span(tier.fine, stat, tier.id, crs.placement.boundaries)
            span = own.clip(stat.span)
            note = "" if span == own else wording.tier_clipped(own.text())
        trace.append(fp.tier_step.make(facts, wording.tier_range(tier.label, span.text(), note)))
        bands = self.bands(crs, tier, span, stat) if tier.direction is not None or tier.bands else None
        if bands and fp.direction in bands:
            trace.append(
                step(
                    "band",
                    f"band:{tier.id}:{fp.direction}",
                    wording.band(tier.label, fp.direction, bands[fp.direction].text()),
                    fp.placement_citation,
                )
            )
        return in_span(crs, fp, stat, span, facts, trace, options, tier.label, bands)

    def bands(self, crs: CompiledRuleset, tier: Tier, span: Span, stat: StatutoryFine) -> dict[Direction, Span]:
        """The published amounts per direction: a tier that is itself one direction's row, or its `bands`.
        A 减轻 band stays below the statutory minimum and above the floor; the others inside the statute."""

        out: dict[Direction, Span] = {}
        if tier.direction is not None:
            out[tier.direction] = span
        for band in tier.bands or []:
            own = tier_span(band.fine, stat, tier.id, crs.placement.boundaries)
            if band.direction is Direction.MITIGATED:
                floor = crs.placement.mitigated_floor
                out[band.direction] = own.clip(Span(min(floor, stat.span.lo), stat.span.lo))
            else:
                out[band.direction] = own.clip(stat.span)
        return out

    def verify(self, fp: FinePlan) -> list[str]:
        """A tier whose fixed amounts leave the fixed statutory range of the clause it is reached under;
        bands where the law does not allow them (a 减轻 band must lie entirely below the statutory minimum
        and not below the floor; 从轻 / 一般 / 从重 inside the range and in that order)."""
        tier = fp.tier
        if tier is None or fp.spec.range is None:
            return []  # multiples of a base are clipped per case, and the trace says so
        slo, shi = fp.spec.range
        out = []
        if tier.fine is not None and tier.fine.range is not None and tier.direction is not Direction.MITIGATED:
            lo, hi = tier.fine.range
            if lo < slo or hi > shi:
                out.append(
                    f"tier {tier.id!r} ({lo}–{hi} yuan) leaves the statutory range {slo}–{shi} yuan of the clause "
                    f"reached with it; evaluations clip it to the statutory range"
                )
        bands = [(b.direction, b.fine) for b in tier.bands or []]
        if tier.direction is not None and tier.fine is not None:
            bands.append((tier.direction, tier.fine))
        ranges = {d: f.range for d, f in bands if f.range is not None}
        for d, (lo, hi) in ranges.items():
            if d is Direction.MITIGATED:
                if hi >= slo:
                    out.append(
                        f"tier {tier.id!r}: its 减轻 band {lo}–{hi} yuan is not entirely below the statutory minimum "
                        f"{slo} yuan (减轻 is a penalty below the statutory minimum, 行政处罚法 第三十二条)"
                    )
                if lo < fp.mitigated_floor:
                    out.append(
                        f"tier {tier.id!r}: its 减轻 band {lo}–{hi} yuan goes below the floor {fp.mitigated_floor} yuan"
                    )
            elif lo < slo or hi > shi:
                out.append(
                    f"tier {tier.id!r}: its {wording.DIRECTION_LABELS[d]} band {lo}–{hi} yuan leaves the statutory "
                    f"range {slo}–{shi} yuan"
                )
        order = [d for d in (Direction.LENIENT, Direction.GENERAL, Direction.AGGRAVATED) if d in ranges]
        for a, b in zip(order, order[1:], strict=False):
            if ranges[a][0] > ranges[b][0] or ranges[a][1] > ranges[b][1]:
                out.append(
                    f"tier {tier.id!r}: its {wording.DIRECTION_LABELS[a]} band lies above its "
                    f"{wording.DIRECTION_LABELS[b]} band"
                )
        return out

    def key_words(self, ci: CompiledItem, matched: frozenset[RuleKey]) -> list[str]:
        return [
            f"阶次「{t.label}」（{ci.conditions[RuleKey.tier(t.id)].text}）"
            for t in ci.item.tiers
            if RuleKey.tier(t.id) in matched
        ]


TIERS = TiersShape()

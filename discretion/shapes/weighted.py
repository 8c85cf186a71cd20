"""`weighted`: 权重累加模式 (粤环发〔2021〕7号 第六条) — fine = min(start + Σ weights of the factors
that hold, cap) × the statutory maximum; lenient / aggravated entries with a `weight` add it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from collections.abc import Mapping

from .. import wording
from ..citation import render_all
from ..conditions import Value
from ..keys import Direction, ListKind, RuleKey, ShapeKind
from ..money import FEN, normalise, round_within, yuan_text
from ..ruleset import Item, ListEntry
from ..errors import RulesetDefect
from ..evaluation.fines import Span, placed, suggest
from ..evaluation.placing import alternatives, fine, step
from .base import Mandatory, ShapeDefaults

if TYPE_CHECKING:
    from ..compiler import CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan, Planner
    from ..evaluation.result import Fine, Measure, Option, TraceStep


# bound once: Enum class attribute access is slow in CPython 3.11 (per-case code below)
_LENIENT, _GENERAL, _AGGRAVATED, _MITIGATED = (
    Direction.LENIENT,
    Direction.GENERAL,
    Direction.AGGRAVATED,
    Direction.MITIGATED,
)


def pct(d: Decimal) -> str:
    return f"{normalise(d * 100)}%"


class WeightedShape(ShapeDefaults):
    kind = ShapeKind.WEIGHTED

    def validate(self, item: Item) -> tuple[str, str] | None:
        if item.weighted is None:
            return "weighted", "the weighted shape needs `weighted`"
        return None

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        """Sum the weights that hold (factors, then weighted list entries); the rest place as usual."""
        item = cell.ci.item
        w = item.weighted
        assert w is not None
        total = w.start
        groups: dict[str, list[str]] = {}
        for f in w.factors:
            if f.group is not None:
                members = groups.setdefault(f.group, [])
                if cell.holds(RuleKey.weight(f.id)):
                    members.append(f.id)
        for group, members in groups.items():
            if len(members) != 1:
                raise RulesetDefect(
                    f"item {item.code}: exactly one factor of the exclusive group {group!r} must hold, "
                    f"got {', '.join(members) or 'none'}",
                    field=f"items.{item.code}.weighted.factors",
                )
        for f in w.factors:
            key = RuleKey.weight(f.id)
            if cell.holds(key):
                total += f.weight
                fp.before_span.append(
                    cell.template(
                        "weight",
                        str(key),
                        wording.weight(f.label, pct(f.weight)),
                        f.basis or w.basis,
                        key,
                    )
                )
        unweighted: dict[ListKind, list[ListEntry]] = {k: [] for k in mandatory}
        for kind, entries in mandatory.items():
            for e in entries:
                if e.weight is not None:
                    total += e.weight
                    fp.before_span.append(
                        cell.template(
                            kind,
                            e.id,
                            wording.weight(e.label, pct(e.weight)),
                            e.basis,
                            RuleKey.entry(e.id),
                        )
                    )
                else:
                    unweighted[kind].append(e)
        fp.weighted = w
        fp.weight_total = min(max(total, Decimal(0)), w.cap)
        fp.weighted_citation = render_all(w.basis or item.penalty_basis)
        fp.placement_citation = render_all(list(cell.crs.placement.basis) or w.basis or item.penalty_basis)
        return unweighted, []

    def place(
        self,
        crs: CompiledRuleset,
        fp: FinePlan,
        stat: StatutoryFine,
        facts: Mapping[str, Value | None],
        trace: list[TraceStep],
        options: list[Option],
    ) -> Fine:
        """The summed weight × the statutory maximum is the point of the fine."""

        trace += [t.make(facts) for t in fp.before_span]
        placement = crs.placement
        w = fp.weighted
        assert w is not None
        total = fp.weight_total
        point_raw = (total * stat.span.hi).quantize(FEN)
        point = min(max(point_raw, stat.span.lo), stat.span.hi)
        trace.append(
            step(
                "weighted",
                "weighted",
                wording.weighted_sum(
                    pct(w.start),
                    pct(total),
                    pct(w.cap),
                    yuan_text(stat.span.hi),
                    yuan_text(point_raw),
                    None if point == point_raw else yuan_text(point),
                ),
                fp.weighted_citation,
            )
        )
        trace += [t.make(facts) for t in fp.direction_steps]
        direction = fp.direction
        if direction is _LENIENT:
            rec = Span(stat.span.lo, point)
        elif direction is _AGGRAVATED:
            rec = Span(point, stat.span.hi)
        elif direction is _MITIGATED:
            rec = placed(stat.span, _MITIGATED, placement, stat.span)
        else:
            rec = stat.span
        suggested = (
            suggest(rec, placement.rounding)
            if direction is not _GENERAL
            else round_within(point, placement.rounding, stat.span.lo, stat.span.hi)
        )
        alternatives(crs, fp, stat.span, stat, options)
        trace += [t.make(facts) for t in fp.adjustment_steps]
        trace.append(
            step(
                "placement",
                f"placement:{direction}",
                wording.placed_point(direction, yuan_text(suggested), rec.text()),
                fp.placement_citation,
            )
        )
        return fine(rec, suggested, stat, None, direction)

    def diff(self, old: Item, new: Item) -> list[str]:
        """Start, cap and factors: a change of any of them changes every fine of the item."""
        a, b = old.weighted, new.weighted
        if a == b:
            return []
        if a is None or b is None:
            return ["权重累加：" + ("新增" if a is None else "删除")]
        out = []
        if a.start != b.start:
            out.append(f"起始权重：{pct(a.start)} → {pct(b.start)}")
        if a.cap != b.cap:
            out.append(f"权重上限：{pct(a.cap)} → {pct(b.cap)}")
        old_f, new_f = {f.id: f for f in a.factors}, {f.id: f for f in b.factors}
        for fid in sorted(old_f.keys() | new_f.keys()):
            x, y = old_f.get(fid), new_f.get(fid)
            if x == y:
                continue
            if x is None:
                out.append(f"新增权重因素「{y.label}」（{y.when}）：{pct(y.weight)}")  # type: ignore[union-attr]  # x is None and x != y, so y is a factor
            elif y is None:
                out.append(f"删除权重因素「{x.label}」")
            else:
                out.append(f"权重因素「{y.label}」：{x.when}，{pct(x.weight)} → {y.when}，{pct(y.weight)}")
        return out


WEIGHTED = WeightedShape()

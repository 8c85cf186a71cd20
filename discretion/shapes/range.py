"""`range`: no tiers; the placement shares apply to the whole statutory range (粤环发〔2021〕7号 第十二条)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..conditions import Value
from ..keys import RuleKey, ShapeKind
from ..ruleset import Item
from .base import Mandatory

if TYPE_CHECKING:
    from ..compiler import CompiledItem, CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan, Planner
    from ..evaluation.result import Fine, Measure, Option, TraceStep


class RangeShape:
    kind = ShapeKind.RANGE

    def validate(self, item: Item) -> tuple[str, str] | None:
        return None

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        return mandatory, []

    def place(self, crs: CompiledRuleset, fp: FinePlan, stat: StatutoryFine, facts: Mapping[str, Value | None],
              trace: list[TraceStep], options: list[Option]) -> Fine:
        from ..evaluation.placing import in_span

        trace += [t.make(facts) for t in fp.before_span]
        return in_span(crs, fp, stat, stat.span, facts, trace, options, None)

    def verify(self, fp: FinePlan) -> list[str]:
        return []

    def key_words(self, ci: CompiledItem, matched: frozenset[RuleKey]) -> list[str]:
        return []

    def diff(self, old: Item, new: Item) -> list[str]:
        return []


RANGE = RangeShape()

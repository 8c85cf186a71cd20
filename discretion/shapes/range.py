"""`range`: no tiers; the placement shares apply to the whole statutory range (粤环发〔2021〕7号 第十二条)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from collections.abc import Mapping

from ..conditions import Value
from ..keys import ShapeKind
from .base import ShapeDefaults

if TYPE_CHECKING:
    from ..compiler import CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan
    from ..evaluation.result import Fine, Option, TraceStep


class RangeShape(ShapeDefaults):
    kind = ShapeKind.RANGE

    def place(
        self,
        crs: CompiledRuleset,
        fp: FinePlan,
        stat: StatutoryFine,
        facts: Mapping[str, Value | None],
        trace: list[TraceStep],
        options: list[Option],
    ) -> Fine:
        from ..evaluation.placing import in_span

        trace += [t.make(facts) for t in fp.before_span]
        return in_span(crs, fp, stat, stat.span, facts, trace, options, None)


RANGE = RangeShape()

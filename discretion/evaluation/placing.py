"""What every shape does once it has a range: options placed in it, the fine and the placement step."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING
from collections.abc import Mapping

from .. import wording
from ..compiler import CompiledRuleset
from ..conditions import Value
from ..keys import Direction, Outcome
from ..money import normalise, yuan_text
from ..wording import DIRECTION_LABELS
from .fines import Span, StatutoryFine, placed, suggest
from .result import Fine, FineRange, Option, TraceStep, assemble

if TYPE_CHECKING:
    from .plan import FinePlan


_PENALTY = Outcome.PENALTY  # bound once: Enum class attribute access is slow in CPython 3.11


def alternatives(
    crs: CompiledRuleset,
    fp: FinePlan,
    span: Span,
    stat: StatutoryFine,
    options: list[Option],
    bands: Mapping[Direction, Span] | None = None,
) -> None:
    """The fines the officer may choose instead, each placed in `span` for its direction (or its band)."""
    placement = crs.placement
    for a in fp.alternatives:
        r = bands[a.direction] if bands and a.direction in bands else placed(span, a.direction, placement, stat.span)
        options.append(
            assemble(
                Option,
                id=a.id,
                list=a.list,
                label=a.label,
                effect=f"{a.lead}{r.text()}",
                citation=a.citation,
                outcome=_PENALTY,
                fine=assemble(FineRange, min=r.lo, max=r.hi, suggested=suggest(r, placement.rounding)),
            )
        )


@lru_cache(maxsize=64)
def rounding_text(step: Decimal) -> str:
    return str(normalise(step))


def fine(rec: Span, suggested: Decimal, stat: StatutoryFine, tier: str | None, direction: Direction) -> Fine:
    return assemble(
        Fine,
        min=rec.lo,
        max=rec.hi,
        suggested=suggested,
        statutory_min=stat.span.lo,
        statutory_max=stat.span.hi,
        tier=tier,
        placement=DIRECTION_LABELS[direction],
    )


def step(step: str, rule: str, effect: str, citation: str) -> TraceStep:
    return assemble(TraceStep, step=step, rule=rule, effect=effect, citation=citation, condition=None, facts={})


def in_span(
    crs: CompiledRuleset,
    fp: FinePlan,
    stat: StatutoryFine,
    span: Span,
    facts: Mapping[str, Value | None],
    trace: list[TraceStep],
    options: list[Option],
    tier_label: str | None,
    bands: Mapping[Direction, Span] | None = None,
) -> Fine:
    """Place the fine in `span` (a tier's, or the whole statutory range) by the plan's direction; where the
    table publishes a band for that direction, the band is the recommended range."""
    placement = crs.placement
    if fp.direction_steps:
        trace += [t.make(facts) for t in fp.direction_steps]
    rec = bands[fp.direction] if bands and fp.direction in bands else placed(span, fp.direction, placement, stat.span)
    if fp.alternatives:
        alternatives(crs, fp, span, stat, options, bands)
    if fp.adjustment_steps:
        trace += [t.make(facts) for t in fp.adjustment_steps]
    suggested = suggest(rec, placement.rounding)
    trace.append(
        step(
            "placement",
            f"placement:{fp.direction}",
            wording.placed_range(fp.direction, rec.text(), yuan_text(suggested), rounding_text(placement.rounding)),
            fp.placement_citation,
        )
    )
    return fine(rec, suggested, stat, tier_label, fp.direction)

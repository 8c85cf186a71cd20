"""Fine arithmetic: the statutory range from its base, tier ranges, and placement in a range.

Every function keeps the law's bounds: nothing here returns an amount above the statutory
maximum, and only `mitigated_range` goes below the statutory minimum (never below the floor).
"""

from __future__ import annotations

from functools import lru_cache
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Mapping

from ..conditions import Value
from ..errors import FactError, RulesetDefect
from ..money import FEN, normalise, round_within, yuan_text
from ..keys import Direction
from ..ruleset import FineSpec, Placement

TWO = Decimal(2)

_MITIGATED = Direction.MITIGATED  # bound once: Enum class attribute access is slow in CPython 3.11


class Span(NamedTuple):
    """A closed range of yuan (a tuple: immutable, and cheap to make several times per case)."""

    lo: Decimal
    hi: Decimal

    def share(self, a: Decimal, b: Decimal) -> Span:
        """The part of the range between shares a and b (0 = lo, 1 = hi)."""
        width = self.hi - self.lo
        return Span((self.lo + a * width).quantize(FEN), (self.lo + b * width).quantize(FEN))

    def clip(self, outer: Span) -> Span:
        lo = min(max(self.lo, outer.lo), outer.hi)
        hi = max(min(self.hi, outer.hi), outer.lo)
        return Span(lo, hi)

    def text(self) -> str:
        return f"{yuan_text(self.lo)}至{yuan_text(self.hi)}"


class StatutoryFine(NamedTuple):
    """The statutory range for these facts, and how it was obtained (for the trace)."""

    span: Span
    how: str
    base: str | None
    base_value: Decimal | None
    fallback_used: bool


def statutory_fine(
    spec: FineSpec, facts: Mapping[str, Value | None], fallback_holds: bool, base_label: str | None = None
) -> StatutoryFine:
    """The law's range: fixed, or times the base, or the fallback for a small/unknown base."""
    if spec.range is not None:
        span = Span(spec.range[0], spec.range[1])
        how = f"法定罚款幅度{span.text()}"
        return StatutoryFine(_cap(span, spec.ceiling), how, None, None, False)
    assert spec.times is not None and spec.multiple_of is not None
    base = facts.get(spec.multiple_of)
    label = base_label or spec.multiple_of
    if spec.fallback is not None and (base is None or base == 0 or fallback_holds):
        span = Span(spec.fallback.range[0], spec.fallback.range[1])
        why = "无法确定" if base is None else f"为{yuan_text(Decimal(base))}"
        how = f"{label}{why}，适用法定罚款幅度{span.text()}"
        return StatutoryFine(
            _cap(span, spec.ceiling), how, spec.multiple_of, None if base is None else Decimal(base), True
        )
    if base is None:
        raise FactError(f"the fine is a multiple of {label}, which must be given", field=f"facts.{spec.multiple_of}")
    b = base if type(base) is Decimal else Decimal(base)  # money facts are Decimals already
    t0, t1 = spec.times
    span = Span((b * t0).quantize(FEN), (b * t1).quantize(FEN))
    how = f"{label}{yuan_text(b)}{_times_words(t0, t1)}{yuan_text(span.lo)}至{yuan_text(span.hi)}"
    if spec.ceiling is not None and span.hi > spec.ceiling:
        how += f"，最高不超过{yuan_text(spec.ceiling)}"
    return StatutoryFine(_cap(span, spec.ceiling), how, spec.multiple_of, b, False)


def _cap(span: Span, ceiling: Decimal | None) -> Span:
    if ceiling is None:
        return span
    return Span(min(span.lo, ceiling), min(span.hi, ceiling))


@lru_cache(maxsize=1024)
def times_text(t: Decimal) -> str:
    """A statutory multiple as the law writes it: 百分之五 as 百分之5, else N倍."""
    if t < 1:
        return f"百分之{normalise(t * 100)}"
    return f"{normalise(t)}倍"


def multiples_text(lo: Decimal, hi: Decimal) -> str:
    """A range of multiples as the law writes it: 百分之五十至3倍; from nothing, 1倍以下 (处…一倍以下的罚款)."""
    if lo == 0:
        return f"{times_text(hi)}以下"
    return f"{times_text(lo)}至{times_text(hi)}"


@lru_cache(maxsize=1024)
def _times_words(t0: Decimal, t1: Decimal) -> str:
    """的10倍至20倍： (the multiples of a statutory range, between the base and the range)."""
    return f"的{multiples_text(t0, t1)}："


#: what `placement.boundaries` means for a tier's amounts written as a range, when the range gives no `bounds`
BOUNDARIES = {"inclusive": "[]", "lower_inclusive": "[)"}


def tier_span(spec: FineSpec, statutory: StatutoryFine, tier_id: str, boundaries: str = "inclusive") -> Span:
    """A tier's own range: amounts as written, multiples of the statutory base, or a share.

    Amounts follow the table's words: 以上、以下 含本数 (`[]`); 不满、不足 exclude the upper amount (`[)`:
    the range ends one fen below it); 超过 excludes the lower (`(]`). A range without its own `bounds`
    takes the ruleset's `placement.boundaries`."""
    if spec.range is not None:
        lo, hi = spec.range
        bounds = spec.bounds or BOUNDARIES[boundaries]
        if bounds[0] == "(":
            lo += FEN
        if bounds[1] == ")":
            hi -= FEN
        return Span(lo, max(hi, lo))
    if spec.share is not None:
        return statutory.span.share(spec.share[0], spec.share[1])
    assert spec.times is not None
    if statutory.base_value is None or statutory.fallback_used:
        raise RulesetDefect(
            f"tier {tier_id!r} is a multiple of the base, but the statutory fallback range applies "
            "(base small, zero or unknown): the ruleset needs a tier for that case",
            field="tiers",
        )
    b = statutory.base_value
    lo, hi = (b * spec.times[0]).quantize(FEN), (b * spec.times[1]).quantize(FEN)
    if spec.bounds is not None:  # "违法所得的1倍至2倍（不含本数）": only where the multiple says so itself
        lo += FEN if spec.bounds[0] == "(" else 0
        hi -= FEN if spec.bounds[1] == ")" else 0
    return Span(lo, max(hi, lo))


def placed(span: Span, direction: Direction, placement: Placement, statutory: Span) -> Span:
    """The recommended sub-range for a direction (lenient/general/aggravated/mitigated)."""
    if direction is _MITIGATED:
        floor = placement.mitigated_floor
        if statutory.lo <= floor:
            return Span(statutory.lo, statutory.lo)
        return Span(floor, statutory.lo).share(*placement.mitigated)
    shares: tuple[Decimal, Decimal] = getattr(placement, direction)  # lenient / general / aggravated
    return span.share(*shares)


def suggest(span: Span, rounding: Decimal) -> Decimal:
    """The midpoint, rounded half-up to `rounding` yuan, kept inside the span."""
    return round_within((span.lo + span.hi) / TWO, rounding, span.lo, span.hi)

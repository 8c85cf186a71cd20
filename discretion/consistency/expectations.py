"""What the benchmark expects for one relevance key: one evaluation, or a few to fit a base-proportional range.

The evaluator runs on the key's first case that is not time-barred; where the fine is a multiple of
a base (货值金额 …) two more distinct bases are evaluated to fit how the range grows with the base,
and a third checks the fit; a key whose range is not affine in its base is evaluated per distinct
base. Ranges are kept per case in exact integer fen (for findings) and in float yuan (for charts
and positions in the range).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any
from collections.abc import Callable

import numpy as np

from ..compiler import CompiledItem
from ..errors import DiscretionError, RulesetDefect
from ..evaluation import EvaluationRequest, evaluate
from ..evaluation.result import Recommendation, imposed_fine_range
from ..keys import RuleKey
from ..loader import RulesetLibrary
from ..cases.table import CaseTable

_HALF = Decimal("0.5")


@dataclass
class KeyGroup:
    """The cases of one relevance key (table row indices, input order) and what the benchmark expects."""

    department: str
    item: str
    version: str
    words: str
    rules: list[dict[str, Any]]
    rows: np.ndarray
    local: np.ndarray  # each case's index into the item group's distinct validated facts
    expired: np.ndarray
    recommendation: Recommendation | None = None
    defect: str | None = None
    ranges: Ranges | None = None
    discretionary_outcomes: set[str] = field(default_factory=set)
    #: the fine is 可以并处 (an option, `may: true`): imposing it or not is the officer's choice
    may_fine: bool = False
    #: the ranges are the 可以并处 option's (the key has no fine of its own): an imposed fine is measured
    #: against them and there is no statutory maximum to check (decisions/check.py does the same)
    may_ranges: bool = False
    dropped: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Ranges:
    """Per case: the recommended range and statutory maximum, as floats (yuan) and as fen bounds.

    A fine is below the range iff fen < lo_fen, above it iff fen > hi_fen, above the law iff fen > max_fen
    (bounds rounded half a fen outwards, so a range that is not a whole number of fen is met as before)."""

    rec_min: np.ndarray
    rec_max: np.ndarray
    stat_max: np.ndarray
    lo_fen: np.ndarray
    hi_fen: np.ndarray
    max_fen: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Ranges:
        f = [np.full(n, np.nan) for _ in range(3)]
        i = [np.zeros(n, dtype=np.int64) for _ in range(3)]
        return cls(*f, *i)

    def set(self, at: np.ndarray | slice, p: tuple[Decimal, Decimal, Decimal]) -> None:
        lo, hi, smax = p
        self.rec_min[at], self.rec_max[at], self.stat_max[at] = float(lo), float(hi), float(smax)
        self.lo_fen[at] = int((lo * 100 - _HALF).to_integral_value(ROUND_CEILING))
        self.hi_fen[at] = int((hi * 100 + _HALF).to_integral_value(ROUND_FLOOR))
        self.max_fen[at] = int((smax * 100 + _HALF).to_integral_value(ROUND_FLOOR))

    def take(self, keep: np.ndarray) -> Ranges:
        return Ranges(
            *(getattr(self, k)[keep] for k in ("rec_min", "rec_max", "stat_max", "lo_fen", "hi_fen", "max_fen"))
        )


def first_seen(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-negative codes in order of first appearance, and each code's index among them
    (linear time: no sort)."""
    if not len(codes):
        return codes, codes
    size = int(codes.max()) + 1
    first = np.full(size, len(codes), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first appearance
    present = np.flatnonzero(first < len(codes))
    distinct = present[np.argsort(first[present], kind="stable")]
    at = np.empty(size, dtype=np.int64)
    at[distinct] = np.arange(len(distinct))
    return distinct, at[codes]


def _base_fact(ci: CompiledItem, matched: frozenset[RuleKey]) -> str | None:
    for c in ci.item.statutory:
        if (
            RuleKey.statutory(c.id) in matched
            and c.fine is not None
            and c.fine.multiple_of
            and RuleKey.fallback(c.id) not in matched
        ):
            return c.fine.multiple_of
    return None


def _range(r: Recommendation) -> tuple[Decimal, Decimal, Decimal]:
    """The range an imposed fine is measured against (imposed_fine_range); for a 可以并处 option, which
    has no statutory maximum in the result, its own maximum stands in (findings do not check it)."""
    m = imposed_fine_range(r)
    if m is None:
        return (Decimal(0),) * 3
    return Decimal(m.min), Decimal(m.max), Decimal(m.max if m.statutory_max is None else m.statutory_max)


def expect(
    lib: RulesetLibrary,
    table: CaseTable,
    group: KeyGroup,
    ci: CompiledItem,
    matched: frozenset[RuleKey],
    column: Callable[[str], list[Any]],
) -> int:
    """Evaluate the key (once, or a few times to fit a base-proportional range). Returns evaluations made.

    `column(fact)` is a fact's validated value per distinct facts of the item group."""
    live = np.flatnonzero(~group.expired)
    if not len(live):
        return 0
    failed: dict[int, str] = {}

    def attempt(i: int) -> Recommendation | None:
        """Evaluate one case; a case the evaluator refuses (e.g. a base it needs is absent) is set aside."""
        r = int(group.rows[i])
        try:
            return evaluate(
                lib,
                EvaluationRequest(
                    department=group.department,
                    item=table.items[int(table.item[r])],
                    facts=table.facts_of(r),
                    act_date=table.date(table.act, r),
                    decision_date=table.date(table.decided, r),
                ),
            )
        except RulesetDefect:
            raise
        except DiscretionError as e:
            failed[i] = str(e)
            return None
        except (ArithmeticError, ValueError, TypeError, RecursionError) as e:  # a stored row it cannot read
            failed[i] = f"cannot be evaluated: {type(e).__name__}"
            return None

    try:
        runs, rep = 0, None
        for i in live.tolist() if len(live) < 64 else map(int, live):
            runs += 1
            rep = attempt(i)
            if rep is not None:
                break
        runs += _expect_ranges(group, ci, matched, column, live, rep, attempt) if rep is not None else 0
    except RulesetDefect as e:
        group.defect = e.message
        return runs + 1
    finally:
        _set_aside(group, failed)
    return runs


def _set_aside(group: KeyGroup, failed: dict[int, str]) -> None:
    """Remove the cases the evaluator refused from the group; they are reported as rejected rows."""
    if not failed:
        return
    keep = np.ones(len(group.rows), dtype=bool)
    keep[list(failed)] = False
    group.dropped = [(int(group.rows[i]), reason) for i, reason in sorted(failed.items())]
    group.rows, group.local, group.expired = group.rows[keep], group.local[keep], group.expired[keep]
    if group.ranges is not None:
        group.ranges = group.ranges.take(keep)


def _expect_ranges(
    group: KeyGroup,
    ci: CompiledItem,
    matched: frozenset[RuleKey],
    column: Callable[[str], list[Any]],
    live: np.ndarray,
    rep: Recommendation,
    attempt: Callable[[int], Recommendation | None],
) -> int:
    """The expected outcome and, per case, the recommended range (fitted where it grows with a base)."""
    runs = 0
    group.recommendation = rep
    group.discretionary_outcomes = {o.outcome for o in rep.options if o.outcome != "penalty"}
    group.may_fine = any(o.list == "may" and o.fine is not None for o in rep.options)
    n = len(group.rows)
    measure = imposed_fine_range(rep)
    if measure is None:
        return runs
    group.may_ranges = measure.may is not None
    base = _base_fact(ci, matched)
    p0 = _range(rep)
    ranges = group.ranges = Ranges.empty(n)
    if base is None:
        ranges.set(slice(None), p0)
        return runs
    bases = column(base)
    # each case's base value, by value (equal amounts written differently are one value), in order of appearance
    distinct, inverse = first_seen(group.local)
    value_ids: dict[Any, int] = {}
    values: list[Any] = []
    of_distinct = np.empty(len(distinct), dtype=np.int64)
    for u, j in enumerate(distinct.tolist()):
        k = value_ids.setdefault(bases[j], len(values))
        if k == len(values):
            values.append(bases[j])
        of_distinct[u] = k
    vid = of_distinct[inverse]  # ids in order of first appearance
    # ranges grow with the base: fit on two cases, check on a third; otherwise evaluate each distinct base
    firsts, _ = first_seen(vid[live])
    by_value = [(int(live[np.argmax(vid[live] == v)]), values[v]) for v in firsts[1:3].tolist()]  # 2nd and 3rd values
    points = {values[int(vid[live[0]])]: p0}
    for i, value in by_value:
        r = attempt(i)
        runs += 1
        if r is None or imposed_fine_range(r) is None:
            continue
        points[value] = _range(r)
    fit: Callable[[Any], tuple[Decimal, Decimal, Decimal]] | None = None
    known = [(Decimal(b), p) for b, p in points.items() if b is not None]
    if len(known) >= 2:
        (b1, p1), (b2, p2) = known[:2]
        slopes = [(p2[k] - p1[k]) / (b2 - b1) for k in range(3)]

        def fit(b: Any) -> tuple[Decimal, Decimal, Decimal]:
            return tuple(p1[k] + slopes[k] * (Decimal(b) - b1) for k in range(3))  # type: ignore[return-value]  # three components, as declared

        if len(known) < 3 or any(abs(fit(b)[k] - p[k]) > Decimal("0.01") for b, p in known for k in range(3)):
            fit = None  # not shown to be affine: evaluate each distinct base
    order = np.argsort(vid, kind="stable")
    cuts = np.flatnonzero(np.diff(vid[order])) + 1
    for members in np.split(order, cuts):  # each distinct base value's cases, in input order
        b = values[int(vid[members[0]])]
        p = points.get(b)
        if p is None and fit is not None and b is not None:
            p = fit(b)
        if p is not None:
            ranges.set(members, p)
            continue
        for pos, i in enumerate(members.tolist()):  # the first case the evaluator accepts gives the range
            r = attempt(i)
            runs += 1
            if r is not None:
                ranges.set(members[pos:], _range(r))
                break
    return runs

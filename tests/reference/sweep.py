"""sweep(): group decided cases by relevance key, evaluate each key once, and report
inconsistencies.

The row-by-row reference for discretion.consistency.sweep, independent of its expectation code:
each case's facts are validated on their own (validate_facts, the evaluator's check) and its key is
the set of rules the reference predicates say hold for it (`match_reference`, plain Python, not
durable_rules and not the production bucketing by thresholds); limitation is counted here. Shared
with production: the evaluator itself (the expectation's source), the report models and the words
of a key (`describe`, `rules_of` — wording, not expectation).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from collections.abc import Callable

import numpy as np

from discretion.compiler import CompiledItem, CompiledRuleset
from discretion.consistency.keys import describe, rules_of
from discretion.consistency.report import (
    CaseFine,
    ConsistencyReport,
    Finding,
    GroupChart,
    RejectedRow,
    Summary,
)
from discretion.errors import DiscretionError, FactError, RulesetDefect
from discretion.evaluation import EvaluationRequest, evaluate
from discretion.evaluation.result import Recommendation
from discretion.facts import validate_facts
from discretion.loader import RulesetLibrary

from .findings import find
from .reading import DecidedRow, ReadResult, cyclic_gc_paused


@dataclass
class KeyGroup:
    """The cases of one relevance key and what the benchmark expects for them."""

    department: str
    item: str
    version: str
    words: str
    rules: list[dict[str, Any]]
    rows: list[DecidedRow]
    expired: np.ndarray
    recommendation: Recommendation | None = None
    defect: str | None = None
    rec_min: np.ndarray | None = None
    rec_max: np.ndarray | None = None
    stat_max: np.ndarray | None = None
    discretionary_outcomes: set[str] = field(default_factory=set)
    may_fine: bool = False  # 可以并处: the fine is an option
    may_ranges: bool = False  # no fine of its own: cases are measured against the 可以并处 option's range
    dropped: list[tuple[DecidedRow, str]] = field(default_factory=list)


def _years_later(d: dt.date, years: int) -> dt.date:
    """The same day of the month `years` later, or the month's last day where it has no such day (29
    Feb)."""
    year = d.year + years
    return dt.date(year, d.month, min(d.day, calendar.monthrange(year, d.month)[1]))


def _limitation_expired(
    crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[Any], rows: list[DecidedRow]
) -> np.ndarray:
    lim, item = crs.limitation, ci.item
    years = item.limitation_years or (lim.years if lim else None)
    if years is None:
        return np.zeros(len(rows), dtype=bool)
    names = {str(k) for k in matched}  # the reference reads keys as the trace prints them
    if not item.limitation_years and lim and lim.extended and "limitation:extended" in names:
        years = lim.extended.years
    deadline: dict[dt.date, dt.date] = {}
    out = np.empty(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        end = deadline.get(r.act_date)
        if end is None:
            end = deadline[r.act_date] = _years_later(r.act_date, years)
        out[i] = r.decision_date > end
    return out


def _base_fact(ci: CompiledItem, matched: frozenset[Any]) -> str | None:
    for c in ci.item.statutory:
        names = {str(k) for k in matched}  # the reference reads keys as the trace prints them
        if (
            f"statutory:{c.id}" in names
            and c.fine is not None
            and c.fine.multiple_of
            and f"fallback:{c.id}" not in names
        ):
            return c.fine.multiple_of
    return None


def _measured(rec: Recommendation) -> tuple[Decimal, Decimal, Decimal] | None:
    """(min, max, statutory max) an imposed fine is held to: the recommended fine; else the first
    option of list "may" with a fine (可以并处), whose maximum stands in for the statutory one while
    ranges are fitted (it is set to NaN afterwards: not checked)."""
    if rec.fine is not None:
        return Decimal(rec.fine.min), Decimal(rec.fine.max), Decimal(rec.fine.statutory_max)
    for o in rec.options:
        if o.list == "may" and o.fine is not None:
            return Decimal(o.fine.min), Decimal(o.fine.max), Decimal(o.fine.max)
    return None


def _request(row: DecidedRow) -> EvaluationRequest:
    return EvaluationRequest(
        department=row.department,
        item=row.item,
        facts=row.facts,
        act_date=row.act_date,
        decision_date=row.decision_date,
    )


def _expect(
    lib: RulesetLibrary,
    group: KeyGroup,
    ci: CompiledItem,
    matched: frozenset[Any],
    facts: list[dict],
) -> int:
    """Evaluate the key (once, or a few times to fit a base-proportional range). Returns evaluations
    made."""
    live = np.flatnonzero(~group.expired).tolist()
    if not live:
        return 0
    failed: dict[int, str] = {}

    def attempt(i: int) -> Recommendation | None:
        """Evaluate one case; a case the evaluator refuses (e.g. a base it needs is absent) is set
        aside."""
        try:
            return evaluate(lib, _request(group.rows[i]))
        except RulesetDefect:
            raise
        except DiscretionError as e:
            failed[i] = str(e)
            return None

    try:
        runs, rep = 0, None
        for i in live:
            runs += 1
            rep = attempt(i)
            if rep is not None:
                break
        runs += _expect_ranges(group, ci, matched, facts, live, rep, attempt) if rep is not None else 0
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
    keep = np.array([i not in failed for i in range(len(group.rows))], dtype=bool)
    group.dropped = [(group.rows[i], reason) for i, reason in sorted(failed.items())]
    group.rows = [r for i, r in enumerate(group.rows) if keep[i]]
    group.expired = group.expired[keep]
    for name in ("rec_min", "rec_max", "stat_max"):
        arr = getattr(group, name)
        if arr is not None:
            setattr(group, name, arr[keep])


def _expect_ranges(
    group: KeyGroup,
    ci: CompiledItem,
    matched: frozenset[Any],
    facts: list[dict],
    live: list[int],
    rep: Recommendation,
    attempt: Callable[[int], Recommendation | None],
) -> int:
    """The expected outcome and, per case, the recommended range (fitted where it grows with a
    base)."""
    runs = 0
    group.recommendation = rep
    group.discretionary_outcomes = {o.outcome for o in rep.options if o.outcome != "penalty"}
    group.may_fine = any(o.list == "may" and o.fine is not None for o in rep.options)
    n = len(group.rows)
    if _measured(rep) is None:
        return runs
    group.may_ranges = rep.fine is None
    base = _base_fact(ci, matched)
    lo0, hi0, smax0 = _measured(rep)  # type: ignore[misc]  # not None (above)
    if base is None:
        group.rec_min, group.rec_max, group.stat_max = (
            np.full(n, float(lo0)),
            np.full(n, float(hi0)),
            np.full(n, np.nan if group.may_ranges else float(smax0)),
        )
        return runs
    # ranges grow with the base: fit on two cases, check on a third; otherwise evaluate each
    # distinct base
    bases = [facts[i].get(base) for i in range(n)]
    by_value: dict[Any, int] = {}
    for i in live:
        by_value.setdefault(bases[i], i)
    points = {bases[live[0]]: (lo0, hi0, smax0)}
    for value, i in list(by_value.items())[1:3]:
        r = attempt(i)
        runs += 1
        got = None if r is None else _measured(r)
        if got is None:
            continue
        points[value] = got
    fit: Callable[[Decimal], tuple[Decimal, Decimal, Decimal]] | None = None
    known = [(Decimal(b), p) for b, p in points.items() if b is not None]
    if len(known) >= 2:
        (b1, p1), (b2, p2) = known[:2]
        slopes = [(p2[k] - p1[k]) / (b2 - b1) for k in range(3)]

        def fit(b: Any) -> tuple[Decimal, Decimal, Decimal]:
            return tuple(p1[k] + slopes[k] * (Decimal(b) - b1) for k in range(3))  # type: ignore[return-value]

        if len(known) < 3 or any(abs(fit(b)[k] - p[k]) > Decimal("0.01") for b, p in known for k in range(3)):
            fit = None  # type: ignore[assignment]  # not shown to be affine: evaluate each distinct base
    rec_min, rec_max, stat_max = np.empty(n), np.empty(n), np.empty(n)
    cache: dict[Any, tuple[Decimal, Decimal, Decimal]] = dict(points)
    for i in range(n):
        b = bases[i]
        if b in cache:
            p = cache[b]
        elif fit is not None and b is not None:
            p = cache[b] = fit(b)
        else:
            r = attempt(i)
            runs += 1
            if r is None:
                rec_min[i] = rec_max[i] = stat_max[i] = np.nan
                continue
            p = cache[b] = _measured(r) or (Decimal(0),) * 3
        rec_min[i], rec_max[i], stat_max[i] = float(p[0]), float(p[1]), float(p[2])
    if group.may_ranges:
        stat_max[:] = np.nan  # a 可以并处 option: no statutory maximum in the result
    group.rec_min, group.rec_max, group.stat_max = rec_min, rec_max, stat_max
    return runs


CHARTED = frozenset({"fine_spread", "outside_range", "different_outcome"})


def _charts(groups: list[KeyGroup], findings: list[Finding]) -> list[GroupChart]:
    """Per-case fines and recommended ranges of the keys with findings of the charted kinds."""
    hit = {c for f in findings if f.kind in CHARTED for c in f.cases}
    out: list[GroupChart] = []
    for g in groups:
        if not any(r.case_id in hit for r in g.rows):
            continue

        def at(a: np.ndarray | None, i: int) -> float | None:
            return None if a is None or np.isnan(a[i]) else float(a[i])

        out.append(
            GroupChart(
                department=g.department,
                item=g.item,
                version=g.version,
                key=g.words,
                cases=[
                    CaseFine(
                        case_id=r.case_id,
                        unit=r.unit,
                        outcome=r.outcome,
                        fine=None if r.fine is None else float(r.fine),
                        rec_min=at(g.rec_min, i),
                        rec_max=at(g.rec_max, i),
                        stat_max=at(g.stat_max, i),
                    )
                    for i, r in enumerate(g.rows)
                    if not g.expired[i]
                ],
            )
        )
    return out


def sweep(
    library: RulesetLibrary,
    read: ReadResult,
    *,
    department: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ConsistencyReport:
    """The consistency report for decided cases (optionally of one department, decided in [since,
    until])."""
    with cyclic_gc_paused():
        return _sweep(library, read, department=department, since=since, until=until, progress=progress)


def _sweep(
    library: RulesetLibrary,
    read: ReadResult,
    *,
    department: str | None,
    since: dt.date | None,
    until: dt.date | None,
    progress: Callable[[int], None] | None,
) -> ConsistencyReport:
    rejected = [RejectedRow(line=r.line, case_id=r.case_id, reason=r.reason) for r in read.rejected]
    # first pass, per row: filters, versions in force, the item (cheap, cached per department and
    # date)
    pending: dict[tuple[str, str, str, str], list[DecidedRow]] = {}
    versions: dict[tuple[str, dt.date], CompiledRuleset | None] = {}
    for row in read.rows:
        if department and row.department != department:
            continue
        if (since and row.decision_date < since) or (until and row.decision_date > until):
            continue
        try:
            old = versions.get((row.department, row.act_date), False)
            if old is False:
                old = versions[(row.department, row.act_date)] = library.in_force(row.department, row.act_date)
            new = versions.get((row.department, row.decision_date), False)
            if new is False:
                new = versions[(row.department, row.decision_date)] = library.in_force(
                    row.department, row.decision_date
                )
        except DiscretionError as e:
            rejected.append(RejectedRow(line=row.line, case_id=row.case_id, reason=str(e)))
            continue
        if old is None:
            rejected.append(
                RejectedRow(
                    line=row.line,
                    case_id=row.case_id,
                    reason=f"act_date: no version of {row.department!r} in force on {row.act_date}",
                )
            )
            continue
        if old.find_item(row.item) is None:
            rejected.append(
                RejectedRow(
                    line=row.line,
                    case_id=row.case_id,
                    reason=f"item: {row.item!r} is not an item of {row.department} {old.version}",
                )
            )
            continue
        pending.setdefault((row.department, old.ruleset.ref, new.ruleset.ref if new else "", row.item), []).append(row)
    # second pass, per case: its facts validated against the old version (and the newer one), its
    # key the rules the reference predicates say hold under each version (第三十七条: what the newer
    # one tells apart is apart too)
    swept = 0
    key_groups: list[KeyGroup] = []
    evaluations = 0
    for (dept, old_ref, new_ref, code), members in sorted(pending.items()):
        crs = library.compiled[old_ref]
        ci = crs.items[code]
        new_ci = library.compiled[new_ref].find_item(code) if new_ref and new_ref != old_ref else None
        keyed: dict[tuple[frozenset[str], frozenset[str]], tuple[list[DecidedRow], list[dict]]] = {}
        for r in members:
            try:
                facts = validate_facts(
                    r.facts,
                    ci.schema,
                    ci.derived,
                    tolerated=frozenset(new_ci.schema) if new_ci else frozenset(),
                )
                new_matched: frozenset[str] = frozenset()
                if new_ci is not None:
                    new_facts = validate_facts(r.facts, new_ci.schema, new_ci.derived, tolerated=frozenset(ci.schema))
                    new_matched = new_ci.match_reference(new_facts)
            except FactError as e:
                rejected.append(RejectedRow(line=r.line, case_id=r.case_id, reason=str(e)))
                continue
            rows_of_key, facts_of_key = keyed.setdefault((ci.match_reference(facts), new_matched), ([], []))
            rows_of_key.append(r)
            facts_of_key.append(facts)
        before, swept = swept, swept + sum(len(rows) for rows, _ in keyed.values())
        if progress:
            for _ in range(swept // 10000 - before // 10000):
                progress(10000)
        for (matched, _), (g_rows, g_facts) in keyed.items():
            group = KeyGroup(
                dept,
                code,
                crs.version,
                describe(ci, matched),
                rules_of(ci, matched),
                g_rows,
                _limitation_expired(crs, ci, matched, g_rows),
            )
            evaluations += _expect(library, group, ci, matched, g_facts)
            rejected.extend(RejectedRow(line=r.line, case_id=r.case_id, reason=reason) for r, reason in group.dropped)
            swept -= len(group.dropped)
            key_groups.append(group)
    if progress and swept % 10000:
        progress(swept % 10000)
    findings, units, officers = find(key_groups, library)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    rejected.sort(key=lambda r: r.line)
    return ConsistencyReport(
        summary=Summary(
            cases_read=len(read.rows) + len(read.rejected),
            cases_swept=swept,
            rejected=len(rejected),
            keys=len(key_groups),
            evaluations=evaluations,
            findings=counts,
        ),
        findings=findings,
        units=units,
        officers=officers,
        rejected=rejected,
        groups=_charts(key_groups, findings),
    )

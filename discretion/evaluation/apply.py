"""Applying one ruleset version to one case, in DESIGN.md's order, recording every step.

limitation (第三十六条) → no-penalty and exemption lists → statutory clause → tier (or the
whole range, or a weighted sum) → lenient / mitigated / aggravated → placement → measures.
Mandatory (应当) entries act; discretionary (可以) entries become options with their effect.

The path through that order is the same for every case of one cell of fact space, so it is
planned once per cell (plan.py); here each case follows its plan with its own amounts and dates.
Results are assembled from parts whose types the plan and the fine arithmetic guarantee, so they
are constructed without a second validation (`model_construct`); tests pin the output.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple
from collections.abc import Mapping

from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from .. import wording
from ..keys import Outcome
from .cells import match
from ..citation import render_all
from ..money import FEN, yuan_text
from ..ruleset import ListEntry
from .fines import Span, StatutoryFine, statutory_fine, suggest
from .placing import step
from .plan import FinePlan, Plan, decide_direction, excluded_reductions, plan_cell, refuse_defect
from .result import (
    OUTCOME_LABELS,
    Fine,
    FineRange,
    Measure,
    Option,
    Recommendation,
    RulesetIdentity,
    TraceStep,
    assemble,
)

__all__ = ["Dates", "add_years", "apply_version", "decide_direction", "no_longer_a_violation"]


# enum members bound once: attribute access on an Enum class is slow in CPython 3.11 (this is the hot path)
_PENALTY, _NO_PENALTY = Outcome.PENALTY, Outcome.NO_PENALTY


class Dates(NamedTuple):
    """The dates of one case (第三十六条 counts from them)."""

    act: dt.date
    act_end: dt.date | None
    discovery: dt.date
    decision: dt.date


def add_years(d: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February → 28 February); past year 9999, the last
    representable day (inputs are bounded to 2999, so only a direct caller can get there)."""
    if d.year + years > dt.MAXYEAR:
        return dt.date.max
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def apply_version(
    crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates, version_step: TraceStep
) -> Recommendation:
    """Evaluate one case under one version; `version_step` (a trace step) says why this version applies."""
    matched = match(ci, facts)
    plan = plan_cell(crs, ci, matched, facts)
    trace = [_facts_step(ci, plan, facts), version_step]
    if plan.limitation is not None and _limitation_expired(plan, facts, dates, trace):
        return _result(crs, plan, dates, _NO_PENALTY, None, [], [], trace)
    if plan.list_steps:
        trace += [t.make(facts) for t in plan.list_steps]
    if plan.decided is not None:
        return _result(crs, plan, dates, plan.decided, None, plan.measures, [], trace)
    if plan.defective:
        refuse_defect(crs, ci, matched, facts)
    fp = plan.fine
    if fp is None:
        trace += [t.make(facts) for t in plan.steps_without_fine]
        return _concluded(crs, dates, plan, None, list(plan.options), facts, trace)
    stat = statutory_fine(fp.spec, facts, fp.fallback_holds, fp.base_label)
    trace.append(fp.statutory.make(facts, stat.how, fp.statutory_fallback_citation if stat.fallback_used else None))
    options = list(plan.options)
    fine = fp.shaper.place(crs, fp, stat, facts, trace, options)
    trace += [t.make(facts) for t in excluded_reductions(ci, matched, facts)]
    if fp.reductions or fp.may_reductions:
        fine = _reduced(crs, fp, stat, fine, facts, trace, options)
    if fp.may:  # 可以并处: the fine is the officer's option with its range and basis, never imposed silently
        assert fine.suggested is not None, "every shape places a suggested amount"
        options.append(
            assemble(
                Option,
                id=f"may:statutory:{fp.clause_id}:fine",
                list="may",
                label=wording.MAY_FINE_LABEL,
                effect=wording.may_fine(Span(fine.min, fine.max).text(), yuan_text(fine.suggested)),
                citation=fp.statutory_fallback_citation,
                outcome=_PENALTY,
                fine=assemble(FineRange, min=fine.min, max=fine.max, suggested=fine.suggested),
            )
        )
        trace.append(
            step(
                "may_fine",
                f"may:statutory:{fp.clause_id}:fine",
                wording.may_fine_step(Span(fine.min, fine.max).text()),
                fp.statutory_fallback_citation,
            )
        )
        return _concluded(crs, dates, plan, None, options, facts, trace)
    return _concluded(crs, dates, plan, fine, options, facts, trace)


def no_longer_a_violation(
    crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates, version_step: TraceStep
) -> Recommendation:
    """第三十七条: the rules in force at the decision no longer make the act a violation, so it is not
    punished; the trace shows the facts as checked against the item and why (`version_step`)."""
    plan = plan_cell(crs, ci, match(ci, facts), facts)
    return _result(crs, plan, dates, _NO_PENALTY, None, [], [], [_facts_step(ci, plan, facts), version_step])


def capped(amount: Decimal, share: Decimal, at_most: Decimal | None) -> Decimal:
    """`amount` less `share` of it, but never less than `amount - at_most` (a cap on the amount taken off)."""
    less = (amount * (1 - share)).quantize(FEN)
    return less if at_most is None else max(less, amount - at_most)


def _reduced(
    crs: CompiledRuleset,
    fp: FinePlan,
    stat: StatutoryFine,
    fine: Fine,
    facts: Mapping[str, Value | None],
    trace: list[TraceStep],
    options: list[Option],
) -> Fine:
    """Proportional reductions of the fine that would otherwise apply (粤环发〔2021〕7号 第十四条: 减少30%–50%,
    不低于法定最低): mandatory ones act, discretionary ones are options; never below their bound."""
    rounding = crs.placement.rounding
    trace += [t.make(facts) for t in fp.reduction_steps]

    def cut(e: ListEntry, lo: Decimal, hi: Decimal) -> tuple[Span, str]:
        r0, r1 = e.reduce  # type: ignore[misc]  # cut() is called only for entries with a reduce
        which = e.reduce_not_below or "statutory_minimum"
        bound = stat.span.lo if which == "statutory_minimum" else min(crs.placement.mitigated_floor, stat.span.lo)
        # at most `reduce_at_most` comes off (东莞: "降低的额度最多不超过20万元"); never below the bound, and never
        # above the fine that would otherwise apply: a fine already below the bound (减轻 below the statutory
        # minimum) is not raised by a "reduction"
        span = Span(
            max(capped(lo, r1, e.reduce_at_most), min(bound, lo)), max(capped(hi, r0, e.reduce_at_most), min(bound, hi))
        )
        return span, wording.reduce_bound(
            f"{wording.REDUCE_NOT_BELOW[which]}{yuan_text(bound)}",
            None if e.reduce_at_most is None else yuan_text(e.reduce_at_most),
        )

    # 权重累加: the fine that would otherwise apply is the weighted amount itself (its "range" is the statutory
    # one), so a reduction takes its share off that amount (粤环发〔2021〕7号 第十四条 "按罚款标准的30%-50%降低")
    lo, hi = fine.min, fine.max
    if fp.shape == "weighted" and fine.suggested is not None:
        lo = hi = fine.suggested
    for e in fp.may_reductions:
        span, bound = cut(e, lo, hi)
        sug = suggest(span, rounding)
        options.append(
            assemble(
                Option,
                id=f"{e.id}:reduce",
                list=e.list,
                label=e.label,
                effect=wording.reduced(span.text(), yuan_text(sug), bound),
                citation=render_all(e.basis),
                outcome=_PENALTY,
                fine=assemble(FineRange, min=span.lo, max=span.hi, suggested=sug),
            )
        )
    for e in fp.reductions:
        span, bound = cut(e, lo, hi)
        lo, hi = span.lo, span.hi
        sug = suggest(span, rounding)
        trace.append(
            step("reduce", f"reduce:{e.id}", wording.reduced(span.text(), yuan_text(sug), bound), render_all(e.basis))
        )
        fine = assemble(
            Fine,
            min=span.lo,
            max=span.hi,
            suggested=sug,
            statutory_min=fine.statutory_min,
            statutory_max=fine.statutory_max,
            tier=fine.tier,
            placement=fine.placement,
        )
    return fine


def _facts_step(ci: CompiledItem, plan: Plan, facts: Mapping[str, Value | None]) -> TraceStep:
    shown = dict(facts)
    for name in plan.decimal_facts:
        v = shown.get(name)
        if v is not None:
            shown[name] = str(v)
    return assemble(
        TraceStep,
        step="facts",
        rule=ci.item.code,
        effect=wording.facts_checked(ci.item.name),
        citation=plan.facts_citation,
        condition=None,
        facts=shown,
    )


def _limitation_expired(plan: Plan, facts: Mapping[str, Value | None], dates: Dates, trace: list[TraceStep]) -> bool:
    """第三十六条: the step says when the period ends and whether the act was discovered within it."""
    years = plan.limitation_years or 2
    start = dates.act_end or dates.act
    deadline = add_years(start, years)
    since = wording.LIMITATION_FROM_END if dates.act_end else wording.LIMITATION_FROM_ACT
    why = wording.LIMITATION_EXTENDED if plan.limitation_extended else ""
    expired = dates.discovery > deadline
    if expired:
        effect = wording.limitation_expired(since, start, years, why, dates.discovery)
    else:
        effect = wording.limitation_running(since, start, years, why, deadline, dates.discovery)
    trace.append(plan.limitation.make(facts, effect))  # type: ignore[union-attr]  # called only when plan.limitation is set
    return expired


def _concluded(
    crs: CompiledRuleset,
    dates: Dates,
    plan: Plan,
    fine: Fine | None,
    options: list[Option],
    facts: Mapping[str, Value | None],
    trace: list[TraceStep],
) -> Recommendation:
    """A penalty, unless nothing that remains is a kind of 行政处罚 (第九条): no fine, and only
    measures such as 责令改正 — then the party is not penalised, and the result says so."""
    if (fine is None or fine.max == 0) and not plan.penal:
        trace.append(plan.outcome_step.make(facts))
        # what the law allows stays open to the officer; where that is a fine (可以并处), the officer who
        # imposes it places it with the other options (从轻/从重 in conflict, 减轻, 可以不予处罚), so they stay
        may_fine = any(o.list == "may" and o.fine is not None for o in options)
        offered = options if may_fine else [o for o in options if o.list == "may"]
        return _result(crs, plan, dates, _NO_PENALTY, None, plan.measures, offered, trace, keep_options=True)
    return _result(crs, plan, dates, _PENALTY, fine, plan.measures, options, trace)


def _result(
    crs: CompiledRuleset,
    plan: Plan,
    dates: Dates,
    outcome: Outcome,
    fine: Fine | None,
    measures: list[Measure],
    options: list[Option],
    trace: list[TraceStep],
    keep_options: bool = False,
) -> Recommendation:
    return assemble(
        Recommendation,
        outcome=outcome,
        outcome_label=OUTCOME_LABELS[outcome],
        item=plan.item_ref,
        fine=fine,
        measures=list(measures),
        options=options if outcome is _PENALTY or keep_options else [],
        ruleset=_identity(crs),
        act_date=dates.act,
        decision_date=dates.decision,
        trace=trace,
    )


_IDENTITIES: dict[str, RulesetIdentity] = {}


def _identity(crs: CompiledRuleset) -> RulesetIdentity:
    """The ruleset identity of results, built once per version content (the hash covers every field of it)."""
    hit = _IDENTITIES.get(crs.hash)
    if hit is None:
        rs = crs.ruleset
        hit = RulesetIdentity(
            department=rs.department,
            department_name=rs.department_name,
            version=rs.version,
            hash=crs.hash,
            source=rs.source,
            effective_from=rs.effective_from,
        )
        if len(_IDENTITIES) < 10_000:  # bounded: a service that loads draft after draft does not grow without end
            _IDENTITIES[crs.hash] = hit
    return hit

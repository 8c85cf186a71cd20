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
from functools import lru_cache
from typing import Mapping, NamedTuple

from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from ..money import FEN, normalise, round_within, yuan_text
from .fines import Span, StatutoryFine, placed, statutory_fine, suggest, tier_span
from .plan import DIRECTION_LABELS, FinePlan, Plan, decide_direction, pct, plan_cell, refuse_defect
from .result import (OUTCOME_LABELS, Fine, FineRange, Measure, Option, Recommendation, RulesetIdentity,
                     TraceStep, assemble)

__all__ = ["Dates", "add_years", "apply_version", "decide_direction", "no_longer_a_violation"]


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


def apply_version(crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates,
                  version_step: TraceStep) -> Recommendation:
    """Evaluate one case under one version; `version_step` (a trace step) says why this version applies."""
    matched = ci.match(facts)
    plan = plan_cell(crs, ci, matched, facts)
    trace = [_facts_step(ci, plan, facts), version_step]
    if plan.limitation is not None and _limitation_expired(plan, facts, dates, trace):
        return _result(crs, plan, dates, "no_penalty", None, [], [], trace)
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
    fine = _place(crs, fp, stat, facts, trace, options)
    return _concluded(crs, dates, plan, fine, options, facts, trace)


def no_longer_a_violation(crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates,
                          version_step: TraceStep) -> Recommendation:
    """第三十七条: the rules in force at the decision no longer make the act a violation, so it is not
    punished; the trace shows the facts as checked against the item and why (`version_step`)."""
    plan = plan_cell(crs, ci, ci.match(facts), facts)
    return _result(crs, plan, dates, "no_penalty", None, [], [], [_facts_step(ci, plan, facts), version_step])


def _facts_step(ci: CompiledItem, plan: Plan, facts: Mapping[str, Value | None]) -> TraceStep:
    shown = dict(facts)
    for name in plan.decimal_facts:
        v = shown.get(name)
        if v is not None:
            shown[name] = str(v)
    return assemble(TraceStep, step="facts", rule=ci.item.code, effect=f"事实已按「{ci.item.name}」的事实清单校验",
                    citation=plan.facts_citation, condition=None, facts=shown)


def _limitation_expired(plan: Plan, facts: Mapping[str, Value | None], dates: Dates, trace: list[TraceStep]) -> bool:
    """第三十六条: the step says when the period ends and whether the act was discovered within it."""
    years = plan.limitation_years or 2
    start = dates.act_end or dates.act
    deadline = add_years(start, years)
    since = "违法行为终了之日" if dates.act_end else "违法行为发生之日"
    why = "（涉及公民生命健康安全、金融安全且有危害后果）" if plan.limitation_extended else ""
    expired = dates.discovery > deadline
    if expired:
        effect = f"自{since}（{start}）起{years}年{why}内未被发现（发现于{dates.discovery}），不再给予行政处罚"
    else:
        effect = f"追责期限{years}年{why}，自{since}（{start}）起算至{deadline}；发现于{dates.discovery}，在期限内"
    trace.append(plan.limitation.make(facts, effect))  # type: ignore[union-attr]
    return expired


def _place(crs: CompiledRuleset, fp: FinePlan, stat: StatutoryFine, facts: Mapping[str, Value | None],
           trace: list[TraceStep], options: list[Option]) -> Fine:
    """The fine for this case: the tier's (or the whole, or the weighted) range, placed per the plan."""
    placement = crs.placement
    trace += [t.make(facts) for t in fp.before_span]
    span = stat.span
    if fp.shape == "weighted":
        return _weighted(crs, fp, stat, facts, trace, options)
    tier_label = None
    if fp.tier is not None and fp.tier_step is not None:
        tier = fp.tier
        tier_label = tier.label
        note = ""
        if tier.fine is not None:
            own = tier_span(tier.fine, stat, tier.id)
            span = own.clip(stat.span)
            note = "" if span == own else f"（阶次金额{own.text()}超出法定幅度，已限定在法定幅度内）"
        trace.append(fp.tier_step.make(facts, f"裁量阶次「{tier.label}」：{span.text()}{note}"))
    trace += [t.make(facts) for t in fp.direction_steps]
    rec = placed(span, fp.direction, placement, stat.span)
    _alternatives(crs, fp, span, stat, options)
    trace += [t.make(facts) for t in fp.adjustment_steps]
    suggested = suggest(rec, placement.rounding)
    trace.append(_step("placement", f"placement:{fp.direction}",
                       f"{DIRECTION_LABELS[fp.direction]}：建议罚款幅度{rec.text()}，建议罚款{yuan_text(suggested)}"
                       f"（按{_rounding_text(placement.rounding)}元取整）", fp.placement_citation))
    return _fine(rec, suggested, stat, tier_label, fp.direction)


def _weighted(crs: CompiledRuleset, fp: FinePlan, stat: StatutoryFine, facts: Mapping[str, Value | None],
              trace: list[TraceStep], options: list[Option]) -> Fine:
    """The weighted-sum shape: the summed weight × the statutory maximum is the point of the fine."""
    placement = crs.placement
    w = fp.weighted
    assert w is not None
    total = fp.weight_total
    point_raw = (total * stat.span.hi).quantize(FEN)
    point = min(max(point_raw, stat.span.lo), stat.span.hi)
    trace.append(_step("weighted", "weighted",
                       f"起始权重{pct(w.start)}，累加后{pct(total)}（上限{pct(w.cap)}）× 法定最高{yuan_text(stat.span.hi)} = {yuan_text(point_raw)}"
                       + ("" if point == point_raw else f"，限定在法定幅度内为{yuan_text(point)}"), fp.weighted_citation))
    trace += [t.make(facts) for t in fp.direction_steps]
    direction = fp.direction
    if direction == "lenient":
        rec = Span(stat.span.lo, point)
    elif direction == "aggravated":
        rec = Span(point, stat.span.hi)
    elif direction == "mitigated":
        rec = placed(stat.span, "mitigated", placement, stat.span)
    else:
        rec = stat.span
    suggested = suggest(rec, placement.rounding) if direction != "general" else round_within(point, placement.rounding, stat.span.lo, stat.span.hi)
    _alternatives(crs, fp, stat.span, stat, options)
    trace += [t.make(facts) for t in fp.adjustment_steps]
    trace.append(_step("placement", f"placement:{direction}", f"{DIRECTION_LABELS[direction]}：建议罚款{yuan_text(suggested)}（幅度{rec.text()}）",
                       fp.placement_citation))
    return _fine(rec, suggested, stat, None, direction)


def _alternatives(crs: CompiledRuleset, fp: FinePlan, span: Span, stat: StatutoryFine, options: list[Option]) -> None:
    placement = crs.placement
    for a in fp.alternatives:
        r = placed(span, a.direction, placement, stat.span)
        options.append(assemble(Option,
            id=a.id, list=a.list, label=a.label, effect=f"{a.lead}{r.text()}", citation=a.citation, outcome="penalty",
            fine=assemble(FineRange, min=r.lo, max=r.hi, suggested=suggest(r, placement.rounding))))


@lru_cache(maxsize=64)
def _rounding_text(step: Decimal) -> str:
    return str(normalise(step))


def _fine(rec: Span, suggested: Decimal, stat: StatutoryFine, tier: str | None, direction: str) -> Fine:
    return assemble(Fine, min=rec.lo, max=rec.hi, suggested=suggested, statutory_min=stat.span.lo,
                                statutory_max=stat.span.hi, tier=tier, placement=DIRECTION_LABELS[direction])


def _step(step: str, rule: str, effect: str, citation: str) -> TraceStep:
    return assemble(TraceStep, step=step, rule=rule, effect=effect, citation=citation, condition=None, facts={})


def _concluded(crs: CompiledRuleset, dates: Dates, plan: Plan, fine: Fine | None, options: list[Option],
               facts: Mapping[str, Value | None], trace: list[TraceStep]) -> Recommendation:
    """A penalty, unless nothing that remains is a kind of 行政处罚 (第九条): no fine, and only
    measures such as 责令改正 — then the party is not penalised, and the result says so."""
    if (fine is None or fine.max == 0) and not plan.penal:
        trace.append(plan.outcome_step.make(facts))
        return _result(crs, plan, dates, "no_penalty", None, plan.measures, [], trace)
    return _result(crs, plan, dates, "penalty", fine, plan.measures, options, trace)


def _result(crs: CompiledRuleset, plan: Plan, dates: Dates, outcome: str, fine: Fine | None,
            measures: list[Measure], options: list[Option], trace: list[TraceStep]) -> Recommendation:
    return assemble(Recommendation,
        outcome=outcome, outcome_label=OUTCOME_LABELS[outcome], item=plan.item_ref, fine=fine, measures=list(measures),
        options=options if outcome == "penalty" else [], ruleset=_identity(crs), act_date=dates.act,
        decision_date=dates.decision, trace=trace)


def _identity(crs: CompiledRuleset) -> RulesetIdentity:
    if crs.identity is None:
        rs = crs.ruleset
        crs.identity = RulesetIdentity(department=rs.department, department_name=rs.department_name, version=rs.version,
                                       hash=crs.hash, source=rs.source, effective_from=rs.effective_from)
    return crs.identity  # type: ignore[return-value]

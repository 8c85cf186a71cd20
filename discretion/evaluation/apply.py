"""Applying one ruleset version to one case, in DESIGN.md's order, recording every step.

limitation (第三十六条) → no-penalty and exemption lists → statutory clause → tier (or the
whole range, or a weighted sum) → lenient / mitigated / aggravated → placement → measures.
Mandatory (应当) entries act; discretionary (可以) entries become options with their effect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal
from typing import Mapping

from ..citation import Citation, render_all
from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from ..errors import RulesetDefect
from ..law import ART_9
from ..money import FEN, normalise, round_within
from ..ruleset import LIST_NAMES, ListEntry, MeasureRef, StatutoryClause
from .fines import Span, StatutoryFine, placed, statutory_fine, suggest, tier_span
from .result import OUTCOME_LABELS, ItemRef, Measure, Recommendation, RulesetIdentity, TraceStep

_NONE: list[ListEntry] = []
DIRECTION_LABELS = {"lenient": "从轻", "general": "一般", "aggravated": "从重", "mitigated": "减轻"}


@dataclass(frozen=True)
class Dates:
    act: dt.date
    act_end: dt.date | None
    discovery: dt.date
    decision: dt.date


def _show(v: Value | None) -> str | int | bool | None:
    """A fact value for the trace: Decimals as the officer wrote them (exact, as strings)."""
    return str(v) if isinstance(v, Decimal) else v


def add_years(d: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class _Run:
    """The state of one evaluation of one version: matched rules and the trace so far."""

    def __init__(self, crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates,
                 version_step: TraceStep) -> None:
        self.crs, self.ci, self.facts, self.dates, self.version_step = crs, ci, facts, dates, version_step
        self.matched = ci.match(facts)
        self.holding = ci.entries_holding(self.matched)
        # plain dicts until the end: one validation of the whole Recommendation is far cheaper than one per step
        self.trace: list[dict | TraceStep] = []
        self.options: list[dict] = []

    # -------------------------------------------------------- helpers

    def holds(self, key: str) -> bool:
        return key in self.matched

    def step(self, step: str, rule: str, effect: str, basis: list[Citation] | tuple[Citation, ...],
             key: str | None = None) -> None:
        cond = self.ci.conditions.get(key) if key else None
        read = tuple((f, _show(self.facts.get(f))) for f in cond.facts) if cond else ()
        self.trace.append(trace_step(step, rule, effect, render_all(basis), cond.text if cond and cond.text else None, read))

    def measures(self, prefix: str, refs: list[MeasureRef], basis: list[Citation]) -> list[Measure]:
        out = []
        for i, m in enumerate(refs):
            if m.when and not self.holds(f"measure:{prefix}:{i}"):
                continue
            out.append(_measure(m.code, self.crs.ruleset.measures[m.code], render_all(basis)))
        return out

    def result(self, outcome: str, fine: dict | None, measures: list[dict]) -> Recommendation:
        unique = list({m.code: m for m in reversed(measures)}.values())[::-1]
        return Recommendation.model_validate(dict(
            outcome=outcome, outcome_label=OUTCOME_LABELS[outcome], item=_item_ref(self.ci.item.code, self.ci.item.name),
            fine=fine, measures=unique, options=self.options if outcome == "penalty" else [],
            ruleset=_identity(self.crs), act_date=self.dates.act, decision_date=self.dates.decision, trace=self.trace,
        ))

    def placement_basis(self) -> list[Citation]:
        """What placement rules cite: the ruleset's placement basis, else its source document."""
        return self.crs.placement_basis

    def entries(self, kind: str, mandatory: bool) -> list[ListEntry]:
        """The entries of one list, mandatory or discretionary, whose conditions hold (shared: do not mutate)."""
        return self.holding.get((kind, mandatory), _NONE)

    # -------------------------------------------------------- the order

    def run(self) -> Recommendation:
        item = self.ci.item
        self.trace.append(dict(step="facts", rule=item.code, effect=f"事实已按「{item.name}」的事实清单校验",
                               citation=render_all(item.legal_basis), condition=None,
                               facts={k: _show(v) for k, v in self.facts.items()}))
        self.trace.append(self.version_step)
        expired = self.limitation()
        if expired:
            return self.result("no_penalty", None, [])
        decided = self.lists()
        if decided is not None:
            return decided
        clause = self.clause()
        basis = clause.basis or item.penalty_basis
        measures = self.measures(f"statutory:{clause.id}", clause.measures, basis)
        if clause.fine is None:
            self.step("statutory", f"statutory:{clause.id}", "该情形法律未规定罚款，依法采取下列措施", basis, f"statutory:{clause.id}")
            self.discretionary_adjustments_without_fine()
            return self.concluded(None, measures)
        label = self.ci.schema[clause.fine.multiple_of].label if clause.fine.multiple_of else None
        stat = statutory_fine(clause.fine, self.facts, self.holds(f"fallback:{clause.id}"), label)
        fb = clause.fine.fallback
        self.step("statutory", f"statutory:{clause.id}", stat.how,
                  [*basis, *([fb.basis] if stat.fallback_used and fb and fb.basis else [])], f"statutory:{clause.id}")
        fine, tier_measures = self.place(stat, basis)
        return self.concluded(fine, measures + tier_measures)

    def concluded(self, fine: dict | None, measures: list[Measure]) -> Recommendation:
        """A penalty, unless nothing that remains is a kind of 行政处罚 (第九条): no fine, and only
        measures such as 责令改正 — then the party is not penalised, and the result says so."""
        penal = set(self.crs.ruleset.penalty_measures)
        if (fine is None or fine["max"] == 0) and not any(m.code in penal for m in measures):
            names = "、".join(m.name for m in measures) or "无"
            self.step("outcome", "outcome:no_penalty_kind", f"不处以罚款，所采取的措施（{names}）不属于行政处罚的种类，不给予行政处罚",
                      [ART_9])
            return self.result("no_penalty", None, measures)
        return self.result("penalty", fine, measures)

    def limitation(self) -> bool:
        lim = self.crs.limitation
        item = self.ci.item
        if lim is None and item.limitation_years is None:
            return False
        years = item.limitation_years or (lim.years if lim else 2)
        basis = list(lim.basis) if lim else []
        if item.limitation_years:
            basis = [*item.penalty_basis, *basis]
        extended = lim is not None and lim.extended is not None and self.holds("limitation:extended")
        if extended and lim and lim.extended and not item.limitation_years:
            years = lim.extended.years
        start = self.dates.act_end or self.dates.act
        deadline = add_years(start, years)
        since = "违法行为终了之日" if self.dates.act_end else "违法行为发生之日"
        why = "（涉及公民生命健康安全、金融安全且有危害后果）" if extended else ""
        if self.dates.discovery > deadline:
            self.step("limitation", "limitation", f"自{since}（{start}）起{years}年{why}内未被发现（发现于{self.dates.discovery}），不再给予行政处罚",
                      basis, "limitation:extended" if extended else None)
            return True
        self.step("limitation", "limitation", f"追责期限{years}年{why}，自{since}（{start}）起算至{deadline}；发现于{self.dates.discovery}，在期限内",
                  basis, "limitation:extended" if extended else None)
        return False

    def lists(self) -> Recommendation | None:
        for kind in ("no_penalty", "exemption"):
            for e in self.entries(kind, False):
                what = "可以不予处罚" if kind == "no_penalty" else "可以免予处罚"
                kept = self.measures(f"list:{e.id}", e.measures, e.basis)
                keep = f"，但应当{'、'.join(m.name for m in kept)}" if kept else ""
                self.options.append(dict(id=e.id, list=kind, label=e.label, effect=f"{what}{keep}",
                                         citation=render_all(e.basis), outcome=kind))
                self.step(kind, e.id, f"{e.label}：{what}{keep}（作为选项，由执法人员决定并说明理由）", e.basis, f"list:{e.id}")
        for kind in ("no_penalty", "exemption"):
            hits = self.entries(kind, True)
            if hits:
                e = hits[0]
                measures = self.measures(f"list:{e.id}", e.measures, e.basis)
                keep = f"；仍应当{'、'.join(m.name for m in measures)}" if measures else ""
                self.step(kind, e.id, f"{e.label}：{LIST_NAMES[kind]}{keep}", e.basis, f"list:{e.id}")
                return self.result(kind, None, measures)
        return None

    def clause(self) -> StatutoryClause:
        item = self.ci.item
        hits = [c for c in item.statutory if self.holds(f"statutory:{c.id}")]
        if len(hits) != 1:
            which = ", ".join(c.id for c in hits) or "none"
            raise RulesetDefect(f"item {item.code}: exactly one statutory clause must hold for these facts, got {which}",
                                field=f"items.{item.code}.statutory")
        return hits[0]

    def discretionary_adjustments_without_fine(self) -> None:
        for kind in ("lenient", "mitigated", "aggravated"):
            for e in self.entries(kind, True) + self.entries(kind, False):
                self.step(kind, e.id, f"{e.label}：{LIST_NAMES[kind]}情节（本情形无罚款幅度，供决定时考虑）", e.basis, f"list:{e.id}")

    # -------------------------------------------------------- placing the fine

    def place(self, stat: StatutoryFine, clause_basis: list[Citation]) -> tuple[dict, list[Measure]]:
        item, placement = self.ci.item, self.crs.placement
        shape = item.shape or placement.shape
        measures: list[Measure] = []
        tier_label: str | None = None
        span = stat.span
        mandatory = {k: self.entries(k, True) for k in ("lenient", "mitigated", "aggravated")}
        if shape == "tiers":
            index = self.tier_index()
            stays: list[ListEntry] = []  # tier_up entries already at the top tier act as 从重 within it
            for e in mandatory["aggravated"]:
                if not e.tier_up:
                    stays.append(e)
                elif index + 1 < len(item.tiers):
                    index += 1
                    self.step("aggravated", e.id, f"{e.label}：上调一个裁量阶次至「{item.tiers[index].label}」", e.basis, f"list:{e.id}")
                else:
                    stays.append(e)
            mandatory["aggravated"] = stays
            tier = item.tiers[index]
            tier_label = tier.label
            tier_basis = tier.basis or self.placement_basis()
            if tier.fine is not None:
                own = tier_span(tier.fine, stat, tier.id)
                span = own.clip(stat.span)
                note = "" if span == own else f"（阶次金额{own.text()}超出法定幅度，已限定在法定幅度内）"
            else:
                note = ""
            self.step("tier", f"tier:{tier.id}", f"裁量阶次「{tier.label}」：{span.text()}{note}", tier_basis, f"tier:{tier.id}")
            measures = self.measures(f"tier:{tier.id}", tier.measures, clause_basis)
        elif shape == "weighted":
            return self.weighted(stat, mandatory), measures
        direction = self.direction(mandatory)
        rec = placed(span, direction, placement, stat.span)
        self.adjustment_options(span, stat, mandatory, direction)
        suggested = suggest(rec, placement.rounding)
        self.step("placement", f"placement:{direction}",
                  f"{DIRECTION_LABELS[direction]}：建议罚款幅度{rec.text()}，建议罚款{normalise(suggested):,}元"
                  f"（按{normalise(placement.rounding)}元取整）",
                  self.placement_basis())
        fine = dict(min=rec.lo, max=rec.hi, suggested=suggested, statutory_min=stat.span.lo, statutory_max=stat.span.hi,
                    tier=tier_label, placement=DIRECTION_LABELS[direction])
        return fine, measures

    def tier_index(self) -> int:
        item = self.ci.item
        hits = [i for i, t in enumerate(item.tiers) if self.holds(f"tier:{t.id}")]
        if not hits or (len(hits) > 1 and self.crs.placement.tier_overlap == "defect"):
            which = ", ".join(item.tiers[i].id for i in hits) or "none"
            raise RulesetDefect(f"item {item.code}: exactly one tier must match these facts, got {which} "
                                f"(facts: {', '.join(f'{k}={_show(v)}' for k, v in sorted(self.facts.items()))})",
                                field=f"items.{item.code}.tiers")
        if len(hits) > 1:
            self.step("tier", "tier_overlap", f"同时符合{len(hits)}个阶次，按取重原则适用「{item.tiers[hits[-1]].label}」",
                      self.placement_basis())
        return hits[-1]

    def direction(self, mandatory: dict[str, list[ListEntry]]) -> str:
        """Trace the mandatory adjustments and decide the direction (see `decide_direction`)."""
        for kind, entries in mandatory.items():
            for e in entries:
                self.step(kind, e.id, f"{e.label}：应当{LIST_NAMES[kind]}", e.basis, f"list:{e.id}")
        placement = self.crs.placement
        result = decide_direction(mandatory, placement.conflict)
        light = len(mandatory["lenient"]) + len(mandatory["mitigated"])
        heavy = len(mandatory["aggravated"])
        if light and heavy:
            cite = self.placement_basis()
            if placement.conflict == "officer":
                self.step("conflict", "conflict:officer", "从轻（减轻）与从重情节并存：按一般情形建议，从轻、从重作为选项由执法人员综合裁量", cite)
            else:
                self.step("conflict", "conflict:offset", f"从重情节{heavy}个、从轻（减轻）情节{light}个并存，综合折抵后{DIRECTION_LABELS[result]}", cite)
        return result

    def adjustment_options(self, span: Span, stat: StatutoryFine, mandatory: dict[str, list[ListEntry]], direction: str) -> None:
        placement = self.crs.placement

        def alt(kind: str, e: ListEntry, effect: str) -> None:
            counts = {k: list(v) for k, v in mandatory.items()}
            counts.setdefault(kind, []).append(e)
            d = decide_direction(counts, placement.conflict)
            r = placed(span, d, placement, stat.span)
            self.options.append(dict(id=e.id, list=kind, label=e.label, citation=render_all(e.basis), outcome="penalty",
                                     effect=f"{effect}：建议罚款幅度{r.text()}",
                                     fine=dict(min=r.lo, max=r.hi, suggested=suggest(r, placement.rounding))))

        for kind in ("lenient", "mitigated", "aggravated"):
            for e in self.entries(kind, False):
                alt(kind, e, f"可以{LIST_NAMES[kind]}")
                self.step(kind, e.id, f"{e.label}：可以{LIST_NAMES[kind]}（作为选项）", e.basis, f"list:{e.id}")
        if direction != "mitigated":
            for e in mandatory["lenient"] + self.entries("lenient", False):
                if e.allows_mitigated:
                    r = placed(span, "mitigated", placement, stat.span)
                    self.options.append(dict(
                        id=f"{e.id}:mitigated", list="mitigated", label=e.label, citation=render_all(e.basis),
                        outcome="penalty", effect=f"从轻或者减轻：可以减轻处罚，建议罚款幅度{r.text()}",
                        fine=dict(min=r.lo, max=r.hi, suggested=suggest(r, placement.rounding))))
        if placement.conflict == "officer" and mandatory["aggravated"] and (mandatory["lenient"] or mandatory["mitigated"]):
            for d in ("lenient", "aggravated"):
                r = placed(span, d, placement, stat.span)
                self.options.append(dict(id=f"conflict:{d}", list=d, label=f"综合裁量后{DIRECTION_LABELS[d]}",
                                         citation=render_all(self.placement_basis()),
                                         outcome="penalty", effect=f"{DIRECTION_LABELS[d]}：建议罚款幅度{r.text()}",
                                         fine=dict(min=r.lo, max=r.hi, suggested=suggest(r, placement.rounding))))

    def weighted(self, stat: StatutoryFine, mandatory: dict[str, list[ListEntry]]) -> dict:
        item, placement = self.ci.item, self.crs.placement
        w = item.weighted
        assert w is not None
        total = w.start
        for f in w.factors:
            if self.holds(f"weight:{f.id}"):
                total += f.weight
                self.step("weight", f"weight:{f.id}", f"{f.label}：权重{_pct(f.weight)}", f.basis or w.basis, f"weight:{f.id}")
        unweighted: dict[str, list[ListEntry]] = {k: [] for k in mandatory}
        for kind, entries in mandatory.items():
            for e in entries:
                if e.weight is not None:
                    total += e.weight
                    self.step(kind, e.id, f"{e.label}：权重{_pct(e.weight)}", e.basis, f"list:{e.id}")
                else:
                    unweighted[kind].append(e)
        total = min(max(total, Decimal(0)), w.cap)
        point_raw = (total * stat.span.hi).quantize(FEN)
        point = min(max(point_raw, stat.span.lo), stat.span.hi)
        self.step("weighted", "weighted", f"起始权重{_pct(w.start)}，累加后{_pct(total)}（上限{_pct(w.cap)}）× 法定最高{normalise(stat.span.hi):,}元 = {normalise(point_raw):,}元"
                  + ("" if point == point_raw else f"，限定在法定幅度内为{normalise(point):,}元"), w.basis or item.penalty_basis)
        direction = self.direction(unweighted)
        if direction == "lenient":
            rec = Span(stat.span.lo, point)
        elif direction == "aggravated":
            rec = Span(point, stat.span.hi)
        elif direction == "mitigated":
            rec = placed(stat.span, "mitigated", placement, stat.span)
        else:
            rec = stat.span
        suggested = suggest(rec, placement.rounding) if direction != "general" else round_within(point, placement.rounding, stat.span.lo, stat.span.hi)
        self.adjustment_options(stat.span, stat, unweighted, direction)
        self.step("placement", f"placement:{direction}", f"{DIRECTION_LABELS[direction]}：建议罚款{normalise(suggested):,}元（幅度{rec.text()}）",
                  list(placement.basis) or w.basis or item.penalty_basis)
        return dict(min=rec.lo, max=rec.hi, suggested=suggested, statutory_min=stat.span.lo, statutory_max=stat.span.hi,
                    tier=None, placement=DIRECTION_LABELS[direction])


# Parts of a result that are the same for every case of a version are built (and validated) once;
# pydantic accepts model instances without validating them again.
_STEPS: dict[tuple, TraceStep] = {}


def trace_step(step: str, rule: str, effect: str, citation: str, condition: str | None,
               facts: tuple[tuple[str, object], ...]) -> TraceStep:
    """A validated trace step, shared by every evaluation that produces exactly this step."""
    key = (step, rule, effect, citation, condition, facts)
    hit = _STEPS.get(key)
    if hit is None:
        if len(_STEPS) > 200_000:
            _STEPS.clear()
        hit = _STEPS[key] = TraceStep(step=step, rule=rule, effect=effect, citation=citation, condition=condition,
                                      facts=dict(facts))
    return hit


@lru_cache(maxsize=8192)
def _measure(code: str, name: str, citation: str) -> Measure:
    return Measure(code=code, name=name, citation=citation)


@lru_cache(maxsize=8192)
def _item_ref(code: str, name: str) -> ItemRef:
    return ItemRef(code=code, name=name)


def _identity(crs: CompiledRuleset) -> RulesetIdentity:
    if crs.identity is None:
        rs = crs.ruleset
        crs.identity = RulesetIdentity(department=rs.department, department_name=rs.department_name, version=rs.version,
                                       hash=crs.hash, source=rs.source, effective_from=rs.effective_from)
    return crs.identity  # type: ignore[return-value]


def _pct(d: Decimal) -> str:
    return f"{normalise(d * 100)}%"


def decide_direction(mandatory: dict[str, list[ListEntry]], conflict: str) -> str:
    """Where the mandatory circumstances put the fine: general, lenient, mitigated or aggravated.

    从轻 with 减轻 → 减轻 (原则上应予减轻); with 从重 → `conflict`: `offset` weighs them by count
    (equal → general), `officer` leaves the choice to the officer (general, with options).
    """
    light = len(mandatory.get("lenient", [])) + len(mandatory.get("mitigated", []))
    heavy = len(mandatory.get("aggravated", []))
    mitigated = bool(mandatory.get("mitigated"))
    if not heavy:
        return "mitigated" if mitigated else ("lenient" if light else "general")
    if not light:
        return "aggravated"
    if conflict == "officer" or heavy == light:
        return "general"
    return "aggravated" if heavy > light else ("mitigated" if mitigated else "lenient")


def apply_version(crs: CompiledRuleset, ci: CompiledItem, facts: Mapping[str, Value | None], dates: Dates,
                  version_step: TraceStep) -> Recommendation:
    """Evaluate one case under one version; `version_step` (a trace step) says why this version applies."""
    return _Run(crs, ci, facts, dates, version_step).run()

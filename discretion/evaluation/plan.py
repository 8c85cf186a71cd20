"""What the conditions decide for one cell of fact space, worked out once and followed by every case in it.

Within a cell (one set of conditions that hold) the evaluation order of DESIGN.md takes one path:
the same list entries act or become options, the same clause, tier and direction apply, the same
articles are cited. Cases of one cell differ only in amounts (货值金额 …), in dates, and in the fact
values a step shows. `plan_cell` walks the order once per cell and records that path as a `Plan`;
`apply.py` follows the plan for each case, computing the amounts and dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Mapping

from ..citation import Citation, render_all
from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import Value
from ..errors import RulesetDefect
from ..law import ART_9
from ..money import normalise
from ..ruleset import LIST_NAMES, FineSpec, ListEntry, MeasureRef, StatutoryClause, Tier, Weighted
from .result import ItemRef, Measure, Option, TraceStep, assemble, show_value

DIRECTION_LABELS = {"lenient": "从轻", "general": "一般", "aggravated": "从重", "mitigated": "减轻"}
ADJUSTMENTS = ("lenient", "mitigated", "aggravated")
_NONE: list[ListEntry] = []


@dataclass(slots=True)
class StepTemplate:
    """A trace step fixed for the cell but for the values of the facts its condition reads (shown per case)."""

    step: str
    rule: str
    effect: str
    citation: str
    condition: str | None = None
    reads: tuple[str, ...] = ()
    _made: dict[tuple, TraceStep] = field(default_factory=dict)

    def make(self, facts: Mapping[str, Value | None], effect: str | None = None, citation: str | None = None) -> TraceStep:
        """The step for one case; `effect` (and `citation`) replace the template's when they depend on the case."""
        shown = tuple([show_value(facts.get(f)) for f in self.reads]) if self.reads else ()
        if effect is None:
            hit = self._made.get(shown)
            if hit is not None:
                return hit
        made = assemble(TraceStep, step=self.step, rule=self.rule, effect=self.effect if effect is None else effect,
                        citation=citation or self.citation, condition=self.condition,
                        facts=dict(zip(self.reads, shown)) if shown else {})
        if effect is None and len(self._made) < 256:  # bool and enum readings repeat; amounts mostly do not
            self._made[shown] = made
        return made


@dataclass(slots=True)
class Alternative:
    """A fine the officer may choose instead (可以 entries, 从轻或者减轻, conflicting circumstances):
    `direction` placed in the case's range, described as `lead` + the range."""

    id: str
    list: str
    label: str
    citation: str
    lead: str
    direction: str


@dataclass(slots=True)
class FinePlan:
    """How the fine is found for this cell: the statutory clause, the shape, and where it is placed."""

    spec: FineSpec
    fallback_holds: bool
    base_label: str | None
    statutory: StepTemplate                # effect filled per case
    statutory_fallback_citation: str       # when the statute's range for a small or unknown base applies
    shape: Literal["tiers", "range", "weighted"]
    before_span: list[StepTemplate]        # tier overlap and tier_up, or the weighted factors
    tier: Tier | None
    tier_step: StepTemplate | None         # effect filled per case
    weighted: Weighted | None = None
    weight_total: Decimal = Decimal(0)     # weights summed and clamped to [0, cap]
    weighted_citation: str = ""
    direction: str = "general"
    direction_steps: list[StepTemplate] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)
    adjustment_steps: list[StepTemplate] = field(default_factory=list)
    placement_citation: str = ""


@dataclass(slots=True)
class Plan:
    """The path of the evaluation order for one cell. `decided` is set when the lists settle the
    case; `fine` is None when the clause has no fine; `outcome_step` is taken when nothing that
    remains is a kind of 行政处罚 (第九条)."""

    item_ref: ItemRef
    facts_citation: str                    # the item's legal basis, cited by the facts step
    decimal_facts: tuple[str, ...]         # facts whose values are Decimals (shown as exact strings)
    limitation_years: int | None
    limitation_extended: bool
    limitation: StepTemplate | None        # effect filled per case (dates)
    list_steps: list[StepTemplate]
    options: list[Option]                  # discretionary no-penalty / exemption entries
    outcome_step: StepTemplate
    decided: str | None = None
    measures: list[Measure] = field(default_factory=list)
    fine: FinePlan | None = None
    steps_without_fine: list[StepTemplate] = field(default_factory=list)
    penal: bool = False                    # some measure taken is a kind of penalty
    defective: bool = False                # no single clause or tier holds: a case that gets there is refused


class _Cell:
    """Builds the plan of one cell: the old step-by-step walk, with amounts left open."""

    def __init__(self, crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[str],
                 facts: Mapping[str, Value | None]) -> None:
        self.crs, self.ci, self.matched, self.facts = crs, ci, matched, facts
        self.holding = {k: [e for e in v if f"list:{e.id}" in matched] for k, v in ci.by_list.items()}

    def holds(self, key: str) -> bool:
        return key in self.matched

    def entries(self, kind: str, mandatory: bool) -> list[ListEntry]:
        return self.holding.get((kind, mandatory), _NONE)

    def template(self, step: str, rule: str, effect: str, basis: list[Citation] | tuple[Citation, ...],
                 key: str | None = None) -> StepTemplate:
        cond = self.ci.conditions.get(key) if key else None
        return StepTemplate(step, rule, effect, render_all(basis), cond.text if cond and cond.text else None,
                            tuple(cond.facts) if cond else ())

    def measures(self, prefix: str, refs: list[MeasureRef], basis: list[Citation]) -> list[Measure]:
        names = self.crs.ruleset.measures
        return [Measure(code=m.code, name=names[m.code], citation=render_all(basis))
                for i, m in enumerate(refs) if not m.when or self.holds(f"measure:{prefix}:{i}")]

    # -------------------------------------------------------- the order

    def plan(self, strict: bool = False) -> Plan:
        """The plan; a ruleset defect past the lists is raised if `strict`, else marked on the plan
        (cases the limitation or the lists settle never reach it)."""
        item = self.ci.item
        lim_years, extended, lim_step = self.limitation()
        list_steps: list[StepTemplate] = []
        options: list[Option] = []
        for kind in ("no_penalty", "exemption"):
            for e in self.entries(kind, False):
                what = "可以不予处罚" if kind == "no_penalty" else "可以免予处罚"
                kept = self.measures(f"list:{e.id}", e.measures, e.basis)
                keep = f"，但应当{'、'.join(m.name for m in kept)}" if kept else ""
                options.append(Option(id=e.id, list=kind, label=e.label, effect=f"{what}{keep}",
                                      citation=render_all(e.basis), outcome=kind))
                list_steps.append(self.template(kind, e.id, f"{e.label}：{what}{keep}（作为选项，由执法人员决定并说明理由）",
                                                e.basis, f"list:{e.id}"))
        plan = Plan(item_ref=ItemRef(code=item.code, name=item.name), facts_citation=render_all(item.legal_basis),
                    decimal_facts=tuple(n for n, f in self.ci.schema.items() if f.type in ("money", "number") or f.derived),
                    limitation_years=lim_years, limitation_extended=extended, limitation=lim_step,
                    list_steps=list_steps, options=options,
                    outcome_step=StepTemplate("outcome", "outcome:no_penalty_kind", "", render_all([ART_9])))
        for kind in ("no_penalty", "exemption"):
            hits = self.entries(kind, True)
            if hits:
                e = hits[0]
                taken = self.measures(f"list:{e.id}", e.measures, e.basis)
                plan.measures = _unique(taken)
                keep = f"；仍应当{'、'.join(m.name for m in taken)}" if taken else ""
                list_steps.append(self.template(kind, e.id, f"{e.label}：{LIST_NAMES[kind]}{keep}", e.basis, f"list:{e.id}"))
                plan.decided = kind
                return plan
        try:
            self.penalty_path(plan)
        except RulesetDefect:
            if strict:
                raise
            plan.defective = True
        return plan

    def penalty_path(self, plan: Plan) -> None:
        item = self.ci.item
        clause = self.clause()
        basis = clause.basis or item.penalty_basis
        measures = self.measures(f"statutory:{clause.id}", clause.measures, basis)
        if clause.fine is None:
            plan.steps_without_fine.append(self.template("statutory", f"statutory:{clause.id}", "该情形法律未规定罚款，依法采取下列措施",
                                                         basis, f"statutory:{clause.id}"))
            for kind in ADJUSTMENTS:
                for e in self.entries(kind, True) + self.entries(kind, False):
                    plan.steps_without_fine.append(self.template(
                        kind, e.id, f"{e.label}：{LIST_NAMES[kind]}情节（本情形无罚款幅度，供决定时考虑）", e.basis, f"list:{e.id}"))
        else:
            fb = clause.fine.fallback
            label = self.ci.schema[clause.fine.multiple_of].label if clause.fine.multiple_of else None
            fp = FinePlan(clause.fine, self.holds(f"fallback:{clause.id}"), label,
                          self.template("statutory", f"statutory:{clause.id}", "", basis, f"statutory:{clause.id}"),
                          render_all([*basis, *([fb.basis] if fb and fb.basis else [])]),
                          item.shape or self.crs.placement.shape, [], None, None)
            measures += self.place(fp, basis)
            plan.fine = fp
        plan.measures = _unique(measures)
        penal = set(self.crs.ruleset.penalty_measures)
        plan.penal = any(m.code in penal for m in plan.measures)
        names = "、".join(m.name for m in measures) or "无"
        plan.outcome_step.effect = f"不处以罚款，所采取的措施（{names}）不属于行政处罚的种类，不给予行政处罚"

    def limitation(self) -> tuple[int | None, bool, StepTemplate | None]:
        lim = self.crs.limitation
        item = self.ci.item
        if lim is None and item.limitation_years is None:
            return None, False, None
        years = item.limitation_years or (lim.years if lim else 2)
        basis = list(lim.basis) if lim else []
        if item.limitation_years:
            basis = [*item.penalty_basis, *basis]
        extended = lim is not None and lim.extended is not None and self.holds("limitation:extended")
        if extended and lim and lim.extended and not item.limitation_years:
            years = lim.extended.years
        return years, extended, self.template("limitation", "limitation", "", basis, "limitation:extended" if extended else None)

    def clause(self) -> StatutoryClause:
        item = self.ci.item
        hits = [c for c in item.statutory if self.holds(f"statutory:{c.id}")]
        if len(hits) != 1:
            which = ", ".join(c.id for c in hits) or "none"
            raise RulesetDefect(f"item {item.code}: exactly one statutory clause must hold for these facts, got {which}",
                                field=f"items.{item.code}.statutory")
        return hits[0]

    # -------------------------------------------------------- placing the fine

    def place(self, fp: FinePlan, clause_basis: list[Citation]) -> list[Measure]:
        item, placement = self.ci.item, self.crs.placement
        measures: list[Measure] = []
        mandatory = {k: self.entries(k, True) for k in ADJUSTMENTS}
        fp.placement_citation = render_all(self.crs.placement_basis)
        if fp.shape == "tiers":
            index = self.tier_index(fp)
            stays: list[ListEntry] = []  # tier_up entries already at the top tier act as 从重 within it
            for e in mandatory["aggravated"]:
                if not e.tier_up:
                    stays.append(e)
                elif index + 1 < len(item.tiers):
                    index += 1
                    fp.before_span.append(self.template("aggravated", e.id, f"{e.label}：上调一个裁量阶次至「{item.tiers[index].label}」",
                                                        e.basis, f"list:{e.id}"))
                else:
                    stays.append(e)
            mandatory["aggravated"] = stays
            tier = fp.tier = item.tiers[index]
            fp.tier_step = self.template("tier", f"tier:{tier.id}", "", tier.basis or self.crs.placement_basis, f"tier:{tier.id}")
            measures = self.measures(f"tier:{tier.id}", tier.measures, clause_basis)
        elif fp.shape == "weighted":
            mandatory = self.weights(fp, mandatory)
            fp.placement_citation = render_all(list(placement.basis) or self.ci.item.weighted.basis or item.penalty_basis)  # type: ignore[union-attr]
        self.direction(fp, mandatory)
        self.adjustments(fp, mandatory)
        return measures

    def tier_index(self, fp: FinePlan) -> int:
        item = self.ci.item
        hits = [i for i, t in enumerate(item.tiers) if self.holds(f"tier:{t.id}")]
        if not hits or (len(hits) > 1 and self.crs.placement.tier_overlap == "defect"):
            which = ", ".join(item.tiers[i].id for i in hits) or "none"
            raise RulesetDefect(f"item {item.code}: exactly one tier must match these facts, got {which} "
                                f"(facts: {', '.join(f'{k}={show_value(v)}' for k, v in sorted(self.facts.items()))})",
                                field=f"items.{item.code}.tiers")
        if len(hits) > 1:
            fp.before_span.append(self.template("tier", "tier_overlap", f"同时符合{len(hits)}个阶次，按取重原则适用「{item.tiers[hits[-1]].label}」",
                                                self.crs.placement_basis))
        return hits[-1]

    def weights(self, fp: FinePlan, mandatory: dict[str, list[ListEntry]]) -> dict[str, list[ListEntry]]:
        """Sum the weights that hold (factors, then weighted list entries); the rest place as usual."""
        item = self.ci.item
        w = item.weighted
        assert w is not None
        total = w.start
        for f in w.factors:
            if self.holds(f"weight:{f.id}"):
                total += f.weight
                fp.before_span.append(self.template("weight", f"weight:{f.id}", f"{f.label}：权重{pct(f.weight)}", f.basis or w.basis, f"weight:{f.id}"))
        unweighted: dict[str, list[ListEntry]] = {k: [] for k in mandatory}
        for kind, entries in mandatory.items():
            for e in entries:
                if e.weight is not None:
                    total += e.weight
                    fp.before_span.append(self.template(kind, e.id, f"{e.label}：权重{pct(e.weight)}", e.basis, f"list:{e.id}"))
                else:
                    unweighted[kind].append(e)
        fp.weighted = w
        fp.weight_total = min(max(total, Decimal(0)), w.cap)
        fp.weighted_citation = render_all(w.basis or item.penalty_basis)
        return unweighted

    def direction(self, fp: FinePlan, mandatory: dict[str, list[ListEntry]]) -> None:
        """The mandatory adjustments, and the direction they give together (see `decide_direction`)."""
        for kind, entries in mandatory.items():
            for e in entries:
                fp.direction_steps.append(self.template(kind, e.id, f"{e.label}：应当{LIST_NAMES[kind]}", e.basis, f"list:{e.id}"))
        placement = self.crs.placement
        fp.direction = decide_direction(mandatory, placement.conflict)
        light = len(mandatory["lenient"]) + len(mandatory["mitigated"])
        heavy = len(mandatory["aggravated"])
        if light and heavy:
            cite = self.crs.placement_basis
            if placement.conflict == "officer":
                fp.direction_steps.append(self.template("conflict", "conflict:officer",
                                                        "从轻（减轻）与从重情节并存：按一般情形建议，从轻、从重作为选项由执法人员综合裁量", cite))
            else:
                fp.direction_steps.append(self.template("conflict", "conflict:offset",
                                                        f"从重情节{heavy}个、从轻（减轻）情节{light}个并存，综合折抵后{DIRECTION_LABELS[fp.direction]}", cite))

    def adjustments(self, fp: FinePlan, mandatory: dict[str, list[ListEntry]]) -> None:
        """Discretionary (可以) adjustments, 从轻或者减轻 and officer-resolved conflicts, as alternatives."""
        placement = self.crs.placement
        for kind in ADJUSTMENTS:
            for e in self.entries(kind, False):
                counts = {k: list(v) for k, v in mandatory.items()}
                counts.setdefault(kind, []).append(e)
                fp.alternatives.append(Alternative(e.id, kind, e.label, render_all(e.basis), f"可以{LIST_NAMES[kind]}：建议罚款幅度",
                                                   decide_direction(counts, placement.conflict)))
                fp.adjustment_steps.append(self.template(kind, e.id, f"{e.label}：可以{LIST_NAMES[kind]}（作为选项）", e.basis, f"list:{e.id}"))
        if fp.direction != "mitigated":
            for e in mandatory["lenient"] + self.entries("lenient", False):
                if e.allows_mitigated:
                    fp.alternatives.append(Alternative(f"{e.id}:mitigated", "mitigated", e.label, render_all(e.basis),
                                                       "从轻或者减轻：可以减轻处罚，建议罚款幅度", "mitigated"))
        if placement.conflict == "officer" and mandatory["aggravated"] and (mandatory["lenient"] or mandatory["mitigated"]):
            for d in ("lenient", "aggravated"):
                fp.alternatives.append(Alternative(f"conflict:{d}", d, f"综合裁量后{DIRECTION_LABELS[d]}", render_all(self.crs.placement_basis),
                                                   f"{DIRECTION_LABELS[d]}：建议罚款幅度", d))


def _unique(measures: list[Measure]) -> list[Measure]:
    """One measure per code (the first basis that requires it)."""
    return list({m.code: m for m in reversed(measures)}.values())[::-1]


def pct(d: Decimal) -> str:
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


def refuse_defect(crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[str], facts: Mapping[str, Value | None]) -> None:
    """Raise the RulesetDefect of a defective plan, naming this case's facts."""
    _Cell(crs, ci, matched, facts).plan(strict=True)


def plan_cell(crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[str], facts: Mapping[str, Value | None]) -> Plan:
    """The plan for the cell `matched`, built once (`facts` only name the first case in a defect report)."""
    hit = ci.plans.get(matched)
    if hit is None:
        hit = _Cell(crs, ci, matched, facts).plan()
        ci.plans[matched] = hit
    return hit  # type: ignore[return-value]

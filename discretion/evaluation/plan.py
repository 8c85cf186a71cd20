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
from collections.abc import Mapping

from .. import wording
from ..citation import Citation, render_all
from ..compiler import CompiledItem, CompiledRuleset
from ..conditions import AllOf, Cmp, Condition, Value
from ..errors import RulesetDefect
from ..keys import (
    ADJUSTING_LISTS,
    DECIDING_LISTS,
    LIMITATION_EXTENDED,
    Direction,
    ListKind,
    Outcome,
    RuleKey,
    ShapeKind,
)
from ..law import ART_9
from ..money import yuan_text
from ..numerals import chinese_numeral
from ..ruleset import FineSpec, ListEntry, MeasureRef, StatutoryClause, Tier, Weighted
from ..shapes import Shape, shape_for
from ..shapes.base import Mandatory
from ..warmth import refuse_cold
from ..shapes.weighted import pct  # noqa: F401  (re-exported: diff words weights the same way)
from ..wording import DIRECTION_LABELS  # noqa: F401  (re-exported)
from .cells import caches
from .result import ItemRef, Measure, Option, TraceStep, assemble

ADJUSTMENTS = ADJUSTING_LISTS
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
    _made: dict[tuple[object, ...], TraceStep] = field(default_factory=dict)

    def make(
        self, facts: Mapping[str, Value | None], effect: str | None = None, citation: str | None = None
    ) -> TraceStep:
        """The step for one case; `effect` (and `citation`) replace the template's when they depend on the case."""
        reads = self.reads
        if reads:
            # show_value inlined (several steps per case): Decimals as exact strings, the rest as they are
            shown: tuple[object, ...] = tuple([str(v) if isinstance(v, Decimal) else v for v in map(facts.get, reads)])
            shown_facts = dict(zip(reads, shown, strict=True))
        else:
            shown, shown_facts = (), {}
        if effect is None:
            hit = self._made.get(shown)
            if hit is not None:
                return hit
        made = assemble(
            TraceStep,
            step=self.step,
            rule=self.rule,
            effect=self.effect if effect is None else effect,
            citation=citation or self.citation,
            condition=self.condition,
            facts=shown_facts,
        )
        if effect is None and len(self._made) < 256:  # bool and enum readings repeat; amounts mostly do not
            self._made[shown] = made
        return made


@dataclass(slots=True)
class Alternative:
    """A fine the officer may choose instead (可以 entries, 从轻或者减轻, conflicting circumstances):
    `direction` placed in the case's range, described as `lead` + the range."""

    id: str
    list: ListKind
    label: str
    citation: str
    lead: str
    direction: Direction


@dataclass(slots=True)
class FinePlan:
    """How the fine is found for this cell: the statutory clause, the shape, and where it is placed."""

    spec: FineSpec
    fallback_holds: bool
    base_label: str | None
    statutory: StepTemplate  # effect filled per case
    statutory_fallback_citation: str  # when the statute's range for a small or unknown base applies
    shape: ShapeKind
    before_span: list[StepTemplate]  # tier overlap and tier_up, or the weighted factors
    tier: Tier | None
    tier_step: StepTemplate | None  # effect filled per case
    weighted: Weighted | None = None
    weight_total: Decimal = Decimal(0)  # weights summed and clamped to [0, cap]
    weighted_citation: str = ""
    direction: Direction = Direction.GENERAL
    direction_steps: list[StepTemplate] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)
    adjustment_steps: list[StepTemplate] = field(default_factory=list)
    placement_citation: str = ""
    clause_basis: list[Citation] = field(default_factory=list)
    clause_id: str = "base"
    may: bool = False  # 可以并处 / 可以处: offered as an option, never imposed
    shaper: Shape = field(default_factory=lambda: shape_for(ShapeKind.TIERS))  # the module of `shape`
    mitigated_floor: Decimal = Decimal(0)  # for verify: 减轻 never below it
    reductions: list[ListEntry] = field(default_factory=list)  # mandatory proportional reductions
    may_reductions: list[ListEntry] = field(default_factory=list)  # discretionary ones (options)
    reduction_steps: list[StepTemplate] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    """The path of the evaluation order for one cell. `decided` is set when the lists settle the
    case; `fine` is None when the clause has no fine; `outcome_step` is taken when nothing that
    remains is a kind of 行政处罚 (第九条)."""

    item_ref: ItemRef
    facts_citation: str  # the item's legal basis, cited by the facts step
    decimal_facts: tuple[str, ...]  # facts whose values are Decimals (shown as exact strings)
    limitation_years: int | None
    limitation_extended: bool
    limitation: StepTemplate | None  # effect filled per case (dates)
    list_steps: list[StepTemplate]
    options: list[Option]  # discretionary no-penalty / exemption entries
    outcome_step: StepTemplate
    decided: Outcome | None = None
    measures: list[Measure] = field(default_factory=list)
    fine: FinePlan | None = None
    steps_without_fine: list[StepTemplate] = field(default_factory=list)
    penal: bool = False  # some measure taken is a kind of penalty
    defective: bool = False  # no single clause or tier holds: a case that gets there is refused


class Planner:
    """Builds the plan of one cell: the evaluation order walked once, amounts left open."""

    def __init__(
        self, crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[RuleKey], facts: Mapping[str, Value | None]
    ) -> None:
        self.crs, self.ci, self.matched, self.facts = crs, ci, matched, facts
        self.holding = {k: [e for e, key in v if key in matched] for k, v in ci.keyed_by_list.items()}
        self.may_options: list[Option] = []  # measures the law only allows (可以): offered, never taken

    def holds(self, key: RuleKey) -> bool:
        return key in self.matched

    def entries(self, kind: ListKind, mandatory: bool) -> list[ListEntry]:
        return self.holding.get((kind, mandatory), _NONE)

    def label(self, e: ListEntry) -> str:
        """How a step names an entry: its label; an entry that holds by a count (`when_count`) by what it
        counted in this cell — "有2项从轻处罚情形（「A」「B」）且无从重处罚情形（第十七条）"."""
        if e.when_count is None:
            return e.label
        c = next(c for c in self.ci.counting if c.entry.id == e.id)
        article = next((f"第{chinese_numeral(b.article)}条" for b in e.basis if b.article is not None), "")
        parts = [(ListKind(kind), [x.label for x in hits]) for kind, _, hits in c.holding(self.matched)]
        return wording.circumstances_counted(parts, article)

    def template(
        self,
        step: str,
        rule: str,
        effect: str,
        basis: list[Citation] | tuple[Citation, ...],
        key: RuleKey | None = None,
    ) -> StepTemplate:
        cond = self.ci.conditions.get(key) if key else None
        if cond is not None and not cond.facts and self.ci.counting and any(c.key == key for c in self.ci.counting):
            cond = None  # a count with `when: "True"`: the effect says what was counted, "条件：True" would say nothing
        return StepTemplate(
            step,
            rule,
            effect,
            render_all(basis),
            cond.text if cond and cond.text else None,
            tuple(cond.facts) if cond else (),
        )

    def measures(self, owner: RuleKey, refs: list[MeasureRef], basis: list[Citation]) -> list[Measure]:
        """The measures taken; those the law only allows (`may`) become options instead."""
        names = self.crs.ruleset.measures
        taken = []
        for i, m in enumerate(refs):
            if m.when and not self.holds(RuleKey.measure(owner, i)):
                continue
            if m.may:
                option_id = f"may:{owner}:{m.code}"
                if all(o.id != option_id for o in self.may_options):
                    self.may_options.append(
                        Option(
                            id=option_id,
                            list="may",
                            label=names[m.code],
                            effect=wording.may_measure(names[m.code]),
                            citation=render_all(basis),
                            outcome=Outcome.PENALTY,
                        )
                    )
                continue
            taken.append(assemble(Measure, code=m.code, name=names[m.code], citation=render_all(basis)))
        return taken

    # -------------------------------------------------------- the order

    def plan(self, strict: bool = False) -> Plan:
        """The plan; a ruleset defect past the lists is raised if `strict`, else marked on the plan
        (cases the limitation or the lists settle never reach it)."""
        item = self.ci.item
        lim_years, extended, lim_step = self.limitation()
        list_steps: list[StepTemplate] = []
        options: list[Option] = []
        for e, special in self.ci.displaced:
            key = RuleKey.entry(e.id)
            if self.holds(key):
                list_steps.append(
                    self.template(
                        "displaced",
                        e.id,
                        wording.displaced(e.label, render_all(e.basis), render_all(special)),
                        special,
                        key,
                    )
                )
        for kind in DECIDING_LISTS:
            for e in self.entries(kind, False):
                what = wording.may_decide(kind)
                kept = self.measures(RuleKey.entry(e.id), e.measures, e.basis)
                keep = wording.keeping([m.name for m in kept])
                options.append(
                    Option(
                        id=e.id,
                        list=kind,
                        label=e.label,
                        effect=f"{what}{keep}",
                        citation=render_all(e.basis),
                        outcome=Outcome(kind),
                    )
                )
                list_steps.append(
                    self.template(kind, e.id, wording.offered(e.label, f"{what}{keep}"), e.basis, RuleKey.entry(e.id))
                )
        plan = Plan(
            item_ref=assemble(ItemRef, code=item.code, name=item.name),
            facts_citation=render_all(item.legal_basis),
            decimal_facts=tuple(n for n, f in self.ci.schema.items() if f.type in ("money", "number") or f.derived),
            limitation_years=lim_years,
            limitation_extended=extended,
            limitation=lim_step,
            list_steps=list_steps,
            options=options,
            outcome_step=StepTemplate("outcome", "outcome:no_penalty_kind", "", render_all([ART_9])),
        )
        for kind in DECIDING_LISTS:
            hits = self.entries(kind, True)
            if hits:
                e = hits[0]
                taken = self.measures(RuleKey.entry(e.id), e.measures, e.basis)
                plan.measures = _unique(taken)
                keep = wording.still_keeping([m.name for m in taken])
                list_steps.append(
                    self.template(kind, e.id, wording.decided(e.label, kind, keep), e.basis, RuleKey.entry(e.id))
                )
                plan.decided = Outcome(kind)
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
        key = RuleKey.statutory(clause.id)
        measures = self.measures(key, clause.measures, basis)
        if clause.fine is None:
            plan.steps_without_fine.append(self.template("statutory", str(key), wording.NO_FINE_CLAUSE, basis, key))
            for kind in ADJUSTMENTS:
                for e in self.entries(kind, True) + self.entries(kind, False):
                    plan.steps_without_fine.append(
                        self.template(
                            kind,
                            e.id,
                            wording.circumstance_without_fine(self.label(e), kind),
                            e.basis,
                            RuleKey.entry(e.id),
                        )
                    )
        else:
            fb = clause.fine.fallback
            label = self.ci.schema[clause.fine.multiple_of].label if clause.fine.multiple_of else None
            fp = FinePlan(
                clause.fine,
                self.holds(RuleKey.fallback(clause.id)),
                label,
                self.template("statutory", str(key), "", basis, key),
                render_all([*basis, *([fb.basis] if fb and fb.basis else [])]),
                item.shape or self.crs.placement.shape,
                [],
                None,
                None,
                clause_basis=basis,
                clause_id=clause.id,
                may=bool(clause.fine.may),
                mitigated_floor=self.crs.placement.mitigated_floor,
            )
            measures += self.place(fp)
            if fp.tier is not None and fp.tier.fine is not None and fp.tier.fine.may:
                fp.may = True
            plan.fine = fp
        plan.measures = _unique(measures)
        plan.options = [*plan.options, *self.may_options]
        penal = set(self.crs.ruleset.penalty_measures)
        plan.penal = any(m.code in penal for m in plan.measures)
        plan.outcome_step.effect = wording.not_a_penalty("、".join(m.name for m in measures) or "无")

    def limitation(self) -> tuple[int | None, bool, StepTemplate | None]:
        lim = self.crs.limitation
        item = self.ci.item
        if lim is None and item.limitation_years is None:
            return None, False, None
        years = item.limitation_years or (lim.years if lim else 2)
        basis = list(lim.basis) if lim else []
        if item.limitation_years:
            basis = [*item.penalty_basis, *basis]
        extended = lim is not None and lim.extended is not None and self.holds(LIMITATION_EXTENDED)
        if extended and lim and lim.extended and not item.limitation_years:
            years = lim.extended.years
        return (
            years,
            extended,
            self.template("limitation", "limitation", "", basis, LIMITATION_EXTENDED if extended else None),
        )

    def clause(self) -> StatutoryClause:
        item = self.ci.item
        hits = [c for c in item.statutory if self.holds(RuleKey.statutory(c.id))]
        if len(hits) != 1:
            which = ", ".join(c.id for c in hits) or "none"
            raise RulesetDefect(
                f"item {item.code}: exactly one statutory clause must hold for these facts, got {which}",
                field=f"items.{item.code}.statutory",
            )
        return hits[0]

    # -------------------------------------------------------- placing the fine

    def place(self, fp: FinePlan) -> list[Measure]:
        """The shape's part of the plan, then the direction and the discretionary alternatives."""
        mandatory: Mandatory = {k: self.entries(k, True) for k in ADJUSTMENTS}
        # proportional reductions (粤环发〔2021〕7号 第十四条: 减少30%–50%) act on the fine that would otherwise
        # apply, after placement; they do not count as a direction
        for kind in (ListKind.LENIENT, ListKind.MITIGATED):
            fp.reductions += [e for e in mandatory[kind] if e.reduce is not None]
            mandatory[kind] = [e for e in mandatory[kind] if e.reduce is None]
        fp.may_reductions = [
            e
            for kind in (ListKind.LENIENT, ListKind.MITIGATED)
            for e in self.entries(kind, False)
            if e.reduce is not None
        ]
        fp.reduction_steps = [
            self.template(
                e.list,
                e.id,
                wording.reduction(
                    self.label(e),
                    e.mandatory,
                    pct(e.reduce[0]),  # type: ignore[index]  # the entries here have a reduce (filtered above)
                    pct(e.reduce[1]),  # type: ignore[index]
                    None if e.reduce_at_most is None else yuan_text(e.reduce_at_most),
                ),
                e.basis,
                RuleKey.entry(e.id),
            )
            for e in fp.reductions + fp.may_reductions
        ]
        fp.placement_citation = render_all(self.crs.placement_basis)
        fp.shaper = shape_for(fp.shape)
        mandatory, measures = fp.shaper.plan(self, fp, mandatory)
        self.direction(fp, mandatory)
        self.adjustments(fp, mandatory)
        return measures

    def direction(self, fp: FinePlan, mandatory: Mandatory) -> None:
        """The mandatory adjustments, and the direction they give together (see `decide_direction`)."""
        for kind, entries in mandatory.items():
            for e in entries:
                fp.direction_steps.append(
                    self.template(kind, e.id, wording.shall(self.label(e), kind), e.basis, RuleKey.entry(e.id))
                )
        placement = self.crs.placement
        fp.direction = decide_direction(mandatory, placement.conflict)
        light = len(mandatory[ListKind.LENIENT]) + len(mandatory[ListKind.MITIGATED])
        heavy = len(mandatory[ListKind.AGGRAVATED])
        if light and heavy:
            cite = self.crs.placement_basis
            if placement.conflict == "officer":
                fp.direction_steps.append(self.template("conflict", "conflict:officer", wording.CONFLICT_OFFICER, cite))
            else:
                fp.direction_steps.append(
                    self.template(
                        "conflict", "conflict:offset", wording.conflict_offset(heavy, light, fp.direction), cite
                    )
                )

    def adjustments(self, fp: FinePlan, mandatory: Mandatory) -> None:
        """Discretionary (可以) adjustments, 从轻或者减轻 and officer-resolved conflicts, as alternatives."""
        placement = self.crs.placement
        for kind in ADJUSTMENTS:
            for e in self.entries(kind, False):
                if e.reduce is not None:
                    continue  # an option of its own, placed by `reduced`
                counts = {k: list(v) for k, v in mandatory.items()}
                counts.setdefault(kind, []).append(e)
                fp.alternatives.append(
                    Alternative(
                        e.id,
                        kind,
                        e.label,
                        render_all(e.basis),
                        wording.may_lead(kind),
                        decide_direction(counts, placement.conflict),
                    )
                )
                fp.adjustment_steps.append(
                    self.template(kind, e.id, wording.may(self.label(e), kind), e.basis, RuleKey.entry(e.id))
                )
        if fp.direction is not Direction.MITIGATED:
            for e in mandatory[ListKind.LENIENT] + self.entries(ListKind.LENIENT, False):
                if e.allows_mitigated:
                    fp.alternatives.append(
                        Alternative(
                            f"{e.id}:mitigated",
                            ListKind.MITIGATED,
                            e.label,
                            render_all(e.basis),
                            wording.MAY_MITIGATE_LEAD,
                            Direction.MITIGATED,
                        )
                    )
        if (
            placement.conflict == "officer"
            and mandatory[ListKind.AGGRAVATED]
            and (mandatory[ListKind.LENIENT] or mandatory[ListKind.MITIGATED])
        ):
            for d in (Direction.LENIENT, Direction.AGGRAVATED):
                fp.alternatives.append(
                    Alternative(
                        f"conflict:{d}",
                        ListKind(d),
                        wording.conflict_label(d),
                        render_all(self.crs.placement_basis),
                        wording.conflict_lead(d),
                        d,
                    )
                )


def _unique(measures: list[Measure]) -> list[Measure]:
    """One measure per code (the first basis that requires it)."""
    return list({m.code: m for m in reversed(measures)}.values())[::-1]


def decide_direction(mandatory: Mapping[ListKind, list[ListEntry]], conflict: str) -> Direction:
    """Where the mandatory circumstances put the fine: general, lenient, mitigated or aggravated.

    从轻 with 减轻 → 减轻 (原则上应予减轻); with 从重 → `conflict`: `offset` weighs them by count
    (equal → general), `officer` leaves the choice to the officer (general, with options).
    """
    light = len(mandatory.get(ListKind.LENIENT, [])) + len(mandatory.get(ListKind.MITIGATED, []))
    heavy = len(mandatory.get(ListKind.AGGRAVATED, []))
    mitigated = bool(mandatory.get(ListKind.MITIGATED))
    if not heavy:
        return Direction.MITIGATED if mitigated else (Direction.LENIENT if light else Direction.GENERAL)
    if not light:
        return Direction.AGGRAVATED
    if conflict == "officer" or heavy == light:
        return Direction.GENERAL
    return Direction.AGGRAVATED if heavy > light else (Direction.MITIGATED if mitigated else Direction.LENIENT)


def refuse_defect(
    crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[RuleKey], facts: Mapping[str, Value | None]
) -> None:
    """Raise the RulesetDefect of a defective plan, naming this case's facts."""
    Planner(crs, ci, matched, facts).plan(strict=True)


def plan_cell(
    crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[RuleKey], facts: Mapping[str, Value | None]
) -> Plan:
    """The plan for the cell `matched`, built once (`facts` only name the first case in a defect report)."""
    plans = caches(ci).plans
    hit = plans.get(matched)
    if hit is None:
        refuse_cold()
        hit = Planner(crs, ci, matched, facts).plan()
        plans.put(matched, hit)
    return hit


def excluded_reductions(
    ci: CompiledItem, matched: frozenset[RuleKey], facts: Mapping[str, Value | None]
) -> list[StepTemplate]:
    """不适用情形 that hold off a reduction (粤环发〔2021〕7号 第十四条 "有以下行为之一的，不适用公开道歉承诺从轻制度"),
    per case (a cell's plan is shared by cases whose exclusions differ): a reducing entry does not hold, its condition
    is a conjunction, and every part it fails is `not f` for a bool fact f that holds. The step names them by label."""
    out = []
    for e in ci.entries:
        key = RuleKey.entry(e.id)
        cond = ci.conditions.get(key)
        if e.reduce is None or key in matched or cond is None or not isinstance(cond.node, AllOf):
            continue
        failed = [p for p in cond.node.parts if not Condition(cond.text, p).holds(facts)]
        if failed and all(
            isinstance(p, Cmp) and p.op == "!=" and p.value is True and facts.get(p.fact) is True for p in failed
        ):
            why = [ci.schema[p.fact].label for p in failed if isinstance(p, Cmp)]
            effect = wording.reduction_excluded(e.label, why)
            out.append(StepTemplate("excluded", e.id, effect, render_all(e.basis), cond.text, tuple(cond.facts)))
    return out

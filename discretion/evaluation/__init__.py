"""evaluate(): one case, the version the law says applies (第三十七条), and the recommendation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..bounds import check_date

from ..compiler import CompiledItem, CompiledRuleset
from ..errors import DateError, FactError, UnknownItem, VersionNotInForce
from ..facts import validate_facts
from .. import wording
from ..keys import Outcome
from ..law import ART_37
from ..loader import RulesetLibrary
from ..ruleset import FINE_RANK, PENALTY_KIND_RANK
from .apply import Dates, apply_version, no_longer_a_violation
from .result import Recommendation, TraceStep

__all__ = ["CaseRequest", "EvaluationRequest", "evaluate", "Recommendation"]

_RANK = {Outcome.NO_PENALTY: 0, Outcome.EXEMPTION: 1, Outcome.PENALTY: 2}


class CaseRequest(BaseModel):
    """The facts of one case and its dates, as an evaluation and a recorded decision both state them."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=64)
    item: str = Field(min_length=1, max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict)
    act_date: dt.date = Field(description="违法行为发生之日")
    act_end_date: dt.date | None = Field(default=None, description="连续或者继续状态的终了之日")
    discovery_date: dt.date | None = Field(default=None, description="发现（立案）之日，缺省为决定之日")
    decision_date: dt.date = Field(description="作出处罚决定之日")

    @field_validator("act_date", "act_end_date", "discovery_date", "decision_date")
    @classmethod
    def _bounded(cls, v: dt.date | None) -> dt.date | None:
        return v if v is None else check_date(v)  # 1900…2999: the limitation's arithmetic cannot overflow


class EvaluationRequest(CaseRequest):
    """The facts of one case and its dates; `decision_date` defaults to today at the boundary."""


def _dates(req: EvaluationRequest) -> Dates:
    if req.act_date > req.decision_date:
        raise DateError(f"the act ({req.act_date}) is after the decision ({req.decision_date})", field="act_date")
    if req.act_end_date is not None and not req.act_date <= req.act_end_date <= req.decision_date:
        raise DateError("act_end_date must lie between act_date and decision_date", field="act_end_date")
    discovery = req.discovery_date or req.decision_date
    if not req.act_date <= discovery <= req.decision_date:
        raise DateError("discovery_date must lie between act_date and decision_date", field="discovery_date")
    return Dates(req.act_date, req.act_end_date, discovery, req.decision_date)


def lightness(rec: Recommendation, kinds: Mapping[str, str]) -> tuple[Any, ...]:
    """Severity for 从旧兼从轻 (第三十七条 处罚较轻): outcome; then the heaviest kind of penalty
    (警告 < 罚款、没收 < 暂扣、停产停业 < 吊销、关闭 < 拘留); then the fine's maximum and suggested
    amount; then how many penalties. `kinds` maps the version's penalty measures to their kind."""
    fine = rec.fine
    ranks = [PENALTY_KIND_RANK[kinds[m.code]] for m in rec.measures if m.code in kinds]
    if fine is not None and fine.max > 0:
        ranks.append(FINE_RANK)
    return (
        _RANK[rec.outcome],
        max(ranks, default=0),
        fine.max if fine else 0,
        fine.suggested if fine else 0,
        len(ranks),
    )


def _version_step(crs: CompiledRuleset, lib: RulesetLibrary, effect: str) -> TraceStep:
    """The trace step saying which version applies and why (第三十七条)."""
    key = ("version_step", crs.hash, effect)
    hit = lib.memo.get(key)
    if hit is None:
        hit = lib.memo[key] = TraceStep(**_make_version_step(crs, lib, effect))
    return hit  # type: ignore[return-value]  # lib.memo holds several kinds, this key a TraceStep


def _make_version_step(crs: CompiledRuleset, lib: RulesetLibrary, effect: str) -> dict[str, Any]:
    start, end = lib.period(crs)
    period = f"{start}起" + (f"至{end}前" if end else "")
    return {
        "step": "version",
        "rule": f"{crs.department}/{crs.version}",
        "condition": None,
        "facts": {},
        "effect": f"{effect}：{crs.ruleset.department_name} {crs.version}"
        f"（{period}施行，{'；'.join(crs.ruleset.source[:2])}）",
        "citation": ART_37.render(),
    }


def evaluate(library: RulesetLibrary, request: EvaluationRequest) -> Recommendation:
    """Recommend a penalty for one case, with its citation trace (DESIGN.md, evaluation order)."""
    dates = _dates(request)
    old = library.in_force(request.department, request.act_date)
    if old is None:
        spans = ", ".join(f"{c.version} from {c.ruleset.effective_from}" for c in library.versions(request.department))
        raise VersionNotInForce(
            f"no version of {request.department!r} was in force on {request.act_date} ({spans})", field="act_date"
        )
    old_item = old.find_item(request.item)
    if old_item is None:
        codes = ", ".join(sorted(old.items))
        raise UnknownItem(
            f"{request.item!r} is not an item of {old.department} {old.version} (items: {codes})", field="item"
        )
    new = library.in_force(request.department, request.decision_date)
    new_item = new.find_item(request.item) if new is not None and new is not old else None
    tolerated = frozenset(new_item.schema) if new_item else frozenset()
    facts = validate_facts(
        request.facts, old_item.schema, old_item.derived, context=f"{old.department} {old.version}", tolerated=tolerated
    )
    if new is None or new is old:
        return apply_version(old, old_item, facts, dates, _version_step(old, library, "适用违法行为发生时施行的规定"))
    if new_item is None:
        step = _version_step(
            new,
            library,
            f"作出处罚决定时施行的规定已不将「{old_item.item.name}」列为违法行为，不认为是违法的，适用新的规定",
        )
        return no_longer_a_violation(old, old_item, facts, dates, step)
    new_facts = _validate_for(new, new_item, request.facts, old_item)
    transition = new.ruleset.transition if new.ruleset.change == "benchmark" else None
    stated = new.ruleset.transition_basis is not None  # the benchmark's own words, or 第三十七条 by analogy
    if transition == "decision_date":  # the benchmark's own rule: cases decided after it takes effect
        return apply_version(
            new, new_item, new_facts, dates, _transition_step(new, library, wording.TRANSITION_DECISION)
        )
    if transition == "act_date":
        return apply_version(
            old, old_item, facts, dates, _transition_step(new, library, wording.transition_act(old.version))
        )
    before = apply_version(old, old_item, facts, dates, _version_step(old, library, "适用违法行为发生时施行的规定"))
    after = apply_version(
        new,
        new_item,
        new_facts,
        dates,
        _version_step(
            new, library, f"作出处罚决定时施行的规定处罚较轻，适用新的规定（从旧兼从轻；行为时为{old.version}）"
        )
        if transition is None
        else _transition_step(new, library, wording.transition_lighter(old.version, stated)),
    )
    if lightness(after, new.ruleset.penalty_measures) < lightness(before, old.ruleset.penalty_measures):
        return after
    kept = (
        TraceStep(
            step="version",
            rule=f"{new.department}/{new.version}",
            effect=f"作出处罚决定时施行的{new.version}版处罚不轻于行为时的规定，仍适用{old.version}版（从旧兼从轻）",
            citation=ART_37.render(),
        )
        if transition is None
        else _transition_step(new, library, wording.transition_kept(new.version, old.version, stated))
    )
    return before.model_copy(update={"trace": [*before.trace[:2], kept, *before.trace[2:]]})


def _transition_step(crs: CompiledRuleset, lib: RulesetLibrary, effect: str) -> TraceStep:
    """The version step when only the benchmark changed: 第三十七条 speaks of 法律、法规、规章, so the
    benchmark's own transitional rule decides, and the step cites it (or the document) instead."""
    step = _version_step(crs, lib, effect)
    basis = crs.ruleset.transition_basis
    if basis is None and crs.ruleset.transition == "lighter":  # the document says nothing: 第三十七条 by analogy
        basis = ART_37
    cite = (
        basis.render()
        if basis is not None
        else f"《{crs.ruleset.source[0]}》"
        if not crs.ruleset.source[0].startswith("《")
        else crs.ruleset.source[0]
    )
    return step.model_copy(update={"citation": cite})


def _validate_for(crs: CompiledRuleset, ci: CompiledItem, raw: dict[str, Any], old: CompiledItem) -> dict[str, Any]:
    try:
        return validate_facts(
            raw,
            ci.schema,
            ci.derived,
            context=f"{crs.department} {crs.version}, for 第三十七条",
            tolerated=frozenset(old.schema),
        )
    except FactError as e:
        raise FactError(
            f"{e.message} — needed to compare with the version in force on the decision date "
            f"({crs.version}) under 第三十七条",
            field=e.field,
        ) from None

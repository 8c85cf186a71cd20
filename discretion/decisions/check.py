"""check(): a decision actually made, set against what the benchmark recommends for the same case.

The same notions as the consistency sweep's findings (consistency/findings.py), for one decision at
the moment it is made (事中预警) instead of for groups of decided cases later:
- a fine outside the recommended range (severity by how far), or outside the statutory range (critical);
- penalised although a mandatory no-penalty or exemption entry holds, or after the limitation period
  (第三十六条), or where the rules no longer make the act a violation (第三十七条);
- not penalised where the benchmark recommends a penalty and offers no discretionary entry for it;
- a different kind of penalty than recommended; a measure the law requires missing;
- any deviation, or a discretionary (可以) entry taken, without a reason (说明理由).
Every finding names its rule and the article it rests on, taken from the recommendation's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from ..compiler import CompiledRuleset
from ..consistency.output import KIND_NAMES
from ..consistency.report import SEVERITY_ORDER, Severity
from ..evaluation import EvaluationRequest, evaluate
from ..evaluation.result import OUTCOME_LABELS, Recommendation, TraceStep, imposed_fine_range
from ..keys import Outcome
from ..loader import RulesetLibrary
from ..money import yuan_text
from ..wording import MAY_OUTSIDE
from ..ruleset import MeasureRef

Kind = Literal[
    "outside_range",
    "mandatory_list_ignored",
    "limitation_ignored",
    "different_outcome",
    "different_penalty_types",
    "mandatory_measure_missing",
    "no_reason",
]

#: kind → 中文, the sweep's names and this check's own
KIND_LABELS: dict[str, str] = {
    **KIND_NAMES,
    "mandatory_measure_missing": "未采取应当采取的措施",
    "no_reason": "偏离基准未说明理由",
}

#: 说明理由: 国办发〔2022〕27号 asks that a departure from a benchmark in a particular case be approved and
#: its reasons stated in the decision document. Its wording was not verified verbatim here, so it is
#: cited by name only, beside 行政处罚法 第四十四条 (the party is told the facts, reasons and basis).
REASON_BASIS = (
    "《国务院办公厅关于进一步规范行政裁量权基准制定和管理工作的意见》（国办发〔2022〕27号）；"
    "《中华人民共和国行政处罚法》第四十四条"
)

#: how far outside the recommended range, as a share of its width (or of its bound when it has none),
#: sets the severity: up to a quarter low, up to a whole width medium, beyond that high
_LOW, _MEDIUM = Decimal("0.25"), Decimal(1)


class CheckFinding(BaseModel):
    """One thing found in a decision: what, how severe, the rule and the article behind it, in Chinese."""

    kind: Kind
    label: str
    severity: Severity
    rule: str = Field(description="规则编号（阶次、清单条目、条款）")
    citation: str = Field(description="所依据的法条")
    message: str


@dataclass(frozen=True)
class DecisionMade:
    """What was decided: outcome, fine (yuan), penalty and other measures (codes). `measures` None means
    only penalty measures are known (imported cases list those by name); `reason` None means unknown."""

    request: EvaluationRequest
    outcome: str
    fine: Decimal | None
    measures: frozenset[str] | None
    penalty_names: frozenset[str] = frozenset()
    reason: str | None = ""


class CheckResult(BaseModel):
    """The recommendation the decision is set against and what was found (most severe first)."""

    recommendation: Recommendation
    findings: list[CheckFinding]
    reason_required: bool = Field(description="是否需要说明理由（偏离基准或适用“可以”条目）")


def check(library: RulesetLibrary, made: DecisionMade) -> CheckResult:
    """Evaluate the case as the law says (the version that applies, 第三十七条) and check the decision."""
    rec = evaluate(library, made.request)
    crs = library.version(rec.ruleset.department, rec.ruleset.version)
    return check_against(crs, rec, made)


def _finding(
    kind: Kind,
    severity: Severity,
    step: TraceStep | None,
    message: str,
    *,
    rule: str = "",
    citation: str = "",
) -> CheckFinding:
    return CheckFinding(
        kind=kind,
        label=KIND_LABELS[kind],
        severity=severity,
        rule=step.rule if step is not None else rule,
        citation=step.citation if step is not None else citation,
        message=message,
    )


def _last(rec: Recommendation, *steps: str) -> TraceStep | None:
    return next((s for s in reversed(rec.trace) if s.step in steps), None)


def check_against(crs: CompiledRuleset, rec: Recommendation, made: DecisionMade) -> CheckResult:
    """The findings of one decision against its recommendation under version `crs`."""
    found: list[CheckFinding] = []
    chose: list[str] = []  # discretionary entries the decision takes (a reason is required)
    # not a penalty only because the fine is 可以并处 (nothing else penal remains, 第九条): imposing it is the
    # officer's choice, checked as a penalty with that option's range
    measure = imposed_fine_range(rec)
    optional = (
        rec.outcome != "penalty" and rec.trace[-1].step == "outcome" and measure is not None and measure.may is not None
    )
    if rec.outcome != "penalty" and not optional:
        found += _not_to_be_penalised(rec, made)
    elif made.outcome != "penalty" and not optional:
        option = next((o for o in rec.options if o.outcome == made.outcome and o.list != "may"), None)
        if option is None:
            said = OUTCOME_LABELS[Outcome(made.outcome)]  # outcomes are validated where a decision is read
            found.append(
                _finding(
                    "different_outcome",
                    "high",
                    _last(rec, "placement", "statutory"),
                    f"基准建议给予处罚且没有可以{said}的依据，但{said}",
                )
            )
        else:
            chose.append(f"「{option.label}」（{option.citation}）：{option.effect}")
            # the entry taken says which measures still apply (e.g. 没收 with a 免予处罚)
            entry = next(e for e in crs.ruleset.lists if e.id == option.id)
            names = crs.ruleset.measures
            taken: list[MeasureRef] = list(entry.measures)
            required = [(m.code, names.get(m.code, m.code), option.citation) for m in taken]
            found += _measures(crs, required, made)
    if made.outcome == "penalty" and (rec.outcome == "penalty" or optional):
        found += _fine(rec, made, chose)
        found += _kinds(crs, rec, made)
    if rec.outcome != "penalty" or made.outcome == "penalty":
        found += _measures(crs, [(m.code, m.name, m.citation) for m in rec.measures], made)
    needs_reason = bool(found or chose)
    if needs_reason and made.reason is not None and not made.reason.strip():
        what = "、".join(dict.fromkeys(f.label for f in found)) if found else "适用" + "、".join(chose)
        found.append(
            _finding(
                "no_reason",
                "medium",
                None,
                f"{what}，但未说明理由",
                rule="reason",
                citation=REASON_BASIS,
            )
        )
    found.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind == "no_reason", f.kind))
    return CheckResult(recommendation=rec, findings=found, reason_required=needs_reason)


def _not_to_be_penalised(rec: Recommendation, made: DecisionMade) -> list[CheckFinding]:
    """The benchmark says no penalty (or exemption): by the limitation, a mandatory list entry, the
    rules no longer making it a violation, or nothing penal remaining (第九条)."""
    if made.outcome != "penalty":
        return []
    last = rec.trace[-1]
    if last.step == "limitation":
        return [_finding("limitation_ignored", "critical", last, f"{last.effect}，但作出了处罚")]
    step = _last(rec, "no_penalty", "exemption") if last.step in ("no_penalty", "exemption") else last
    kind: Kind = (
        "mandatory_list_ignored"
        if step is not None and step.step in ("no_penalty", "exemption")
        else "different_outcome"
    )
    return [
        _finding(
            kind,
            "critical" if kind == "different_outcome" and last.step == "version" else "high",
            step,
            f"依{step.citation if step else ''}应当{rec.outcome_label}，但作出了处罚",
        )
    ]


def _fine(rec: Recommendation, made: DecisionMade, chose: list[str]) -> list[CheckFinding]:
    fine, got = rec.fine, made.fine
    step = _last(rec, "tier", "placement", "weighted")
    statutory = _last(rec, "statutory")
    measure = imposed_fine_range(rec)
    if measure is not None and measure.may is not None:
        # 可以并处: not imposing it is no finding; imposing it takes the option (a reason is asked), in its range
        if not got:
            return []
        may = measure.may
        chose.append(f"「{may.label}」（{may.citation}）：{may.effect}")
        if measure.min <= got <= measure.max:
            return []
        return [
            _finding(
                "outside_range",
                "medium",
                _last(rec, "may_fine") or statutory,
                f"罚款{yuan_text(got)}{MAY_OUTSIDE}{_span(measure.min, measure.max)}内",
            )
        ]
    if fine is None or fine.max == 0:
        if got:
            return [
                _finding(
                    "different_penalty_types",
                    "high",
                    statutory or step,
                    f"该情形依法不处以罚款，但处以罚款{yuan_text(got)}",
                )
            ]
        return []
    if not got:
        return [
            _finding(
                "different_penalty_types",
                "medium",
                statutory or step,
                f"基准建议罚款{_span(fine.min, fine.max)}，但未处以罚款",
            )
        ]
    if got > fine.statutory_max:
        return [
            _finding(
                "outside_range",
                "critical",
                statutory,
                f"罚款{yuan_text(got)}超过法定最高额{yuan_text(fine.statutory_max)}",
            )
        ]
    option = next((o for o in rec.options if o.fine is not None and o.fine.min <= got <= o.fine.max), None)
    if fine.min <= got <= fine.max:
        return []
    if option is not None:
        chose.append(f"「{option.label}」（{option.citation}）：{option.effect}")
        return []
    if got < fine.statutory_min and got < fine.min:
        return [
            _finding(
                "outside_range",
                "critical",
                statutory,
                f"罚款{yuan_text(got)}低于法定最低额{yuan_text(fine.statutory_min)}，且不具备减轻处罚的情形",
            )
        ]
    width = fine.max - fine.min
    below = got < fine.min
    gap = (fine.min - got) if below else (got - fine.max)
    scale = width if width > 0 else (fine.min if below else fine.max) or Decimal(1)
    share = gap / scale
    severity: Severity = "low" if share <= _LOW else "medium" if share <= _MEDIUM else "high"
    return [
        _finding(
            "outside_range",
            severity,
            step,
            f"罚款{yuan_text(got)}{'低于' if below else '高于'}基准建议幅度{_span(fine.min, fine.max)}"
            f"（{'少' if below else '多'}{yuan_text(gap)}，为建议幅度{'宽度' if width > 0 else ''}的{share:.0%}）",
        )
    ]


def _span(lo: Decimal, hi: Decimal) -> str:
    return yuan_text(lo) if lo == hi else f"{yuan_text(lo)}至{yuan_text(hi)}"


def _penal_codes(crs: CompiledRuleset, made: DecisionMade) -> set[str]:
    penal = crs.ruleset.penalty_measures
    if made.measures is not None:
        return {m for m in made.measures if m in penal}
    by_name = {name: code for code, name in crs.ruleset.measures.items()}
    return {by_name[n] for n in made.penalty_names if n in by_name and by_name[n] in penal}


def _kinds(crs: CompiledRuleset, rec: Recommendation, made: DecisionMade) -> list[CheckFinding]:
    """Penalty measures the recommendation does not have (those it has and the decision lacks are
    missing measures, below)."""
    penal = crs.ruleset.penalty_measures
    recommended = {m.code for m in rec.measures if m.code in penal}
    extra = sorted(_penal_codes(crs, made) - recommended)
    if made.measures is None:
        unknown = sorted(n for n in made.penalty_names if n not in set(crs.ruleset.measures.values()))
        extra += unknown
    if not extra:
        return []
    names = "、".join(crs.ruleset.measures.get(c, c) for c in extra)
    rec_names = "、".join(m.name for m in rec.measures if m.code in penal) or "无其他处罚"
    return [
        _finding(
            "different_penalty_types",
            "medium",
            _last(rec, "placement", "tier", "statutory"),
            f"处以基准未建议的处罚：{names}（基准建议：{rec_names}）",
        )
    ]


def _measures(crs: CompiledRuleset, required: list[tuple[str, str, str]], made: DecisionMade) -> list[CheckFinding]:
    """The required measures (code, name, citation) the decision lacks. Every measure a recommendation
    carries is one the law or a mandatory entry requires."""
    if made.measures is not None:
        taken = set(made.measures)
        check_all = True
    elif made.outcome == "penalty":  # imported: only the penalties of a penalised case are listed
        taken, check_all = _penal_codes(crs, made), False
    else:
        return []
    out = []
    for code, name, citation in required:
        if code in taken or (not check_all and code not in crs.ruleset.penalty_measures):
            continue
        out.append(
            _finding(
                "mandatory_measure_missing",
                "high",
                None,
                f"未{name}（{code}），依法应当采取",
                rule=f"measure:{code}",
                citation=citation,
            )
        )
    return out

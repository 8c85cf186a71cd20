"""impact(): replay decided cases on two versions and list every recommendation that changes.

Before a new version takes effect a reviewer asks what it would have done to last year's cases:
which would now go unpunished, or be punished where they were not, which fines move, which
measures appear or go. Each case of the department is evaluated under both versions (its own dates,
the version forced, the facts validated against each version's schema), and compared.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..cases.table import CaseTable
from ..compiler import CompiledItem, CompiledRuleset
from ..errors import DiscretionError
from ..evaluation.apply import Dates, apply_version
from ..evaluation.result import Recommendation, TraceStep
from ..facts import validate_facts
from ..money import yuan_text

Kind = Literal["outcome", "fine", "measures", "not_replayed"]


class ImpactRow(BaseModel):
    case_id: str
    line: int
    item: str
    kind: Kind = Field(description="outcome: 处罚与否变化；fine: 罚款变化；measures: 措施变化；not_replayed: 无法重放")
    old: str
    new: str


class ImpactReport(BaseModel):
    department: str
    old: str
    new: str
    cases: int = Field(description="该部门的案件数")
    replayed: int
    unchanged: int
    changed: list[ImpactRow]
    item_missing: dict[str, int] = Field(
        default_factory=dict, description="事项编码 → 案件数：该事项只在一个版本中，案件未重放"
    )


def summary(rec: Recommendation) -> str:
    """A recommendation in one line: outcome, fine range and suggestion, measures."""
    text = rec.outcome_label
    if rec.fine is not None:
        fine = rec.fine
        text += f"，罚款{yuan_text(fine.min)}至{yuan_text(fine.max)}"
        text += f"（建议{yuan_text(fine.suggested or fine.min)}）"
    if rec.measures:
        text += "；" + "、".join(m.name for m in rec.measures)
    return text


def _step(crs: CompiledRuleset) -> TraceStep:
    return TraceStep(
        step="version",
        rule=f"{crs.department}/{crs.version}",
        effect=f"影响分析：按{crs.version}版重放",
        citation="",
    )


def _evaluate(
    crs: CompiledRuleset,
    ci: CompiledItem,
    raw: dict[str, Any],
    other: CompiledItem,
    dates: Dates,
    step: TraceStep,
) -> Recommendation:
    facts = validate_facts(
        raw,
        ci.schema,
        ci.derived,
        context=f"{crs.department} {crs.version}",
        tolerated=frozenset(other.schema),
    )
    return apply_version(crs, ci, facts, dates, step)


def _kind(a: Recommendation, b: Recommendation) -> Kind | None:
    if a.outcome != b.outcome:
        return "outcome"
    fa, fb = a.fine, b.fine
    if (fa is None) != (fb is None) or (fa and fb and (fa.min, fa.max, fa.suggested) != (fb.min, fb.max, fb.suggested)):
        return "fine"
    if [m.code for m in a.measures] != [m.code for m in b.measures]:
        return "measures"
    return None


def impact(old: CompiledRuleset, new: CompiledRuleset, cases: CaseTable) -> ImpactReport:
    """Every case of `new`'s department in `cases`, replayed on `old` and on `new`."""
    if old.department != new.department:
        raise DiscretionError(
            f"two versions of one department are compared, not {old.department} and {new.department}",
            field="new",
        )
    steps = (_step(old), _step(new))
    mine = [i for i, d in enumerate(cases.departments) if d == new.department]
    rows = [i for i in range(len(cases)) if int(cases.department[i]) in mine]
    changed: list[ImpactRow] = []
    missing: dict[str, int] = {}
    replayed = unchanged = 0
    for i in rows:
        code = cases.items[int(cases.item[i])]
        dates = Dates(
            cases.date(cases.act, i),
            None,
            cases.date(cases.decided, i),
            cases.date(cases.decided, i),
        )
        a_item, b_item = old.find_item(code), new.find_item(code)
        if a_item is None or b_item is None:
            missing[code] = missing.get(code, 0) + 1
            continue

        def row(kind: Kind, a: str, b: str, i: int = i, code: str = code) -> ImpactRow:
            return ImpactRow(
                case_id=cases.case_id[i],
                line=int(cases.line[i]),
                item=code,
                kind=kind,
                old=a,
                new=b,
            )

        results: list[Recommendation | str] = []
        for crs, ci, other, step in (
            (old, a_item, b_item, steps[0]),
            (new, b_item, a_item, steps[1]),
        ):
            try:
                results.append(_evaluate(crs, ci, cases.facts_of(i), other, dates, step))
            except DiscretionError as e:
                results.append(f"无法评估：{e}")
            except (ArithmeticError, ValueError, TypeError, RecursionError) as e:  # a stored row no version reads
                results.append(f"无法评估：{type(e).__name__}")
        a, b = results
        if isinstance(a, str) or isinstance(b, str):
            changed.append(
                row(
                    "not_replayed",
                    a if isinstance(a, str) else summary(a),
                    b if isinstance(b, str) else summary(b),
                )
            )
            continue
        replayed += 1
        kind = _kind(a, b)
        if kind is None:
            unchanged += 1
        else:
            changed.append(row(kind, summary(a), summary(b)))
    order = {"outcome": 0, "fine": 1, "measures": 2, "not_replayed": 3}
    changed.sort(key=lambda r: (order[r.kind], r.line))
    return ImpactReport(
        department=new.department,
        old=old.version,
        new=new.version,
        cases=len(rows),
        replayed=replayed,
        unchanged=unchanged,
        changed=changed,
        item_missing=missing,
    )

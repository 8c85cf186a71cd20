"""An officer takes a discretionary (可以) option: the recommendation with it applied, and why.

The evaluator returns each option with what it would do (its outcome and, for a fine, the range
and suggested amount it places the fine at). Taking one gives the same recommendation with that
outcome and fine, the measures the option keeps (named in its effect, "但应当责令改正"), and a
last trace step saying what was taken, why (the officer's words) and on which basis.
"""

from __future__ import annotations

from ..keys import Outcome
from .result import OUTCOME_LABELS, Fine, Option, Recommendation, TraceStep

MAX_REASON = 1000


def find_option(rec: Recommendation, option_id: str) -> Option | None:
    return next((o for o in rec.options if o.id == option_id), None)


def take_option(rec: Recommendation, option: Option, reason: str) -> Recommendation:
    """`rec` with `option` applied; `reason` is the officer's (required, ≤ MAX_REASON chars)."""
    reason = reason.strip()
    if not reason:
        raise ValueError("reason: required")
    fine: Fine | None = None
    if option.outcome == Outcome.PENALTY and option.fine is not None and rec.fine is not None:
        fine = Fine(
            min=option.fine.min,
            max=option.fine.max,
            suggested=option.fine.suggested,
            statutory_min=rec.fine.statutory_min,
            statutory_max=rec.fine.statutory_max,
            tier=rec.fine.tier,
            placement=option.label,
        )
    elif option.outcome == Outcome.PENALTY:
        fine = rec.fine
    if option.outcome == Outcome.PENALTY:
        measures = list(rec.measures)
    else:  # not penalised: only what the entry still requires (但应当责令改正) is kept
        required = option.effect.partition("应当")[2]
        measures = [m for m in rec.measures if m.name in required]
    step = TraceStep(
        step="option",
        rule=f"option:{option.id}",
        effect=f"执法人员选择适用「{option.label}」：{option.effect}。理由：{reason[:MAX_REASON]}",
        citation=option.citation,
    )
    return rec.model_copy(
        update={
            "outcome": option.outcome,
            "outcome_label": OUTCOME_LABELS[option.outcome],
            "fine": fine,
            "measures": measures,
            "options": [],
            "trace": [*rec.trace, step],
        }
    )

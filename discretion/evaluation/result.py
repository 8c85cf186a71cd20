"""What an evaluation returns: the recommendation, its options and its citation trace."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from ..keys import Outcome
from ..money import normalise

M = TypeVar("M", bound=BaseModel)
_setattr = object.__setattr__
_new = BaseModel.__new__  # object.__new__ unless pydantic ever defines its own
# BaseModel's slots, set through their descriptors (a few steps fewer than object.__setattr__ finding them)
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def assemble(cls: type[M], **values: Any) -> M:
    """An output model built from parts whose types the evaluator already guarantees, without validating again.

    This is what `model_construct` does for these models (every field given, no aliases, no extra,
    no private attributes) without its per-field alias and default handling, which had become the
    largest single cost of an evaluation. tests/test_result_assembly.py pins it against validation.
    """
    m = _new(cls)
    _setattr(m, "__dict__", values)
    _set_fields_set(m, set(values))
    _set_extra(m, None)
    _set_private(m, None)
    return m


def show_value(v: Any) -> Any:
    """A fact value for the trace: Decimals as the officer wrote them (exact, as strings)."""
    return str(v) if isinstance(v, Decimal) else v


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NO_PENALTY: "不予处罚",
    Outcome.EXEMPTION: "免予处罚",
    Outcome.PENALTY: "给予行政处罚",
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FineRange(_Out):
    """A fine in yuan: the range the officer may choose in, and the suggested amount."""

    min: Decimal
    max: Decimal
    suggested: Decimal | None = None

    @field_serializer("min", "max", "suggested")
    def _yuan(self, v: Decimal | None) -> str | None:
        return None if v is None else str(normalise(v))


class Fine(FineRange):
    """The recommended fine with where it came from."""

    statutory_min: Decimal
    statutory_max: Decimal
    tier: str | None = Field(default=None, description="裁量阶次")
    placement: str = Field(description="从轻 / 一般 / 从重 / 减轻")

    @field_serializer("statutory_min", "statutory_max")
    def _yuan2(self, v: Decimal) -> str:
        return str(normalise(v))


class Measure(_Out):
    """A non-fine consequence: 责令改正, 没收违法所得, 吊销许可证 …"""

    code: str
    name: str
    citation: str


class Option(_Out):
    """A discretionary (可以) entry the officer may apply, with what it would do and its basis."""

    id: str
    list: str
    label: str
    effect: str
    citation: str
    outcome: Outcome
    fine: FineRange | None = None


class RulesetIdentity(_Out):
    department: str
    department_name: str
    version: str
    hash: str
    source: list[str]
    effective_from: dt.date


class TraceStep(_Out):
    """One step of the evaluation order: the rule, what it read, what it did, and its citation."""

    step: str
    rule: str
    effect: str
    citation: str
    condition: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict, description="所读取的事实及其取值")


class ItemRef(_Out):
    code: str
    name: str


class Recommendation(_Out):
    """The result of `evaluate`: the same input and ruleset give the same bytes."""

    outcome: Outcome
    outcome_label: str
    item: ItemRef
    fine: Fine | None
    measures: list[Measure]
    options: list[Option]
    ruleset: RulesetIdentity
    act_date: dt.date
    decision_date: dt.date
    trace: list[TraceStep]


class ImposedFineRange(NamedTuple):
    """The range an imposed fine is measured against: the recommended fine, or where the fine is only
    可以并处 (`may: true`: the result has no fine) the range of that option. `statutory_max` is None for
    an option (its statutory maximum is not part of the result), so only its range is checked."""

    min: Decimal
    max: Decimal
    statutory_max: Decimal | None
    may: Option | None


def imposed_fine_range(rec: Recommendation) -> ImposedFineRange | None:
    """What a fine the officer imposed is checked against (decision checks and sweeps alike); None when the
    recommendation has neither a fine nor a 可以并处 fine."""
    if rec.fine is not None:
        return ImposedFineRange(rec.fine.min, rec.fine.max, rec.fine.statutory_max, None)
    may = next((o for o in rec.options if o.list == "may" and o.fine is not None), None)
    if may is None or may.fine is None:
        return None
    return ImposedFineRange(may.fine.min, may.fine.max, None, may)

"""Case files: legal expectations in YAML (name / facts / expected outcome), like OpenFisca tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from . import EvaluationRequest


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpectedFine(_Strict):
    min: Decimal
    max: Decimal
    suggested: Decimal | None = None


class Expected(_Strict):
    outcome: Literal["no_penalty", "exemption", "penalty"]
    version: str | None = None
    fine: ExpectedFine | None = None
    statutory: ExpectedFine | None = None
    measures: list[str] | None = None
    options: list[str] | None = None
    #: the range each option with a fine offers, by option id (a 可以并处 fine: min, max, suggested)
    option_fines: dict[str, ExpectedFine] | None = None
    tier: str | None = None
    steps: list[str] | None = None  # trace steps that must appear (by `step`), e.g. displaced, may_fine, band
    no_steps: list[str] | None = None  # trace steps that must not appear
    #: trace rules that must appear (by `rule`), e.g. statutory:unknown_gain — which clause, tier or entry acted
    rules: list[str] | None = None


class ExpectedError(_Strict):
    type: str
    field: str | None = None


class Case(_Strict):
    """One legal expectation: a sentence, the facts, and what the law says must come out."""

    name: str
    department: str
    item: str
    act_date: dt.date
    act_end_date: dt.date | None = None
    discovery_date: dt.date | None = None
    decision_date: dt.date | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    expect: Expected | None = None
    expect_error: ExpectedError | None = None
    file: str = ""

    def request(self) -> EvaluationRequest:
        return EvaluationRequest(
            department=self.department,
            item=self.item,
            facts=self.facts,
            act_date=self.act_date,
            act_end_date=self.act_end_date,
            discovery_date=self.discovery_date,
            decision_date=self.decision_date or self.act_date,
        )


def load_cases(folder: Path) -> list[Case]:
    """Every case of every `*.yaml` file in a folder, in file order."""
    out: list[Case] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        docs = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for raw in docs:
            out.append(Case.model_validate({**raw, "file": path.name}))
    return out

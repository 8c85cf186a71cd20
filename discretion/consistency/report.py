"""The consistency report: findings with their cases, key in words, rules and citations; unit statistics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Finding(BaseModel):
    """One inconsistency: what kind, how severe, which cases, and the law behind the group."""

    kind: Literal[
        "different_outcome",
        "different_penalty_types",
        "fine_spread",
        "outside_range",
        "mandatory_list_ignored",
        "limitation_ignored",
        "ruleset_defect",
    ]
    severity: Severity
    department: str
    item: str
    version: str
    key: str = Field(description="相同案情的含义：适用的阶次、条款与清单条目")
    rules: list[dict[str, Any]] = Field(default_factory=list, description="定义该组的规则、条件与依据")
    cases: list[str]
    detail: str


class GroupStat(BaseModel):
    """A unit (执法机构/镇街) or an officer against the others on the same keys."""

    kind: Literal["unit", "officer"]
    name: str
    cases: int
    deviations: int
    rate: float
    others_rate: float
    p_value: float = Field(description="two-sided binomial test of the deviation rate against the others'")
    median_relative_position: float | None = Field(
        description="median (own position − others' median position) in the recommended range, same keys"
    )
    flagged: bool


class RejectedRow(BaseModel):
    line: int
    case_id: str | None
    reason: str


class Summary(BaseModel):
    cases_read: int
    cases_swept: int
    rejected: int
    keys: int
    evaluations: int
    findings: dict[str, int]


class CaseFine(BaseModel):
    """One case of a charted key: what was decided, and the recommended range for it (yuan)."""

    case_id: str
    unit: str
    outcome: str
    fine: float | None
    rec_min: float | None = None
    rec_max: float | None = None
    stat_max: float | None = None


class GroupChart(BaseModel):
    """The cases of one key that has fine_spread / outside_range / different_outcome findings, for charts."""

    department: str
    item: str
    version: str
    key: str
    cases: list[CaseFine]


class AuditHead(BaseModel):
    """The store's audit chain head when a sweep of the store began: kept outside the database, it lets
    `discretion audit verify` show later that no entry up to it was removed or changed."""

    entry: int
    hash: str


class ConsistencyReport(BaseModel):
    summary: Summary
    findings: list[Finding]
    units: list[GroupStat]
    officers: list[GroupStat]
    rejected: list[RejectedRow]
    groups: list[GroupChart] = Field(default_factory=list, description="per-case fines of the keys with findings")
    audit_head: AuditHead | None = Field(default=None, description="the audit chain head when a sweep of a store began")

"""The ruleset language: what a department publishes, as pydantic models (unknown keys refused).

A ruleset encodes one published benchmark document (`source`) for one department and version:
the fact schema officers fill in, the catalogue (一目录) of items with their legal basis,
statutory range and tiers (裁量阶次), and the five lists (五清单). Conditions stay strings here;
`discretion.compiler` parses and type-checks them against the fact schema.
"""

from __future__ import annotations

import builtins
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .citation import Citation
from .keys import DECIDING_LISTS, Direction, ListKind, ShapeKind
from .wording import LIST_NAMES  # noqa: F401  (re-exported: the Chinese names of the lists)

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
FactName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$", max_length=64)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
Share = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]
Multiple = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=6)]

#: The kinds of 行政处罚 of 《行政处罚法》第九条, lightest first, for comparing severity (第三十七条 处罚较轻):
#: 警告、通报批评 < 罚款、没收 < 暂扣许可证件、降低资质等级、限制开展生产经营活动、责令停产停业、限制从业
#: (temporary or partial) < 吊销许可证件、责令关闭 (permanent) < 行政拘留.
PenaltyKind = Literal["warning", "confiscation", "suspension", "revocation", "detention"]
PENALTY_KIND_RANK: dict[str, int] = {"warning": 1, "confiscation": 2, "suspension": 3, "revocation": 4, "detention": 5}
FINE_RANK = PENALTY_KIND_RANK["confiscation"]  # 罚款 is of the same kind (第九条第（二）项)


def _repeated(values: list[str]) -> set[str]:
    """The values that occur more than once (linear: a catalogue has thousands of codes)."""
    seen: set[str] = set()
    return {v for v in values if v in seen or seen.add(v)}  # type: ignore[func-returns-value]  # add() is None


class Strict(BaseModel):
    """Base for every ruleset model: unknown keys are an error, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_or_many(v: Any) -> Any:
    return [v] if isinstance(v, dict) else v


class FactSpec(Strict):
    """One fact an officer supplies (or one derived from others), with its type and label."""

    type: Literal["money", "number", "integer", "bool", "enum"]
    label: str = Field(min_length=1, description="表单上显示的中文名称")
    values: list[str] | None = Field(default=None, description="enum 的取值")
    value_labels: dict[str, str] | None = Field(default=None, description="enum 取值的中文名")
    default: bool | int | Decimal | str | None = None
    required: bool | None = Field(default=None, description="缺省：没有 default 且不是 derived 即为必填")
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    derived: str | None = Field(default=None, description="由其他事实计算，如 illegal_gain / goods_value")

    @model_validator(mode="after")
    def _check(self) -> FactSpec:
        if self.type == "enum":
            if not self.values:
                raise ValueError("an enum fact needs `values`")
            if len(set(self.values)) != len(self.values):
                raise ValueError("enum `values` repeat")
        elif self.values is not None:
            raise ValueError(f"`values` only belongs to enum facts, not {self.type}")
        if self.derived is not None and self.type not in ("money", "number", "integer"):
            raise ValueError("only numeric facts can be derived")
        if self.derived is not None and self.default is not None:
            raise ValueError("a derived fact takes no default")
        return self

    @property
    def is_required(self) -> bool:
        if self.required is not None:
            return self.required
        return self.default is None and self.derived is None


class MeasureRef(Strict):
    """A measure (责令改正, 没收违法所得 …), optionally only when a condition holds.

    `may: true` is a measure the law only allows (可以吊销…): it is offered to the officer as an
    option with its basis, never taken silently."""

    code: Code
    when: str | None = None
    may: bool | None = Field(default=None, description="可以（由执法人员决定）而非应当")


def _measure_refs(v: Any) -> Any:
    if isinstance(v, list):
        return [{"code": m} if isinstance(m, str) else m for m in v]
    return v


class Fallback(Strict):
    """The fixed range the statute uses when the base is small, zero or unknown."""

    when: str | None = Field(default=None, description="基数小于门槛的条件；基数未知时总是适用")
    range: tuple[Amount, Amount]
    basis: Citation | None = None


class FineSpec(Strict):
    """A fine: a fixed range, a multiple of a base fact, or (tiers only) a share of the range.

    Exactly one of `range`, `times` or `share`. `multiple_of` names the base (a money fact);
    `times` is [lowest multiple, highest multiple] (百分之一 = 0.01). `ceiling` caps it
    (最高不超过…). `fallback` is the statute's fixed range for a small or unknown base.
    """

    range: tuple[Amount, Amount] | None = None
    multiple_of: FactName | None = None
    times: tuple[Multiple, Multiple] | None = None
    share: tuple[Share, Share] | None = None
    fallback: Fallback | None = None
    ceiling: Amount | None = None
    may: bool | None = Field(default=None, description="可以并处 / 可以处：罚款作为选项，不自动科处")
    bounds: Literal["[]", "[)", "(]", "()"] | None = Field(
        default=None,
        description="阶次金额边界：[] 以上/以下含本数；[) 不满上限；(] 超过下限；缺省按 placement.boundaries",
    )

    @model_validator(mode="after")
    def _check(self) -> FineSpec:
        given = [k for k in ("range", "times", "share") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a fine needs exactly one of range, times, share (got {given or 'none'})")
        for k in given:
            lo, hi = getattr(self, k)
            if lo > hi:
                raise ValueError(f"{k}: lower bound {lo} is above upper bound {hi}")
        if self.fallback is not None and self.times is None:
            raise ValueError("fallback only belongs to a multiple (times)")
        return self


class StatutoryClause(Strict):
    """The law's own range for the item (or one of its escalations: 拒不改正, 情节严重)."""

    id: Code = "base"
    when: str | None = None
    label: str | None = None
    basis: list[Citation] = Field(default_factory=list, description="缺省用 item.penalty_basis")
    fine: FineSpec | None = None
    measures: list[MeasureRef] = Field(default_factory=list)

    _measures = field_validator("measures", mode="before")(_measure_refs)
    _basis = field_validator("basis", mode="before")(_one_or_many)

    @field_validator("fine")
    @classmethod
    def _no_share(cls, v: FineSpec | None) -> FineSpec | None:
        if v is not None and v.share is not None:
            raise ValueError("a statutory fine is a range or a multiple, not a share")
        if v is not None and v.times is not None and v.multiple_of is None:
            raise ValueError("a statutory multiple needs `multiple_of` (the base fact)")
        return v


class Band(Strict):
    """A published column of a tier: the amounts for one direction (从轻 / 一般 / 从重 / 减轻)."""

    direction: Direction
    fine: FineSpec
    basis: list[Citation] = Field(default_factory=list)

    _basis = field_validator("basis", mode="before")(_one_or_many)

    @field_validator("fine")
    @classmethod
    def _amounts(cls, v: FineSpec) -> FineSpec:
        if v.multiple_of is not None or v.fallback is not None or v.may:
            raise ValueError("a band's fine is a range, a multiple of the statutory base or a share")
        return v


class Tier(Strict):
    """A 裁量阶次: a sub-range of the statutory range with its factual conditions."""

    id: Code
    label: str = Field(min_length=1, description="轻微 / 一般 / 较重 / 严重 …")
    when: str
    direction: Direction | None = Field(default=None, description="本阶次即从轻/一般/从重/减轻 栏")
    bands: list[Band] | None = Field(default=None, description="按情节方向分栏公布的金额")
    fine: FineSpec | None = None
    measures: list[MeasureRef] = Field(default_factory=list)
    basis: list[Citation] = Field(default_factory=list)

    _measures = field_validator("measures", mode="before")(_measure_refs)
    _basis = field_validator("basis", mode="before")(_one_or_many)

    @field_validator("fine")
    @classmethod
    def _no_base(cls, v: FineSpec | None) -> FineSpec | None:
        if v is not None and (v.multiple_of is not None or v.fallback is not None):
            raise ValueError("a tier's `times` uses the statutory base; give no multiple_of/fallback")
        return v

    @model_validator(mode="after")
    def _bands(self) -> Tier:
        if self.bands is not None:
            ds = [b.direction for b in self.bands]
            if len(set(ds)) != len(ds):
                raise ValueError(f"bands: a direction repeats: {[str(d) for d in ds]}")
            if self.direction is not None:
                raise ValueError("a tier is either one band (`direction`) or has `bands`, not both")
        return self


class WeightFactor(Strict):
    """One factor of a weighted sum (权重累加): its weight counts when its condition holds."""

    id: Code
    label: str
    when: str
    weight: Annotated[Decimal, Field(ge=-1, le=1)]
    group: Code | None = Field(default=None, description="互斥组：同一维度（如持续时间）的因素恰有一个成立")
    basis: list[Citation] = Field(default_factory=list)

    _basis = field_validator("basis", mode="before")(_one_or_many)


class Weighted(Strict):
    """权重累加模式: fine = min(start + Σ weights, cap) × the statutory maximum."""

    start: Annotated[Decimal, Field(ge=0, le=1)] = Decimal(0)
    cap: Annotated[Decimal, Field(gt=0, le=1)] = Decimal(1)
    factors: list[WeightFactor] = Field(min_length=1)
    basis: list[Citation] = Field(default_factory=list)

    _basis = field_validator("basis", mode="before")(_one_or_many)


class Displacement(Strict):
    """法律、行政法规另有规定的，从其规定: a general list entry that does not apply to an item,
    because the item's own law provides otherwise (`basis`)."""

    entry: Code
    basis: list[Citation] = Field(min_length=1)

    _basis = field_validator("basis", mode="before")(_one_or_many)


class Item(Strict):
    """One entry of the catalogue (分类检查目录): a violation with its basis, range and tiers."""

    code: Code
    name: str = Field(min_length=1)
    legal_basis: list[Citation] = Field(min_length=1, description="违反的条款")
    penalty_basis: list[Citation] = Field(min_length=1, description="处罚依据")
    facts: dict[FactName, FactSpec] = Field(default_factory=dict, description="本事项特有的事实")
    limitation_years: int | None = Field(default=None, ge=1, le=20, description="法律另有规定的追责期限")
    touches_safety: bool = Field(default=False, description="涉及公民生命健康安全、金融安全（第三十六条五年）")
    statutory: list[StatutoryClause] = Field(min_length=1)
    shape: ShapeKind | None = Field(default=None, description="缺省用 placement.shape")
    tiers: list[Tier] = Field(default_factory=list)
    weighted: Weighted | None = None
    formerly: list[Code] = Field(default_factory=list, description="旧版本中的编码")
    displaces: list[Displacement] | None = Field(default=None, description="本事项的特别规定排除适用的一般清单条目")
    note: str | None = None

    _statutory = field_validator("statutory", mode="before")(_one_or_many)

    @model_validator(mode="after")
    def _unique_ids(self) -> Item:
        for what, ids in (
            ("statutory", [c.id for c in self.statutory]),
            ("tiers", [t.id for t in self.tiers]),
            ("weighted.factors", [f.id for f in self.weighted.factors] if self.weighted else []),
        ):
            dup = _repeated(ids)
            if dup:
                raise ValueError(f"{what}: ids repeat: {sorted(dup)}")
        return self


class CountBound(Strict):
    """How many entries of one list must hold: 不少于 `at_least`, 不多于 `at_most` (两个以上 = at_least 2,
    不具有 = at_most 0)."""

    at_least: Annotated[int, Field(ge=0, le=99)] | None = None
    at_most: Annotated[int, Field(ge=0, le=99)] | None = None

    @model_validator(mode="after")
    def _check(self) -> CountBound:
        if self.at_least is None and self.at_most is None:
            raise ValueError("a count needs at_least or at_most")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least {self.at_least} is above at_most {self.at_most}")
        return self


#: the lists whose entries a count may count, and on which a counting entry may stand (it moves a fine)
CountedList = Literal["lenient", "mitigated", "aggravated"]


class ListEntry(Strict):
    """One entry of the five lists (五清单). `mandatory` is 应当 (true) versus 可以 (false)."""

    id: Code
    list: ListKind  # the field shadows the builtin in this class body: below, builtins.list
    label: str = Field(min_length=1)
    mandatory: bool
    applies_to: builtins.list[str] = Field(min_length=1, description="事项编码或通配符，* 为全部")
    when: str
    basis: builtins.list[Citation] = Field(min_length=1)
    measures: builtins.list[MeasureRef] = Field(
        default_factory=builtins.list, description="不予/免予处罚时仍须采取的措施"
    )
    allows_mitigated: bool = Field(default=False, description="应当（可以）从轻或者减轻：减轻作为选项")
    tier_up: bool = Field(default=False, description="从重：上调一个阶次（不超过法定最高）")
    weight: Annotated[Decimal, Field(ge=-1, le=1)] | None = Field(default=None, description="权重累加模式中的权重")
    displaces: builtins.list[Code] | None = Field(
        default=None, description="本条特别规定排除适用的一般清单条目（从其规定）"
    )
    reduce: tuple[Share, Share] | None = Field(
        default=None, description="按比例减少本应适用的罚款，如 [0.3, 0.5]：减少30%至50%"
    )
    reduce_not_below: Literal["statutory_minimum", "floor"] | None = Field(
        default=None, description="按比例减少后不低于法定最低（缺省）或 mitigated_floor"
    )
    reduce_at_most: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)] | None = Field(
        default=None, description="按比例减少的额度最多不超过的金额（元），如东莞“降低的额度最多不超过20万元”"
    )
    fine: FineSpec | None = Field(default=None, description="可以并处的罚款（fine.may: true）")
    when_count: dict[CountedList, CountBound] | None = Field(
        default=None,
        description="按情形个数：同时成立的其他清单条目（按清单）的个数，"
        "如 {lenient: {at_least: 2}, aggravated: {at_most: 0}}",
    )
    source: str | None = None

    _measures = field_validator("measures", mode="before")(_measure_refs)
    _basis = field_validator("basis", mode="before")(_one_or_many)

    @model_validator(mode="after")
    def _check(self) -> ListEntry:
        if self.allows_mitigated and self.list is not ListKind.LENIENT:
            raise ValueError("allows_mitigated belongs to lenient entries")
        if self.tier_up and self.list is not ListKind.AGGRAVATED:
            raise ValueError("tier_up belongs to aggravated entries")
        if self.measures and self.list not in DECIDING_LISTS and not all(m.may for m in self.measures):
            raise ValueError("measures on a list entry belong to no_penalty/exemption entries (or are `may`)")
        if self.reduce is not None:
            if self.list not in (ListKind.LENIENT, ListKind.MITIGATED):
                raise ValueError("reduce belongs to lenient or mitigated entries")
            if self.reduce[0] > self.reduce[1]:
                raise ValueError(f"reduce: {self.reduce[0]} is above {self.reduce[1]}")
        elif self.reduce_not_below is not None:
            raise ValueError("reduce_not_below needs reduce")
        elif self.reduce_at_most is not None:
            raise ValueError("reduce_at_most needs reduce")
        if self.fine is not None and not self.fine.may:
            raise ValueError("a list entry's fine is one the officer may impose (可以并处): set `may: true`")
        if self.when_count is not None:
            if not self.when_count:
                raise ValueError("when_count: name at least one list (lenient, mitigated, aggravated)")
            if self.list not in (ListKind.LENIENT, ListKind.MITIGATED, ListKind.AGGRAVATED):
                raise ValueError("when_count belongs to lenient, mitigated or aggravated entries")
            if self.tier_up or self.weight is not None:
                # verify's decomposition reads tier_up and weights cell by cell, not the count of other entries
                raise ValueError("an entry with when_count takes no tier_up or weight")
        return self


class Placement(Strict):
    """Where a fine lands in its range, and how circumstances combine.

    Fractions are shares of the applicable range (the tier's, or the statutory one for the
    `range` shape): lenient [0, 0.3] is the lower 30%. `mitigated_floor` is the lowest fine
    减轻 may reach. `conflict` decides lenient-and-aggravated together: `offset` weighs them
    by count, `officer` leaves the choice to the officer as options.
    """

    shape: ShapeKind = ShapeKind.TIERS
    boundaries: Literal["inclusive", "lower_inclusive"] = Field(
        default="inclusive", description="阶次金额边界：以上、以下均含本数（inclusive）"
    )
    lenient: tuple[Share, Share] = (Decimal(0), Decimal("0.3"))
    general: tuple[Share, Share] = (Decimal("0.3"), Decimal("0.7"))
    aggravated: tuple[Share, Share] = (Decimal("0.7"), Decimal(1))
    mitigated: tuple[Share, Share] = (Decimal(0), Decimal(1))
    mitigated_floor: Amount = Decimal(0)
    conflict: Literal["offset", "officer"] = "offset"
    tier_overlap: Literal["defect", "heavier"] = Field(default="defect", description="多个阶次同时符合：报缺陷或取重")
    rounding: Amount = Decimal(100)
    basis: list[Citation] = Field(default_factory=list, description="这些规则出自的文件")

    _basis = field_validator("basis", mode="before")(_one_or_many)

    @model_validator(mode="after")
    def _ordered(self) -> Placement:
        for k in Direction:
            lo, hi = getattr(self, k)
            if lo > hi:
                raise ValueError(f"{k}: {lo} is above {hi}")
        if self.lenient[0] > self.aggravated[0] or self.lenient[1] > self.aggravated[1]:
            raise ValueError("lenient must lie below aggravated")
        return self


class ExtendedLimitation(Strict):
    """The longer period (五年) and the condition (harm occurred) under which it applies."""

    years: int = Field(ge=1, le=20)
    when: str


class Limitation(Strict):
    """追责期限 (第三十六条): default years, and the extension for safety-related items."""

    years: int = Field(default=2, ge=1, le=20)
    extended: ExtendedLimitation | None = None
    basis: list[Citation] = Field(min_length=1)

    _basis = field_validator("basis", mode="before")(_one_or_many)


class Ruleset(Strict):
    """One published version of a department's benchmark (or of the shared general provisions)."""

    department: Code
    department_name: str = Field(min_length=1)
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=32)]
    effective_from: dt.date
    effective_to: dt.date | None = Field(default=None, description="失效日期（不含）；缺省由下一版本终止")
    source: list[str] = Field(min_length=1, description="所编码的公开文件：名称与文号")
    extends: list[str] = Field(default_factory=list, description="如 general/2021")
    refines: str | None = Field(default=None, description="所细化的上级基准")
    change: Literal["law", "benchmark"] | None = Field(
        default=None,
        description="本版本相对上一版本的变化：法律、法规、规章（law，第三十七条）或仅裁量基准（benchmark）",
    )
    transition: Literal["decision_date", "act_date", "lighter"] | None = Field(
        default=None, description="仅基准变化时本文件的过渡规则：决定时适用新基准 / 行为时的基准 / 参照从旧兼从轻"
    )
    transition_basis: Citation | None = Field(default=None, description="过渡规则所在条款")
    placement: Placement | None = None
    limitation: Limitation | None = None
    measures: dict[Code, str] = Field(default_factory=dict, description="措施编码与中文名称")
    penalty_measures: dict[Code, PenaltyKind] = Field(
        default_factory=dict,
        description="属于行政处罚种类（第九条）的措施编码及其种类；其余措施（如责令改正）不是行政处罚",
    )
    facts: dict[FactName, FactSpec] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    lists: list[ListEntry] = Field(default_factory=list)
    note: str | None = None

    _source = field_validator("source", mode="before")(lambda v: [v] if isinstance(v, str) else v)

    @model_validator(mode="after")
    def _check(self) -> Ruleset:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.change == "benchmark" and self.transition is None:
            raise ValueError("a benchmark-only change needs its `transition` rule (decision_date | act_date | lighter)")
        if self.transition is not None and self.change != "benchmark":
            raise ValueError("`transition` belongs to a benchmark-only change (change: benchmark)")
        codes = [i.code for i in self.items]
        dup = _repeated(codes)
        if dup:
            raise ValueError(f"items: codes repeat: {sorted(dup)}")
        unknown = [m for m in self.penalty_measures if m not in self.measures]
        if unknown and not self.extends:
            raise ValueError(f"penalty_measures: not declared in measures: {unknown}")
        ids = [e.id for e in self.lists]
        dup = _repeated(ids)
        if dup:
            raise ValueError(f"lists: ids repeat: {sorted(dup)}")
        return self

    @property
    def ref(self) -> str:
        """The name other rulesets use to extend this one: department/version."""
        return f"{self.department}/{self.version}"

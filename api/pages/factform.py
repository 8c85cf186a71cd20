"""The officer's form for one item: its facts in the order a benchmark document asks them, and
the typed values checked in Chinese (each error names the field's label; the field is highlighted).

Groups: the item's own facts first (what the fine's clause, tiers and amounts read, and every
required fact), then the circumstances by what they lead to (不予处罚, 免予处罚, 从轻,
减轻, 从重), each with the entries it feeds as its help. Facts no rule of the item reads and
that are not required are not asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from collections.abc import Mapping

from discretion.compiler import CompiledItem
from discretion.ruleset import FactSpec

LISTS = (
    ("no_penalty", "不予处罚的情形"),
    ("exemption", "免予处罚的情形"),
    ("lenient", "从轻处罚的情形"),
    ("mitigated", "减轻处罚的情形"),
    ("aggravated", "从重处罚的情形"),
)
VERBS = {
    "no_penalty": "不予处罚",
    "exemption": "免予处罚",
    "lenient": "从轻处罚",
    "mitigated": "减轻处罚",
    "aggravated": "从重处罚",
}
DATES = (
    ("act_date", "违法行为发生日", True, "违法行为发生之日；据此确定适用的裁量基准版本"),
    (
        "act_end_date",
        "违法行为终了日",
        False,
        "违法行为有连续或者继续状态的，填终了之日（追责期限自此起算）",
    ),
    (
        "discovery_date",
        "发现（立案）日",
        False,
        "行政机关发现违法行为之日；不填则按决定日计算追责期限",
    ),
    ("decision_date", "处罚决定日", False, "不填为今天"),
)
DATE_LABELS = {name: label for name, label, _, _ in DATES}
MAX_TEXT = 40


@dataclass
class Fact:
    name: str
    spec: FactSpec
    help: str = ""


@dataclass
class Group:
    title: str
    facts: list[Fact] = field(default_factory=list)


def _conditions(ci: CompiledItem) -> dict[str, Any]:
    """The item's conditions by their printed key (`list:ID`, `statutory:ID` …)."""
    return {str(k): v for k, v in ci.conditions.items()}


def groups(ci: CompiledItem) -> list[Group]:
    """The form's sections for this item, in the order described above."""
    asked = {n: s for n, s in ci.schema.items() if s.derived is None}
    readers: dict[str, list[str]] = {}
    own: list[str] = list(ci.item.facts)
    for clause in ci.item.statutory:
        if clause.fine is not None and clause.fine.multiple_of:
            own.append(clause.fine.multiple_of)
    for key, cond in _conditions(ci).items():
        if not key.startswith(("list:", "limitation")):
            own.extend(cond.facts)
    for e in ci.entries:
        cond = _conditions(ci).get(f"list:{e.id}")
        for name in cond.facts if cond else ():
            spec = ci.schema.get(name)
            lead = f"{'应当' if e.mandatory else '可以'}{VERBS[e.list]}"
            # an entry named after the fact needs no repeating: "主动消除…后果" → 应当从轻处罚
            said = lead if spec is not None and e.label.split("（")[0] == spec.label else f"{e.label}（{lead}）"
            readers.setdefault(name, []).append(said)
    placed: set[str] = set()
    out: list[Group] = []

    def add(group: Group, name: str) -> None:
        if name in asked and name not in placed:
            placed.add(name)
            group.facts.append(Fact(name, asked[name], "；".join(readers.get(name, [])[:3])))

    first = Group("本事项的事实")
    for name in own:
        # a derived base (违法所得 = …) is asked through the facts it is derived from
        spec = ci.schema.get(name)
        if spec is not None and spec.derived is not None:
            for other in asked:
                if other in spec.derived:
                    add(first, other)
        add(first, name)
    for name, spec in asked.items():  # what every case must state (危害后果) is the case's own
        if spec.is_required:
            add(first, name)
    out.append(first)
    for kind, title in LISTS:
        g = Group(title)
        for e in ci.entries:
            if e.list == kind:
                cond = _conditions(ci).get(f"list:{e.id}")
                for name in cond.facts if cond else ():
                    add(g, name)
        out.append(g)
    rest = Group("其他")
    for name, spec in asked.items():
        if spec.is_required or name in readers:
            add(rest, name)
    out.append(rest)
    return [g for g in out if g.facts]


def _number(raw: str, spec: FactSpec, label: str) -> tuple[Any, str | None]:
    text = raw.replace(",", "").replace("，", "").replace("元", "").strip()
    if len(text) > MAX_TEXT:
        return None, f"「{label}」太长，请核对"
    value: Decimal | int
    try:
        value = Decimal(text)
    except InvalidOperation:
        kind = {"money": "金额（元），如 8000 或 8000.50", "integer": "整数", "number": "数字"}[spec.type]
        return None, f"「{label}」须填{kind}"
    if not value.is_finite():
        return None, f"「{label}」须填有限的数字"
    if spec.type == "money":
        if value < 0:
            return None, f"「{label}」不能为负数"
        if value != value.quantize(Decimal("0.01")):
            return None, f"「{label}」最多两位小数（到分）"
    if spec.type == "integer":
        if value != value.to_integral_value():
            return None, f"「{label}」须填整数"
        value = int(value)
    if spec.minimum is not None and value < spec.minimum:
        return None, f"「{label}」不能小于 {spec.minimum}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"「{label}」不能大于 {spec.maximum}"
    return (str(value) if spec.type != "integer" else value), None


def read_facts(form: Mapping[str, str], fields: list[Fact]) -> tuple[dict[str, Any], dict[str, str]]:
    """The facts from the form (`f.NAME`), and errors by field name in Chinese."""
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = str(form.get(f"f.{f.name}", "")).strip()
        label = f.spec.label
        if f.spec.type == "bool":
            facts[f.name] = raw == "on"
            continue
        if raw == "":
            if f.spec.is_required:
                errors[f.name] = f"请填写「{label}」" if f.spec.type != "enum" else f"请选择「{label}」"
            continue
        if f.spec.type == "enum":
            if raw not in (f.spec.values or []):
                errors[f.name] = f"「{label}」的取值不在可选范围内，请重新选择"
            else:
                facts[f.name] = raw
            continue
        value, err = _number(raw, f.spec, label)
        if err:
            errors[f.name] = err
        else:
            facts[f.name] = value
    return facts, errors


def read_dates(form: Mapping[str, str]) -> tuple[dict[str, dt.date | None], dict[str, str]]:
    """The four dates, checked for form and order (as the evaluator requires), in Chinese."""
    out: dict[str, dt.date | None] = {}
    errors: dict[str, str] = {}
    for name, label, required, _ in DATES:
        raw = str(form.get(name, "")).strip()[:MAX_TEXT]
        if not raw:
            if required:
                errors[name] = f"请填写「{label}」"
            out[name] = None
            continue
        try:
            out[name] = dt.date.fromisoformat(raw)
        except ValueError:
            errors[name] = f"「{label}」不是有效日期，请按 年-月-日 填写"
            out[name] = None
    act, end, found = out["act_date"], out["act_end_date"], out["discovery_date"]
    decision = out["decision_date"] or dt.date.today()
    if act and act > decision:
        errors.setdefault("act_date", "「违法行为发生日」不能晚于处罚决定日")
    if act and end and not act <= end <= decision:
        errors.setdefault("act_end_date", "「违法行为终了日」须在发生日与处罚决定日之间")
    if act and found and not act <= found <= decision:
        errors.setdefault("discovery_date", "「发现（立案）日」须在发生日与处罚决定日之间")
    return out, errors

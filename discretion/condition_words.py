"""Conditions and fact values in words an officer reads: "初次违法、危害后果轻微并及时改正".

A condition is parsed against the item's fact schema (the same parser the evaluator uses) and its
normal form is said with the facts' Chinese labels and value labels; it is never shown as code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from collections.abc import Mapping

from .conditions import Always, AnyOf, Cmp, Given, Negation, Node, parse_condition
from .errors import DiscretionError
from .money import normalise
from .ruleset import FactSpec
from .wording import ABSENT

_NUM_OPS = {"<": "低于", "<=": "不超过", ">": "超过", ">=": "达到", "==": "为", "!=": "不为"}


def amount(v: Decimal | int | str) -> str:
    """A yuan amount with thousands separators: 1,000,000元."""
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    return f"{normalise(d):,}元"


def value_words(spec: FactSpec | None, value: Any) -> str:
    """A fact's value as the form showed it: 是/否, the enum's label, 8,000元."""
    if spec is None:
        return str(value)
    if value is None:
        return "未填"
    if spec.type == "bool":
        return "是" if value in (True, "true", "True") else "否"
    if spec.type == "enum":
        return (spec.value_labels or {}).get(str(value), str(value))
    if spec.type == "money":
        try:
            return amount(value)
        except ArithmeticError:
            return str(value)
    return str(value)


def _cmp(c: Cmp, schema: Mapping[str, FactSpec]) -> str:
    spec = schema.get(c.fact)
    label = spec.label if spec else c.fact
    if spec is not None and spec.type == "bool":
        positive = (c.op == "==") == bool(c.value)
        return label if positive else f"非{label}"
    if spec is not None and spec.type == "enum":
        said = value_words(spec, c.value)
        if _says_itself(spec, said):
            return said if c.op == "==" else f"并非{said}"
        return f"{label}{_NUM_OPS[c.op]}{said}"
    return f"{label}{_bound(c, spec)}"


def _bound(c: Cmp, spec: FactSpec | None) -> str:
    shown = amount(c.value) if spec is not None and spec.type == "money" else str(c.value)
    return f"{_NUM_OPS[c.op]}{shown}"


def _says_itself(spec: FactSpec, value_label: str) -> bool:
    """A value label that names its fact ("危害后果严重" of 危害后果) reads alone."""
    core = spec.label.split("（")[0]
    return bool(core) and (core in value_label or value_label.startswith(("没有", "未", "无")))


def _one_of(parts: tuple[Node, ...], schema: Mapping[str, FactSpec]) -> str | None:
    """`harm in ['none', 'minor']` reads 危害后果为没有或轻微."""
    if all(isinstance(p, Cmp) and p.op == "==" for p in parts):
        facts = {p.fact for p in parts}  # type: ignore[union-attr]  # all Cmp (checked above)
        if len(facts) == 1:
            fact = next(iter(facts))
            spec = schema.get(fact)
            if spec is not None and spec.type == "enum":
                said = [value_words(spec, p.value) for p in parts]  # type: ignore[union-attr]  # all Cmp (checked above)
                if all(_says_itself(spec, v) for v in said):
                    return "或者".join(said)
                return f"{spec.label}为{'或'.join(said)}"
    return None


def _words(node: Node, schema: Mapping[str, FactSpec], nested: bool = False) -> str:
    if isinstance(node, Cmp):
        return _cmp(node, schema)
    if isinstance(node, Always):
        return "任何情形" if node.value else "不可能的情形"
    if isinstance(node, Given):  # given(fact): whether the fact was supplied (违法所得无法确定 is its absence)
        spec = schema.get(node.fact)
        return f"{spec.label if spec else node.fact}{'已提供' if node.present else ABSENT}"
    if isinstance(node, Negation):
        return f"并非（{_words(node.part, schema, True)}）"
    if isinstance(node, AnyOf):
        same = _one_of(node.parts, schema)
        if same is not None:
            return same
        text = "，或者".join(_words(p, schema, True) for p in node.parts)
        return f"（{text}）" if nested else text
    parts: list[str] = []
    previous: str | None = None
    for p in node.parts:  # 年龄达到14、低于18: a second bound on the same number says its label once
        spec = schema.get(p.fact) if isinstance(p, Cmp) else None
        if isinstance(p, Cmp) and spec is not None and spec.type not in ("bool", "enum") and p.fact == previous:
            parts[-1] += f"且{_bound(p, spec)}"
            continue
        previous = p.fact if isinstance(p, Cmp) else None
        parts.append(_words(p, schema, True))
    text = parts[0] if len(parts) == 1 else "、".join(parts[:-1]) + "并" + parts[-1]
    return f"（{text}）" if nested and len(parts) > 1 else text


def condition_words(text: str | None, schema: Mapping[str, FactSpec]) -> str:
    """The condition in words; a condition the schema cannot read is said as "（条件无法显示）"."""
    if not text or not text.strip():
        return "任何情形"
    try:
        cond = parse_condition(text, schema)
    except DiscretionError:
        return "（条件无法显示）"
    return _words(cond.node, schema)


def facts_words(facts: Mapping[str, Any], schema: Mapping[str, FactSpec]) -> list[tuple[str, str]]:
    """(label, value in words) for the facts a step read, in the schema's order."""
    order = {n: i for i, n in enumerate(schema)}
    out = []
    for name in sorted(facts, key=lambda n: order.get(n, len(order))):
        spec = schema.get(name)
        out.append((spec.label if spec else "其他事实", value_words(spec, facts[name])))
    return out

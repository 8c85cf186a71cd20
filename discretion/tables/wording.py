"""The wording an export gives conditions, read back exactly: 【label】phrase, ，且 / ；或者 / 并非 / （）,
【label】已查明 (given), 任何情形 / 无任何情形 (True / False).

A department's own table names its facts in words; an exported one writes each fact's label in
【】 (its 事实 table names the fact), so a condition of any shape in the ruleset language comes
back as the same syntax tree: `write_condition` and `parse_exported` are inverses.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from typing import Any

from .marks import Unreadable
from .quantities import write_number
from .thresholds import _UNITS, Vocabulary, _bound


def parse_exported(src: str, vocab: Vocabulary) -> tuple[str, set[str]]:
    """An exported condition cell → (expression, facts it reads)."""
    parser = _Exported(src, vocab)
    return parser.parse(), parser.facts


class _Exported:
    """Recursive descent over the exported wording: X，且Y / X；或者Y / 并非X / （X） / 【label】phrase."""

    def __init__(self, src: str, vocab: Vocabulary) -> None:
        self.facts: set[str]
        self.src, self.pos, self.vocab, self.facts = src, 0, vocab, set()

    def parse(self) -> str:
        expr = self._or()
        if self.pos != len(self.src):
            raise Unreadable(f"“{self.src[self.pos : self.pos + 20]}”不能识别")
        return expr

    def _eat(self, token: str) -> bool:
        if self.src.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _or(self) -> str:
        parts = [self._and()]
        while self._eat("；或者"):
            parts.append(self._and())
        return " or ".join(parts)

    def _and(self) -> str:
        parts = [self._unary()]
        while self._eat("，且"):
            parts.append(self._unary())
        return " and ".join(parts)

    def _unary(self) -> str:
        for words, constant in ALWAYS.items():
            if self._eat(words):
                return constant
        if self._eat("并非"):
            return f"not {self._unary()}"
        if self._eat("（"):
            inner = self._or()
            if not self._eat("）"):
                raise Unreadable("括号不配对")
            return f"({inner})"
        return self._atom()

    def _atom(self) -> str:
        m = re.compile(r"【([^】]+)】").match(self.src, self.pos)
        if not m:
            raise Unreadable(f"“{self.src[self.pos : self.pos + 20]}”不是【事实】")
        fact = self.vocab.by_label(m.group(1))
        self.facts.add(fact)
        self.pos = m.end()
        end = self._phrase_end()
        phrase = self.src[self.pos : end]
        self.pos = end
        spec = self.vocab.facts[fact]
        if phrase == GIVEN:
            return f"given({fact})"
        if not phrase:
            if spec["type"] != "bool":
                raise Unreadable(f"【{m.group(1)}】后缺少比较")
            return fact
        e = re.fullmatch(r"(不)?(为|属于)((?:“[^”]*”)+)", phrase)
        if e and spec["type"] == "bool":
            yes_no = {"是": True, "否": False}
            value = yes_no.get(e.group(3)[1:-1])
            if e.group(2) != "为" or value is None:
                raise Unreadable(f"【{m.group(1)}】是“是”或“否”，不是{e.group(3)}")
            return f"{fact} {'!=' if e.group(1) else '=='} {value}"
        if e:
            values = [self.vocab.value(fact, v) for v in re.findall(r"“([^”]*)”", e.group(3))]
            if e.group(2) == "为" and len(values) == 1:
                return f"{fact} {'!=' if e.group(1) else '=='} {values[0]!r}"
            return f"{fact} {'not in' if e.group(1) else 'in'} {values!r}"
        units = ("元",) if spec["type"] == "money" else tuple(_UNITS.split("|"))
        return _bound(fact, phrase, units, phrase, self.vocab).expr

    def _phrase_end(self) -> int:
        i, quoted, depth = self.pos, False, 0
        while i < len(self.src):
            ch = self.src[i]
            if ch == "“":
                quoted = True
            elif ch == "”":
                quoted = False
            elif not quoted and ch == "（":
                depth += 1
            elif not quoted and ch == "）" and depth:
                depth -= 1
            elif not quoted and (self.src.startswith("，且", i) or self.src.startswith("；或者", i) or ch == "）"):
                break
            i += 1
        return i


# ---------------------------------------------------------------- writing

#: `given(fact)`: the fact was supplied (违法所得已查明), as against absent (无法确定)
GIVEN = "已查明"
#: the constant conditions True / False
ALWAYS = {"任何情形": "True", "无任何情形": "False"}


def write_condition(when: str | None, facts: dict[str, Any]) -> str:
    """A condition in the exported wording (inverse of parse_condition_text); '' for none."""
    if when is None or not when.strip():
        return ""
    return _write(ast.parse(when.strip(), mode="eval").body, facts)


def _label(facts: dict[str, Any], name: str) -> str:
    spec = facts[name]
    return str(spec["label"] if isinstance(spec, dict) else spec.label)


def _spec(facts: dict[str, Any], name: str) -> dict[str, Any]:
    spec = facts[name]
    return spec if isinstance(spec, dict) else spec.model_dump(exclude_none=True)


def _write(node: ast.AST, facts: dict[str, Any]) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = "，且" if isinstance(node.op, ast.And) else "；或者"
        return joiner.join(_wrapped(v, facts) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return "并非" + _wrapped(node.operand, facts, always=True)
    if isinstance(node, ast.Name):
        return f"【{_label(facts, node.id)}】"
    if isinstance(node, ast.Compare):
        return _write_compare(node, facts)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return next(w for w, c in ALWAYS.items() if c == str(node.value))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "given"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
        and not node.keywords
    ):
        return f"【{_label(facts, node.args[0].id)}】{GIVEN}"
    raise Unreadable(f"条件 {ast.unparse(node)} 不能写成表格文字")


def _wrapped(node: ast.AST, facts: dict[str, Any], always: bool = False) -> str:
    text = _write(node, facts)
    if isinstance(node, ast.BoolOp) or (always and isinstance(node, ast.UnaryOp)):
        return f"（{text}）"
    return text


_WORDS = {"<": "不满{}", "<=": "{}以下（含本数）", ">": "超过{}", ">=": "{}以上（含本数）"}


def _write_compare(node: ast.Compare, facts: dict[str, Any]) -> str:
    operands = [node.left, *node.comparators]
    names = [o.id for o in operands if isinstance(o, ast.Name)]
    if len(names) != 1:
        raise Unreadable(f"条件 {ast.unparse(node)} 不能写成表格文字")
    fact = names[0]
    spec = _spec(facts, fact)
    head = f"【{spec['label']}】"
    if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
        value = node.comparators[0] if isinstance(node.left, ast.Name) else node.left
        neg = isinstance(node.ops[0], (ast.NotEq, ast.NotIn))
        if spec["type"] == "bool" and isinstance(ast.literal_eval(value), bool):
            return head + ("不为" if neg else "为") + ("“是”" if ast.literal_eval(value) else "“否”")
        if spec["type"] == "enum":
            raw = ast.literal_eval(value)
            values = raw if isinstance(raw, list) else [raw]
            labels = spec.get("value_labels") or {}
            shown = [labels.get(v, v) if list(labels.values()).count(labels.get(v, v)) == 1 else v for v in values]
            verb = ("不" if neg else "") + ("属于" if isinstance(raw, list) else "为")
            return head + verb + "".join(f"“{s}”" for s in shown)
        if isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            return head + ("不等于" if neg else "等于") + _amount(ast.literal_eval(value), spec)
        raise Unreadable(f"条件 {ast.unparse(node)} 不能写成表格文字")
    parts: list[tuple[str, object]] = []
    for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
        sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}[type(op)]
        if isinstance(left, ast.Name):
            parts.append((sym, ast.literal_eval(right)))
        else:
            parts.append(({"<": ">", "<=": ">=", ">": "<", ">=": "<="}[sym], ast.literal_eval(left)))
    if len(parts) == 2 and parts[0][0] in (">", ">=") and parts[1][0] in ("<", "<="):
        lo, hi = parts
        return head + _WORDS[lo[0]].format(_amount(lo[1], spec)) + _WORDS[hi[0]].format(_amount(hi[1], spec))
    if len(parts) != 1:
        raise Unreadable(f"条件 {ast.unparse(node)} 不能写成表格文字")
    return head + _WORDS[parts[0][0]].format(_amount(parts[0][1], spec))


def _amount(value: object, spec: dict[str, Any]) -> str:
    text = write_number(Decimal(str(value)))
    return text + ("元" if spec["type"] == "money" else "")

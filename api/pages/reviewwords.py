"""Ruleset errors and verify findings said in Chinese for the reviewer's pages, with their line.

The library's messages name keys of the ruleset language; the common ones are translated here,
the rest get a Chinese lead with the original kept in a 技术细节 box for whoever writes the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from discretion.audit.verify import Problem
from discretion.errors import DiscretionError, RulesetLoadError

_LINE = re.compile(r"line (\d+)")
_REASONS = [
    (re.compile(r"unknown key"), "不认识的键（拼写错误，或此处不允许这个键）"),
    (re.compile(r"Field required"), "缺少必填的键"),
    (re.compile(r"malformed YAML"), "YAML 格式错误（缩进、冒号或引号有误）"),
    (re.compile(r"is not a declared fact"), "条件中使用了未声明的事实"),
    (re.compile(r"syntax error"), "条件的写法有误"),
    (re.compile(r"valid date"), "须为日期（年-月-日）"),
    (re.compile(r"valid (number|integer|decimal)"), "须为数字"),
    (re.compile(r"valid string"), "须为文字"),
    (re.compile(r"already exists"), "该版本号已存在，请改用新的版本号，或替换现有草稿"),
    (
        re.compile(r"the document is for department|is .*/.*, not "),
        "文件中的部门或版本号与上传位置不一致",
    ),
    (re.compile(r"not UTF-8"), "文件不是 UTF-8 编码的文本"),
    (
        re.compile(r"a ruleset is a mapping"),
        "文件不是裁量基准文档（应为键值结构：department、version、items …）",
    ),
    (
        re.compile(r"extends|cannot resolve|unknown ruleset"),
        "所继承（extends）的基准不存在或未发布",
    ),
    (re.compile(r"ids repeat"), "编号重复"),
]


@dataclass
class PositionedError:
    line: int | None
    where: str
    reason: str
    original: str


def upload_error(e: DiscretionError) -> PositionedError:
    path = e.path if isinstance(e, RulesetLoadError) else e.field
    where = path or ""
    m = _LINE.search(where) or _LINE.search(e.message)
    line = int(m.group(1)) if m else None
    where = re.sub(r"\s*\(?line \d+(, column \d+)?\)?", "", where).strip()
    reason = next((zh for rx, zh in _REASONS if rx.search(e.message)), "内容不符合裁量基准语言的要求")
    return PositionedError(line, where, reason, e.message)


_CHECKS = {
    "coverage": "阶次或条款覆盖有缺口或重叠",
    "tier_range": "阶次金额超出法定幅度",
    "citation": "缺少引用依据",
}


def problem_words(p: Problem) -> str:
    """A verify finding in Chinese."""
    msg = p.message
    if p.check == "coverage":
        if "got none" in msg:
            what = "阶次" if "tier" in msg else "法定条款"
            return f"这些事实下没有任何{what}适用（缺口）：同样的案件得不到建议"
        if re.search(r"got \d", msg):
            what = "阶次" if "tier" in msg else "法定条款"
            return f"这些事实下有多个{what}同时适用（重叠）：建议不唯一"
    if p.check == "tier_range":
        m = re.search(r"tier '([^']+)' \(([^)]*) yuan\).*range ([^ ]+) yuan", msg)
        if m:
            return (
                f"阶次「{m.group(1)}」的金额（{m.group(2)}元）超出所适用条款的法定幅度"
                f"（{m.group(3)}元），计算时会被截到法定幅度内"
            )
    if p.check == "citation":
        m = re.search(r"list entry '([^']+)'", msg)
        return f"清单条目 {m.group(1)} 没有引用依据" if m else "事项没有引用处罚依据"
    return _CHECKS.get(p.check, "发现问题")


CONTEXT = 5


def numbered(text: str, errors: list[PositionedError]) -> list[dict[str, Any]]:
    """The lines around each error, numbered, with the error placed under its line; the whole text
    stays in the form's text box."""
    by_line: dict[int, list[PositionedError]] = {}
    for err in errors:
        if err.line is not None:
            by_line.setdefault(err.line, []).append(err)
    lines = text.splitlines() or [""]
    near = {n for line in by_line for n in range(line - CONTEXT, line + CONTEXT + 1)}
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines, 1):
        if by_line and len(lines) > 2 * CONTEXT + 1 and i not in near:
            if out and out[-1]["n"] is not None:
                out.append({"n": None, "text": "…", "errors": []})  # lines far from any error
            continue
        out.append({"n": i, "text": line, "errors": by_line.get(i, [])})
    return out

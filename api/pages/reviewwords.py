"""Ruleset errors and verify findings said in Chinese for the reviewer's pages, with their line.

The library's messages are English. Here each is read back to what it is: a pydantic error by its
type (pydantic's own message templates, with their context values), the ruleset language's, the
compiler's, the loader's and the conditions' own messages by their sentence; each is said in Chinese
with the key path and line it came with. A message nobody has translated yet gets a Chinese sentence
saying so, never the English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from discretion.audit.verify import Problem
from discretion.errors import DiscretionError, RulesetLoadError

_LINE = re.compile(r"line (\d+)")


@dataclass
class PositionedError:
    """An upload error as the reviewer reads it: its line, the key path, a Chinese lead and a Chinese detail."""

    line: int | None
    where: str
    reason: str
    detail: str


def _template_rx(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    rx = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))
    return re.compile(f"^{rx}$", re.S)


def _pydantic_templates() -> list[tuple[str, re.Pattern[str]]]:
    """pydantic's own message templates, by error type: a message read back to its type and context."""
    from pydantic_core._pydantic_core import list_all_errors

    templates = [(e["type"], e["message_template_python"]) for e in list_all_errors()]
    templates.sort(key=lambda t: -len(re.sub(r"\{\w+\}", "", t[1])))  # the most specific (most fixed words) first
    return [(kind, _template_rx(t)) for kind, t in templates]


_PYDANTIC = _pydantic_templates()


def _choices(expected: str) -> str:
    return "、".join(x.strip() for x in re.split(r",\s*|\s+or\s+", expected) if x.strip())


#: pydantic error type → what it means, in Chinese (context values in braces)
_TYPES: dict[str, str] = {
    "missing": "缺少必填的键",
    "extra_forbidden": "不认识的键（拼写错误，或此处不允许这个键）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "finite_number": "须为有限的数",
    "too_short": "至少需要 {min_length} 项（现有 {actual_length} 项）",
    "too_long": "最多 {max_length} 项（现有 {actual_length} 项）",
    "string_type": "须为文字",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "写法不符合要求的格式（{pattern}）",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "dict_type": "须为键值结构（键: 值）",
    "model_type": "须为键值结构（键: 值）",
    "mapping_type": "须为键值结构（键: 值）",
    "list_type": "须为列表（[ … ] 或以 - 开头的各行）",
    "tuple_type": "须为列表（[ … ]）",
    "set_type": "须为列表（[ … ]）",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_parsing_size": "整数位数过多",
    "int_from_float": "须为整数（不能有小数）",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_parsing": "须为数字",
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "date_type": "须为日期（年-月-日）",
    "date_parsing": "须为日期（年-月-日）",
    "date_from_datetime_parsing": "须为日期（年-月-日）",
    "date_from_datetime_inexact": "须为日期（年-月-日），不带时间",
    "none_required": "此处不应填写内容",
    "union_tag_invalid": "类型 {tag} 不在允许的类型之中（{expected_tags}）",
    "union_tag_not_found": "缺少说明类型的键（{discriminator}）",
    "recursion_loop": "内容循环引用",
    "recursion_depth_exceeded": "嵌套层数过深",
}

_Q = r"'?(?P<{}>[^']*)'?"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.S)


#: the library's own messages (validators of the ruleset language, the compiler, the loader, the
#: store, conditions) → Chinese; groups are carried over
_OWN: list[tuple[re.Pattern[str], str]] = [
    (_rx(r"^unknown key$"), "不认识的键（拼写错误，或此处不允许这个键）"),
    (
        _rx(r"^malformed YAML: unresolved import marker: (?P<w>.*)"),
        "导入表格时未能确定的单元格（!unresolved 标记）尚未处理：{w}",
    ),
    (_rx(r"^malformed YAML: nested deeper than (?P<n>\d+) levels"), "YAML 嵌套超过 {n} 层"),
    (
        _rx(r"^malformed YAML: mapping values are not allowed here"),
        "此处不能出现「键: 值」：多半是缩进不对，或值里的冒号需要加引号",
    ),
    (_rx(r"^malformed YAML: could not find expected ':'"), "缺少冒号：每个键后面要有「: 」"),
    (_rx(r"^malformed YAML: found character '\\t'"), "含有制表符（Tab）：请只用空格缩进"),
    (_rx(r"^malformed YAML: found undefined alias"), "引用了未定义的别名（*名称）"),
    (_rx(r"^malformed YAML: found duplicate anchor"), "锚点（&名称）重复"),
    (_rx(r"^malformed YAML: expected <block end>"), "缩进不一致：同一层的键须对齐"),
    (_rx(r"^malformed YAML: found unexpected end of stream"), "文件意外结束：可能缺少右引号或右括号"),
    (_rx(r"^malformed YAML: found unexpected ':'"), "多余的冒号：值里的冒号需要加引号"),
    (_rx(r"^malformed YAML: expected ',' or '\]'"), "方括号列表 [ … ] 未正确闭合或缺少逗号"),
    (_rx(r"^malformed YAML: expected ',' or '\}'"), "花括号 { … } 未正确闭合或缺少逗号"),
    (
        _rx(r"^malformed YAML: (month must be|day is out of range|year \d+ is out of range)"),
        "日期不存在（月份为 1–12，日不超过当月天数）",
    ),
    (_rx(r"^malformed YAML: duplicate key (?P<k>.*)"), "键 {k} 重复出现"),
    (_rx(r"^malformed YAML: "), "YAML 格式错误（缩进、冒号、引号或括号有误）"),
    (_rx(r"^a ruleset is a mapping"), "文件不是裁量基准文档（应为键值结构：department、version、items …）"),
    (_rx(r"^cannot read"), "无法读取文件"),
    (_rx(r"contains a NUL character"), "含有不可见的空字符（NUL），请删除后再上传"),
    (_rx(r"^longer than (?P<n>\d+) characters"), "条件过长（超过 {n} 个字符）"),
    (_rx(r"^more than (?P<n>\d+) terms"), "条件过于复杂（超过 {n} 项）：请拆成清单条目或阶次"),
    (_rx(r"^nested deeper than (?P<n>\d+) levels"), "嵌套超过 {n} 层"),
    (
        _rx(r"^reads (?P<k>\d+) facts and given\(\) flags; at most (?P<n>\d+)"),
        "一个条件读取了 {k} 个事实（含 given() 标记），最多 {n} 个：请拆成清单条目或阶次",
    ),
    (
        _rx(r"^the document is for department '(?P<a>[^']*)', uploaded to '(?P<b>[^']*)'"),
        "文件中的部门是 {a}，却上传到了 {b}",
    ),
    (_rx(r"^the document is (?P<a>\S+), not (?P<b>\S+)"), "文件是 {a}，不是要替换的 {b}：部门和版本号须一致"),
    (
        _rx(r"^version '(?P<v>[^']*)' of '(?P<d>[^']*)' already exists"),
        "{d} 已有 {v} 版：请改用新的版本号，或替换现有草稿",
    ),
    (_rx(r"already takes effect on"), "同一天已有另一版本生效：请先撤回它，或改变施行日期"),
    (_rx(r"^extends itself through (?P<c>.*)"), "继承（extends）形成了循环：{c}"),
    (_rx(r"^extends unknown ruleset '(?P<r>[^']*)'"), "所继承（extends）的基准 {r} 不存在或未发布"),
    (_rx(r"extends|cannot resolve|unknown ruleset"), "所继承（extends）的基准不存在或未发布"),
    (_rx(r"^(?P<w>.*?):? ?ids repeat(?: ids of an extended ruleset)?: (?P<ids>.*)"), "编号重复：{ids}"),
    (_rx(r"^items: codes repeat: (?P<ids>.*)"), "事项编码重复：{ids}"),
    (
        _rx(r"^penalty_measures: not declared in measures: (?P<m>.*)"),
        "penalty_measures 中的措施未在 measures 中声明：{m}",
    ),
    (_rx(r"^measure '(?P<m>[^']*)' is not declared"), "措施 {m} 未在 measures 中声明"),
    (_rx(r"^effective_to must be after effective_from"), "失效日期（effective_to）须晚于施行日期（effective_from）"),
    (_rx(r"^(?P<k>\w+): lower bound (?P<lo>\S+) is above upper bound (?P<hi>\S+)"), "{k} 的下限 {lo} 高于上限 {hi}"),
    (_rx(r"^(?P<k>\w+): (?P<lo>\S+) is above (?P<hi>\S+)$"), "{k} 的下限 {lo} 高于上限 {hi}"),
    (_rx(r"^reduce: (?P<lo>\S+) is above (?P<hi>\S+)"), "reduce 的下限 {lo} 高于上限 {hi}"),
    (
        _rx(r"^a fine needs exactly one of range, times, share \(got (?P<g>.*)\)"),
        "罚款须且只能写 range、times、share 中的一种（现在写了：{g}）",
    ),
    (
        _rx(r"^a statutory fine is a range or a multiple"),
        "法定罚款只能是金额幅度（range）或倍数（times），不能是比例（share）",
    ),
    (_rx(r"^a statutory multiple needs `multiple_of`"), "按倍数计算的法定罚款须写 multiple_of（计算基数的事实）"),
    (_rx(r"^the base '(?P<b>[^']*)' must be a declared money fact"), "计算基数 {b} 须为已声明的金额事实"),
    (_rx(r"^fallback only belongs to a multiple"), "fallback 只能用于按倍数计算的罚款"),
    (
        _rx(r"^a tier's `times` uses the statutory base"),
        "阶次的 times 使用法定条款的计算基数，不能再写 multiple_of 或 fallback",
    ),
    (_rx(r"^a tier is either one band"), "阶次要么写一个方向（direction），要么写 bands，不能同时写"),
    (_rx(r"^bands: a direction repeats"), "bands 中的方向重复"),
    (_rx(r"^a band's fine is a range"), "band 的罚款须为金额幅度、法定基数的倍数或比例"),
    (_rx(r"^a list entry's fine is one the officer may impose"), "清单条目中的罚款是可以并处的：请写 may: true"),
    (_rx(r"^measures on a list entry belong to"), "清单条目中的措施只能用于不予处罚、免予处罚条目（或写 may: true）"),
    (_rx(r"^allows_mitigated belongs to lenient entries"), "allows_mitigated 只能用于从轻条目"),
    (_rx(r"^reduce belongs to lenient or mitigated entries"), "reduce 只能用于从轻或减轻条目"),
    (_rx(r"^reduce_not_below needs reduce"), "写了 reduce_not_below 就须写 reduce"),
    (_rx(r"^reduce_at_most needs reduce"), "写了 reduce_at_most（减少的额度上限）就须写 reduce"),
    (_rx(r"^tier_up belongs to aggravated entries"), "tier_up 只能用于从重条目"),
    (_rx(r"^a count needs at_least or at_most"), "情形计数（when_count）须写 at_least（不少于）或 at_most（不多于）"),
    (_rx(r"^at_least (?P<lo>\d+) is above at_most (?P<hi>\d+)"), "情形计数的 at_least {lo} 大于 at_most {hi}"),
    (_rx(r"^when_count: name at least one list"), "when_count 须至少写一个清单（lenient、mitigated、aggravated）"),
    (_rx(r"^when_count belongs to lenient"), "when_count 只能用于从轻、减轻、从重条目"),
    (_rx(r"^an entry with when_count takes no"), "写了 when_count 的条目不能再写 tier_up 或 weight"),
    (_rx(r"^lenient must lie below aggravated"), "从轻的幅度须低于从重的幅度"),
    (_rx(r"^`transition` belongs to a benchmark-only change"), "transition 只能用于仅基准变更（change: benchmark）"),
    (
        _rx(r"^a benchmark-only change needs its `transition`"),
        "仅基准变更（change: benchmark）须写 transition（decision_date、act_date 或 lighter）",
    ),
    (
        _rx(r"^displaces '(?P<e>[^']*)', which is not"),
        "displaces 所指的 {e} 不是本基准或所继承基准中的（其他）清单条目",
    ),
    (_rx(r"^an enum fact needs `values`"), "枚举事实（enum）须写 values"),
    (_rx(r"^enum `values` repeat"), "枚举事实的 values 有重复"),
    (_rx(r"^`values` only belongs to enum facts"), "values 只能用于枚举事实（enum）"),
    (_rx(r"^a derived fact takes no default"), "派生事实不能写 default"),
    (_rx(r"^only numeric facts can be derived"), "只有数值事实可以派生"),
    (_rx(r"^derived facts depend on each other in a cycle"), "派生事实相互依赖，形成循环"),
    (
        _rx(r"^(?:item )?fact '(?P<f>[^']*)' (?:redeclares|is declared differently)"),
        "事实 {f} 与所继承基准中的同名事实声明不一致",
    ),
    (_rx(r"^syntax error: (?P<m>.*)"), "条件的写法有误（括号、引号或运算符）"),
    (_rx(r"^'(?P<f>[^']*)' is not a declared fact"), "条件中使用了未声明的事实 {f}"),
    (_rx(r"^fact '(?P<f>[^']*)' is \w+, not bool"), "事实 {f} 不是是/否事实：请与一个值比较"),
    (_rx(r"^given\(\) takes one fact name"), "given() 只能写一个事实名，如 given(illegal_gain)"),
    (_rx(r"^given\((?P<f>\w+)\): .* has a default"), "{f} 有缺省值，永远不会“未填写”，不能用 given()"),
    (_rx(r"^given\("), "given() 只能用于没有缺省值、非必填的事实"),
    (_rx(r"^the left side of `in` must be a fact"), "in 的左边须为事实"),
    (_rx(r"^`in` needs a non-empty list of constants"), "in 的右边须为非空的常量列表"),
    (_rx(r"^`in` on bool fact '(?P<f>[^']*)'"), "是/否事实 {f} 不能用 in"),
    (_rx(r"^operator (?P<o>\w+) is not allowed"), "条件中不允许使用此运算符"),
    (_rx(r"^comparing two facts is not allowed"), "不能比较两个事实：请声明一个派生事实"),
    (_rx(r"^a comparison needs a fact on one side"), "比较的一边须为事实"),
    (
        _rx(r"^ordering comparison '(?P<o>[^']*)' on \w+ fact '(?P<f>[^']*)'"),
        "事实 {f} 只能用 == 或 != 比较，不能用 {o}",
    ),
    (_rx(r"is not allowed in a condition"), "条件中只能比较事实与常量，并用 and、or、not 连接"),
    (_rx(r"is not a constant"), "比较的另一边须为常量"),
    (_rx(r"^bool fact '(?P<f>[^']*)' compares with True or False"), "是/否事实 {f} 只能与 True 或 False 比较"),
    (_rx(r"^enum fact '(?P<f>[^']*)' compares with a string"), "枚举事实 {f} 须与带引号的取值比较"),
    (
        _rx(r"^'(?P<v>[^']*)' is not a value of '(?P<f>[^']*)' \(values: (?P<vs>.*)\)"),
        "{v} 不是事实 {f} 的取值（可取：{vs}）",
    ),
    (_rx(r"^\w+ fact '(?P<f>[^']*)' compares with a number"), "事实 {f} 须与数字比较"),
    (_rx(r"^integer fact '(?P<f>[^']*)' compared with a fraction (?P<n>\S+)"), "整数事实 {f} 不能与小数 {n} 比较"),
]

_GENERIC = "此处内容不符合裁量基准语言的要求"


def _pydantic_words(message: str) -> str | None:
    """A pydantic message, read back to its error type, in Chinese; None if it is not one of pydantic's."""
    if message.startswith("Value error, "):
        return _words(message.removeprefix("Value error, "))
    for kind, rx in _PYDANTIC:
        m = rx.match(message)
        if m is None:
            continue
        zh = _TYPES.get(kind)
        if zh is None:
            return _GENERIC
        ctx = {k: (_choices(v) if k in ("expected", "expected_tags") else v) for k, v in m.groupdict().items()}
        return zh.format_map(ctx)
    return None


def _listed(groups: dict[str, str]) -> dict[str, str]:
    """Lists inside a message (values, ids) joined the Chinese way."""
    return {k: re.sub(r"'?,\s*'?", "、", v.strip("[]'")) if v else "" for k, v in groups.items()}


def _words(message: str) -> str:
    """Any library message in Chinese (never the English)."""
    more = ""
    m = re.search(r"\s*\(and (\d+) more\)$", message)
    if m:
        message, more = message[: m.start()], f"（另有 {m.group(1)} 处问题，改正这一处后会显示）"
    cond = re.match(r"^(?P<msg>.*) at column (?P<col>\d+) in (?P<src>.*)$", message, re.S)
    if cond:
        return f"条件 {cond['src']} 第 {cond['col']} 个字符处：{_words(cond['msg'])}{more}"
    said = next((zh.format_map(_listed(m.groupdict())) for rx, zh in _OWN if (m := rx.search(message))), None)
    return (said or _pydantic_words(message) or _GENERIC) + more


_LEADS = [
    ("不认识的键", "不认识的键（拼写错误，或此处不允许这个键）"),
    ("缺少必填的键", "缺少必填的键"),
    ("条件", "条件的写法有误"),
    ("须为日期", "须为日期（年-月-日）"),
    ("须为数字", "须为数字"),
    ("须为整数", "须为数字"),
    ("须为文字", "须为文字"),
    ("版：请改用新的版本号", "该版本号已存在，请改用新的版本号，或替换现有草稿"),
    ("上传到了", "文件中的部门或版本号与上传位置不一致"),
    ("部门和版本号须一致", "文件中的部门或版本号与上传位置不一致"),
    ("UTF-8", "文件不是 UTF-8 编码的文本"),
    ("文件不是裁量基准文档", "文件不是裁量基准文档（应为键值结构：department、version、items …）"),
    ("extends", "所继承（extends）的基准不存在或未发布"),
    ("重复", "编号重复"),
]


def _where(path: str) -> str:
    """The key path as the reviewer wrote it (no English around it)."""
    path = re.sub(r"\s*\(?line \d+(, column \d+)?\)?", "", path).strip()
    path = path.replace("inherited list entry ", "继承的清单条目 ")
    return "" if path == "draft.yaml" else path.removeprefix("draft.yaml:")


def upload_error(e: DiscretionError) -> PositionedError:
    path = e.path if isinstance(e, RulesetLoadError) else e.field
    m = _LINE.search(path or "") or _LINE.search(e.message)
    line = int(m.group(1)) if m else None
    detail = _words(e.message)
    if e.message.startswith("malformed YAML: unresolved import marker"):
        reason = "导入时未能确定的单元格尚未处理（!unresolved 标记）：请改为结构化的内容"
    elif e.message.startswith("malformed YAML"):
        reason = "YAML 格式错误（缩进、冒号或引号有误）"
    else:
        reason = next((lead for key, lead in _LEADS if key in detail), detail)
    return PositionedError(line, _where(path or ""), reason, detail)


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
    if p.check == "reductions":
        m = re.search(r"reductions (.+?) hold together", msg)
        if m:
            return (
                f"按比例减少的条目 {m.group(1).replace(', ', '、')} 在同一情形下同时适用，会叠加减少："
                "应使其条件互斥，或用 displaces 写明被取代的条目"
            )
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

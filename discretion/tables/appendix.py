"""The appendix tables an exported benchmark carries beside its catalogue: 文件信息, 事实, 措施, 清单.

A department's own table names its facts in words only; an exported one adds these small
tables so that the import gives back exactly the same ruleset (every 【label】 in a condition
names a row of 事实, every measure a row of 措施). Each table is recognised by its header.
Writing and reading live together so that they stay inverse.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import yaml

from ..citation import Citation
from ..ruleset import Ruleset
from ..wording import LIST_NAMES, count_words
from .citations import Titles, parse_citations, write_citation, write_citations
from .quantities import NUMBER, parse_number, write_number
from .marks import Unreadable
from .thresholds import Vocabulary, parse_condition_text
from .wording import write_condition

INFO_HEADER = ["项目", "内容"]
FACT_HEADER = [
    "事实代码",
    "名称",
    "类型",
    "取值",
    "缺省值",
    "必填",
    "计算方式",
    "最小值",
    "最大值",
    "适用事项",
]
MEASURE_HEADER = ["措施代码", "名称", "处罚种类"]
LIST_HEADER = [
    "清单编号",
    "清单",
    "情形",
    "应当或可以",
    "适用事项",
    "适用条件",
    "依据",
    "仍须采取的措施",
    "其他",
    "来源",
]

FACT_TYPES = {"money": "金额", "number": "数值", "integer": "整数", "bool": "是否", "enum": "选项"}
KINDS = {
    "warning": "警告",
    "confiscation": "罚款、没收",
    "suspension": "暂扣、限制、停产停业",
    "revocation": "吊销、责令关闭",
    "detention": "拘留",
}
LIST_KINDS = {v: k for k, v in LIST_NAMES.items()}
INFO_KEYS = {
    "部门代码": "department",
    "部门名称": "department_name",
    "版本": "version",
    "施行日期": "effective_from",
    "失效日期": "effective_to",
    "来源文件": "source",
    "继承": "extends",
    "细化": "refines",
    "落点规则": "placement",
    "追责期限": "limitation",
    "变化类型": "change",
    "过渡规则": "transition",
    "过渡规则依据": "transition_basis",
    "说明": "note",
}
#: Ruleset.change and Ruleset.transition in the words of a published document
INFO_WORDS: dict[str, dict[str, str]] = {
    "change": {"law": "法律、法规、规章修改", "benchmark": "仅裁量基准修改"},
    "transition": {
        "decision_date": "作出决定时适用新基准",
        "act_date": "适用违法行为发生时的基准",
        "lighter": "参照从旧兼从轻",
    },
}
#: ListEntry.reduce_not_below in words
NOT_BELOW = {"statutory_minimum": "法定最低罚款", "floor": "减轻处罚的最低罚款"}
#: ListEntry.reduce_at_most in words, before the amount in yuan
AT_MOST = "减少的额度最多不超过："
#: ListEntry.when_count in the 其他 column, as wording.count_words says it: "情形计数：从轻处罚情形不少于2项、…"
COUNT_FLAG = "情形计数："
_COUNT_TERM = re.compile(r"(从轻处罚|减轻处罚|从重处罚)情形(不少于|不多于|恰为)(\d+)项")
_COUNT_LISTS = {"从轻处罚": "lenient", "减轻处罚": "mitigated", "从重处罚": "aggravated"}


def read_count(text: str) -> dict[str, dict[str, int]]:
    """The terms of a count of circumstances, as wording.count_words writes them."""
    out: dict[str, dict[str, int]] = {}
    for term in text.split("、"):
        m = _COUNT_TERM.fullmatch(term)
        if m is None:
            raise Unreadable(f"情形计数“{term}”不能识别（应为如“从轻处罚情形不少于2项”）")
        bound = out.setdefault(_COUNT_LISTS[m.group(1)], {})
        n = int(m.group(3))
        if m.group(2) != "不多于":
            bound["at_least"] = n
        if m.group(2) != "不少于":
            bound["at_most"] = n
    return out


def kind_of(header: list[str]) -> str | None:
    """Which appendix a header row starts, if any."""
    cells = [h.strip() for h in header]
    for name, want in (
        ("info", INFO_HEADER),
        ("facts", FACT_HEADER),
        ("measures", MEASURE_HEADER),
        ("lists", LIST_HEADER),
    ):
        if cells[: len(want)] == want:
            return name
    return None


# ---------------------------------------------------------------- writing


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        json.loads(json.dumps(value, default=str)),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=True,
        width=10_000,
    ).strip()


def info_rows(rs: Ruleset) -> list[list[str]]:
    doc = rs.model_dump(mode="json", exclude_none=True)
    rows = []
    for label, key in INFO_KEYS.items():
        value = doc.get(key)
        if value in (None, [], {}):
            continue
        if key in ("source", "extends"):
            text = "\n".join(value)
        elif key in ("placement", "limitation"):
            text = _flow(value)
        elif key in INFO_WORDS:
            text = INFO_WORDS[key][value]
        elif key == "transition_basis":
            text = write_citation(Citation.model_validate(value))
        else:
            text = str(value)
        rows.append([label, text])
    return rows


def fact_rows(rs: Ruleset) -> list[list[str]]:
    rows = [_fact_row(n, s, "") for n, s in rs.facts.items()]
    for item in rs.items:
        rows += [_fact_row(n, s, item.code) for n, s in item.facts.items()]
    return rows


def _fact_row(name: str, spec: Any, item: str) -> list[str]:
    d = spec.model_dump(mode="json", exclude_none=True)
    values = "\n".join(f"{v}={(d.get('value_labels') or {}).get(v, '')}".rstrip("=") for v in d.get("values", []))
    extra = {k: d[k] for k in ("value_labels",) if k in d and set(d[k]) - set(d.get("values", []))}
    default = "" if "default" not in d else _flow(d["default"])
    required = "" if "required" not in d else ("是" if d["required"] else "否")
    return [
        name,
        d["label"],
        FACT_TYPES[d["type"]],
        values + (f"\n{_flow(extra)}" if extra else ""),
        default,
        required,
        d.get("derived", ""),
        str(d.get("minimum", "")),
        str(d.get("maximum", "")),
        item,
    ]


def measure_rows(rs: Ruleset) -> list[list[str]]:
    return [[code, name, KINDS.get(rs.penalty_measures.get(code, ""), "")] for code, name in rs.measures.items()]


def list_rows(rs: Ruleset, facts: dict[str, Any], measure_names: dict[str, str]) -> list[list[str]]:
    rows = []
    for e in rs.lists:
        other = []
        if e.allows_mitigated:
            other.append("可以减轻")
        if e.tier_up:
            other.append("上调一个阶次")
        if e.weight is not None:
            other.append(f"权重{e.weight}")
        if e.displaces:
            other.append("排除适用：" + "、".join(e.displaces))
        if e.reduce is not None:
            other.append(f"按比例减少罚款：{write_number(e.reduce[0])}至{write_number(e.reduce[1])}")
        if e.reduce_not_below is not None:
            other.append(f"减少后不低于：{NOT_BELOW[e.reduce_not_below]}")
        if e.reduce_at_most is not None:
            other.append(f"{AT_MOST}{write_number(e.reduce_at_most)}元")
        if e.when_count is not None:
            other.append(f"{COUNT_FLAG}{count_words(e)}")
        from .penalties import write_fine, write_measures

        rows.append(
            [
                e.id,
                LIST_NAMES[e.list],
                e.label,
                "应当" if e.mandatory else "可以",
                "、".join(e.applies_to),
                write_condition(e.when, facts),
                write_citations(e.basis),
                "\n".join([*write_fine(e.fine, facts, None), *write_measures(e.measures, measure_names, facts)]),
                "；".join(other),
                e.source or "",
            ]
        )
    return rows


# ---------------------------------------------------------------- reading


def _yaml_cell(text: str, what: str) -> Any:
    """A cell written as YAML (an export writes placement, limits, defaults so): a cell YAML cannot read,
    or reads as a date or number that is none (2025-13-01), is an unreadable cell, never a crash."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError):
        raise Unreadable(f"{what}“{text[:20]}”不能识别") from None


def read_info(rows: list[list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        if len(row) < 2 or row[0] not in INFO_KEYS:
            raise Unreadable(f"文件信息“{row[0] if row else ''}”不能识别")
        key, text = INFO_KEYS[row[0]], row[1]
        if key in ("source", "extends"):
            out[key] = [ln for ln in text.split("\n") if ln]
        elif key in ("placement", "limitation"):
            out[key] = _yaml_cell(text, row[0])
        elif key in INFO_WORDS:
            values = {w: v for v, w in INFO_WORDS[key].items()}
            if text not in values:
                raise Unreadable(f"{row[0]}“{text}”不能识别（{'、'.join(values)}）")
            out[key] = values[text]
        elif key == "transition_basis":
            cited = parse_citations(text, Titles([text]))
            if len(cited) != 1:
                raise Unreadable("过渡规则依据只能是一处引用")
            out[key] = cited[0].model_dump(exclude_none=True)
        else:
            out[key] = text
    return out


def read_facts(
    rows: list[list[str]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    """(ruleset facts, item code → item facts) from the 事实 table."""
    types = {v: k for k, v in FACT_TYPES.items()}
    own: dict[str, dict[str, Any]] = {}
    per_item: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        row = [*row, *[""] * (len(FACT_HEADER) - len(row))]
        name, label, type_, values, default, required, derived, lo, hi, item = row[:10]
        if type_ not in types:
            raise Unreadable(f"事实 {name} 的类型“{type_}”不能识别")
        spec: dict[str, Any] = {"type": types[type_], "label": label}
        if values:
            lines = values.split("\n")
            extra = _yaml_cell(lines.pop(), f"事实 {name} 的取值") if lines[-1].startswith("{") else {}
            spec["values"] = [ln.split("=", 1)[0] for ln in lines]
            labels = {ln.split("=", 1)[0]: ln.split("=", 1)[1] for ln in lines if "=" in ln}
            labels.update((extra or {}).get("value_labels", {}))
            if labels:
                spec["value_labels"] = labels
        if default:
            spec["default"] = _yaml_cell(default, f"事实 {name} 的缺省值")
        if required:
            spec["required"] = required == "是"
        if derived:
            spec["derived"] = derived
        if lo:
            spec["minimum"] = Decimal(lo)
        if hi:
            spec["maximum"] = Decimal(hi)
        (per_item.setdefault(item, {}) if item else own)[name] = spec
    return own, per_item


def read_measures(rows: list[list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    kinds = {v: k for k, v in KINDS.items()}
    names: dict[str, str] = {}
    penalty: dict[str, str] = {}
    for row in rows:
        code, name, kind = (*row, "", "")[:3]
        names[code] = name
        if kind:
            if kind not in kinds:
                raise Unreadable(f"措施 {code} 的处罚种类“{kind}”不能识别")
            penalty[code] = kinds[kind]
    return names, penalty


def read_list(row: list[str], vocab: Vocabulary, titles: Titles, measures: Any) -> dict[str, Any]:
    from .penalties import parse_penalty

    row = [*row, *[""] * (len(LIST_HEADER) - len(row))]
    id_, kind, label, shall, applies, when, basis, still, other, source = row[:10]
    if kind not in LIST_KINDS:
        raise Unreadable(f"清单“{kind}”不能识别")
    entry: dict[str, Any] = {
        "id": id_,
        "list": LIST_KINDS[kind],
        "label": label,
        "mandatory": shall == "应当",
        "applies_to": applies.split("、"),
        "when": parse_condition_text(when, vocab)[0] if when else "",
    }
    entry["basis"] = [c.model_dump(exclude_none=True) for c in parse_citations(basis, titles)]
    if still:
        penalty = parse_penalty(still, vocab, measures, titles=titles)
        if penalty.bands or penalty.direction:
            raise Unreadable("清单条目没有从轻、一般、从重栏")
        if penalty.measures:
            entry["measures"] = penalty.measures
        if penalty.fine is not None:
            entry["fine"] = penalty.fine
    for flag in (f for f in other.split("；") if f):
        if flag.startswith("排除适用："):
            entry["displaces"] = flag[5:].split("、")
        elif m := re.fullmatch(rf"按比例减少罚款：({NUMBER})至({NUMBER})", flag):
            entry["reduce"] = [parse_number(m.group(1)), parse_number(m.group(2))]
        elif m := re.fullmatch(rf"{AT_MOST}({NUMBER})元", flag):
            entry["reduce_at_most"] = parse_number(m.group(1))
        elif flag.startswith("减少后不低于：") and flag[7:] in NOT_BELOW.values():
            entry["reduce_not_below"] = next(k for k, v in NOT_BELOW.items() if v == flag[7:])
        elif flag.startswith(COUNT_FLAG):
            entry["when_count"] = read_count(flag[len(COUNT_FLAG) :])
        elif flag == "可以减轻":
            entry["allows_mitigated"] = True
        elif flag == "上调一个阶次":
            entry["tier_up"] = True
        elif flag.startswith("权重"):
            entry["weight"] = Decimal(flag[2:])
        else:
            raise Unreadable(f"“{flag}”不能识别")
    if source:
        entry["source"] = source
    return entry

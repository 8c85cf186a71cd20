"""The columns of a benchmark table, recognised by the names documents give them.

Documents name the same column many ways (违法行为 / 违法行为名称, 法律依据 / 违法依据,
裁量阶次 / 违法程度 / 情节, 适用条件 / 具体情形, 处罚标准 / 裁量基准 / 处罚幅度); a header
may take two or three rows under merged group titles. A header row is the first row of the
first ten in which at least two cells name known columns, one of them the violation; the
rows under it that still name columns (a second header row) refine it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .reading import Cell, RawTable

#: canonical column → the names documents use (compared without spaces and punctuation)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序列号", "条款"),
    "code": ("事项编码", "事项代码", "编码", "违法行为编码", "事项编号"),
    "name": (
        "违法行为",
        "违法行为名称",
        "违法事项",
        "违法行为表现",
        "违法行为描述",
        "事项名称",
        "违法种类",
        "具体违法行为",
        "项",
        "违法行为种类",
    ),
    "legal_basis": (
        "违法依据",
        "法律依据",
        "违反条款",
        "违法条款",
        "违法条款依据",
        "违反的法律条款",
    ),
    "penalty_basis": ("处罚依据", "处罚条款", "处罚的法律依据", "处罚法律依据", "行政处罚依据"),
    "attributes": ("事项属性",),
    "kind": ("类别", "条款类别"),
    "row_id": ("阶次编号", "条款编号"),
    "level": (
        "裁量阶次",
        "违法程度",
        "情节",
        "违法情节",
        "裁量等次",
        "阶次",
        "裁量档次",
        "裁量等级",
        "违法情节程度",
        "情节程度",
        "违法严重程度分解",
        "违法程度分解",
    ),
    "condition": (
        "适用条件",
        "具体情形",
        "情形",
        "裁量情节",
        "违法情形",
        "认定标准",
        "适用情形",
        "裁量因素",
        "具体标准",
        "违法事实",
        "违法行为表现情形",
        "表现情形",
    ),
    "standard": (
        "处罚标准",
        "裁量基准",
        "处罚幅度",
        "裁量标准",
        "处罚裁量基准",
        "处罚种类和幅度",
        "裁量幅度",
        "处罚内容",
        "行政处罚裁量基准",
        "罚款幅度",
        "处罚金额",
        "罚款金额",
        "具体处罚标准",
        "处罚裁量标准",
        "裁量标准及处罚",
        "行政处罚标准",
    ),
    "row_basis": ("阶次依据", "裁量依据", "基准依据"),
    "note": ("备注", "说明"),
}

#: columns that describe the violation (repeated down its tier rows) rather than one tier
ITEM_COLUMNS = ("seq", "code", "name", "legal_basis", "penalty_basis", "attributes")

_PUNCT = re.compile(r"[\s\u3000\xa0、，,。.：:（）()《》\"“”'‘’/\\-]+")
_LOOKUP = {_PUNCT.sub("", name): key for key, names in SYNONYMS.items() for name in names}


def column_key(text: str) -> str | None:
    """The canonical column a header cell names, or None."""
    return _LOOKUP.get(_PUNCT.sub("", text))


@dataclass
class Header:
    """Where a table's header is and what each column holds."""

    first_row: int  # 1-based row of the first header row
    last_row: int  # 1-based row of the last header row
    columns: dict[int, str]  # 1-based column → canonical key
    names: dict[int, str]  # 1-based column → the header text as written
    title: str  # title rows above the header, joined


def find_header(table: RawTable, scan: int = 10) -> Header | None:
    """The header of a table, or None when no row names the violation and another known column."""
    for i, row in enumerate(table.rows[:scan]):
        keys = _keys(row)
        if "name" in keys.values() and len(set(keys.values())) >= 2:
            columns, names = dict(keys), {c.col: c.text for c in row if c.text}
            last = i
            for below in table.rows[i + 1 : i + 3]:
                more = _keys(below)
                if not more:
                    break
                for col, key in more.items():
                    columns[col] = key
                    names[col] = _text(below, col)
                last += 1
            # a group title merged over sub-columns names only its first column: forget it elsewhere
            title = " ".join(_text(r, c.col) for r in table.rows[:i] for c in r[:1] if _text(r, c.col))
            return Header(i + 1, last + 1, columns, names, title)
    return None


def _keys(row: list[Cell]) -> dict[int, str]:
    out: dict[int, str] = {}
    for c in row:
        if c.origin is not None and c.origin[1] != c.col and c.origin[0] == c.row:
            continue  # continuation of a cell merged across: the origin already named it
        key = column_key(c.text) if c.text else None
        if key is not None:
            out[c.col] = key
    return out


def _text(row: list[Cell], col: int) -> str:
    for c in row:
        if c.col == col:
            return c.text
    return ""


def is_header_repeat(row: list[Cell], header: Header) -> bool:
    """A header row repeated inside the table (Word repeats it after a page break)."""
    keys = _keys(row)
    return bool(keys) and all(header.columns.get(col) == key for col, key in keys.items()) and len(keys) >= 2

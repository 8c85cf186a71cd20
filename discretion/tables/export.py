"""A ruleset as the table a department publishes (.docx or .xlsx).

The catalogue table has a title row, a two-row header (the tier columns under a merged
裁量基准), one row per statutory clause (类别 法定) and per tier (类别 阶次), and the
violation's cells merged down its rows; citations are written out with the quoted text,
conditions and fines in the wording `thresholds` and `penalties` read back. The lists, the
facts, the measures and the document's own data follow as tables of their own, so that
`discretion import` of the file gives back the same ruleset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..ruleset import Item, Ruleset
from . import appendix
from .citations import write_citations
from .quantities import write_number
from .penalties import write_bands, write_fine, write_measures
from .wording import write_condition

ITEM_HEADER = ["序号", "事项编码", "违法行为", "违法依据", "处罚依据", "事项属性"]
TIER_HEADER = ["类别", "阶次编号", "裁量阶次", "适用条件", "处罚标准", "阶次依据"]
HEADER = [*ITEM_HEADER, *TIER_HEADER, "备注"]
SHAPES = {"tiers": "阶次", "range": "幅度", "weighted": "权重"}
#: the 类别 of a catalogue row: a statutory clause, a tier, the weighted sum, one of its factors, a displaced entry
KIND_STATUTORY, KIND_TIER, KIND_WEIGHTED, KIND_FACTOR, KIND_DISPLACES = "法定", "阶次", "权重", "权重因素", "排除适用"


def write_weighted(start: Any, cap: Any) -> str:
    """The weighted sum's start and cap as its 处罚标准 cell (draft.read_weighted reads it back)."""
    return (
        f"起始权重{write_number(start)}，最高权重{write_number(cap)}："
        "罚款＝（起始权重＋成立因素的权重之和，不超过最高权重）×法定最高罚款"
    )


def write_factor(weight: Any, group: str | None) -> str:
    return f"权重{write_number(weight)}" + (f"，互斥组：{group}" if group else "")


def _attributes(item: Item) -> str:
    parts = []
    if item.shape:
        parts.append(f"裁量方式：{SHAPES[item.shape]}")
    if item.touches_safety:
        parts.append("涉及公民生命健康安全、金融安全")
    if item.limitation_years:
        parts.append(f"追责期限：{item.limitation_years}年")
    if item.formerly:
        parts.append("原编码：" + "、".join(item.formerly))
    return "\n".join(parts)


def catalogue_rows(rs: Ruleset, own: Ruleset) -> list[list[list[str]]]:
    """Per item, its rows (each a list of cells in HEADER order); item cells only on the first row."""
    facts: dict[str, Any] = dict(rs.facts)
    out = []
    for n, item in enumerate(own.items, start=1):
        f = {**facts, **item.facts}
        base = next((c.fine.multiple_of for c in item.statutory if c.fine and c.fine.multiple_of), None)
        head = [
            str(n),
            item.code,
            item.name,
            write_citations(item.legal_basis),
            write_citations(item.penalty_basis),
            _attributes(item),
        ]
        rows = []
        for c in item.statutory:
            rows.append(
                [
                    KIND_STATUTORY,
                    c.id,
                    c.label or "",
                    write_condition(c.when, f),
                    "\n".join([*write_fine(c.fine, f, None), *write_measures(c.measures, rs.measures, f)]),
                    write_citations(c.basis),
                ]
            )
        for t in item.tiers:
            standard = [
                *write_bands(t.direction, t.bands, f, base),
                *write_fine(t.fine, f, base),
                *write_measures(t.measures, rs.measures, f),
            ]
            rows.append(
                [KIND_TIER, t.id, t.label, write_condition(t.when, f), "\n".join(standard), write_citations(t.basis)]
            )
        if item.weighted is not None:
            w = item.weighted
            rows.append([KIND_WEIGHTED, "", "", "", write_weighted(w.start, w.cap), write_citations(w.basis)])
            rows += [
                [
                    KIND_FACTOR,
                    x.id,
                    x.label,
                    write_condition(x.when, f),
                    write_factor(x.weight, x.group),
                    write_citations(x.basis),
                ]
                for x in w.factors
            ]
        rows += [[KIND_DISPLACES, d.entry, "", "", "", write_citations(d.basis)] for d in item.displaces or []]
        out.append(
            [
                [*(head if i == 0 else [""] * len(head)), *r, (item.note or "") if i == 0 else ""]
                for i, r in enumerate(rows)
            ]
        )
    return out


def _tables(
    rs: Ruleset, own: Ruleset
) -> tuple[str, list[list[list[str]]], list[tuple[str, list[str], list[list[str]]]]]:
    title = f"{own.department_name}行政处罚裁量基准（{own.version}）"
    appendices = [
        ("文件信息", appendix.INFO_HEADER, appendix.info_rows(own)),
        (
            "从轻、减轻、从重、不予处罚、免予处罚清单",
            appendix.LIST_HEADER,
            appendix.list_rows(
                own,
                {**rs.facts, **{n: f for i in rs.items for n, f in i.facts.items()}},
                rs.measures,
            ),
        ),
        ("事实", appendix.FACT_HEADER, appendix.fact_rows(own)),
        ("措施", appendix.MEASURE_HEADER, appendix.measure_rows(own)),
    ]
    return title, catalogue_rows(rs, own), [a for a in appendices if a[2]]


def export_table(resolved: Ruleset, own: Ruleset, out: Path, fmt: str) -> None:
    """Write `own` (the file's own ruleset; `resolved` is it with what it extends) as .docx or .xlsx."""
    title, items, appendices = _tables(resolved, own)
    if fmt == "docx":
        _docx(out, title, items, appendices)
    elif fmt == "xlsx":
        _xlsx(out, title, items, appendices)
    else:
        raise ValueError(f"unknown format {fmt!r}: docx or xlsx")


def _docx(
    out: Path,
    title: str,
    items: list[list[list[str]]],
    appendices: list[tuple[str, list[str], list[list[str]]]],
) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    rows = [r for item in items for r in item]
    table = doc.add_table(rows=2 + len(rows), cols=len(HEADER))
    table.style = "Table Grid"
    grid = [list(r.cells) for r in table.rows]
    for c, name in enumerate(HEADER):
        if name in TIER_HEADER:
            grid[1][c].text = name
        else:
            grid[0][c].text = name
    grid[0][len(ITEM_HEADER)].text = "裁量基准"
    for r, values in enumerate(rows, start=2):
        for c, text in enumerate(values):
            if text:
                grid[r][c].text = text
    merges: list[tuple[int, int, int, int]] = [(0, c, 1, c) for c, n in enumerate(HEADER) if n not in TIER_HEADER]
    merges.append((0, len(ITEM_HEADER), 0, len(ITEM_HEADER) + len(TIER_HEADER) - 1))
    r = 2
    for item in items:
        if len(item) > 1:
            merges += [(r, c, r + len(item) - 1, c) for c in [*range(len(ITEM_HEADER)), len(HEADER) - 1]]
        r += len(item)
    for r1, c1, r2, c2 in merges:
        grid[r1][c1].merge(grid[r2][c2])
    for name, header, body in appendices:
        doc.add_paragraph(name)
        t = doc.add_table(rows=1 + len(body), cols=len(header))
        t.style = "Table Grid"
        for i, row in enumerate([header, *body]):
            cells = t.rows[i].cells
            for c, text in enumerate(row):
                if text:
                    cells[c].text = text
    doc.save(str(out))


def _xlsx(
    out: Path,
    title: str,
    items: list[list[list[str]]],
    appendices: list[tuple[str, list[str], list[list[str]]]],
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "裁量基准"
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.cell(1, 1, title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for c, name in enumerate(HEADER, start=1):
        ws.cell(3 if name in TIER_HEADER else 2, c, name)
        if name not in TIER_HEADER:
            ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    first_tier = len(ITEM_HEADER) + 1
    ws.cell(2, first_tier, "裁量基准")
    ws.merge_cells(
        start_row=2,
        start_column=first_tier,
        end_row=2,
        end_column=first_tier + len(TIER_HEADER) - 1,
    )
    r = 4
    for item in items:
        for i, values in enumerate(item):
            for c, text in enumerate(values, start=1):
                if text:
                    ws.cell(r + i, c, text).alignment = wrap
        if len(item) > 1:
            for c in [*range(1, len(ITEM_HEADER) + 1), len(HEADER)]:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + len(item) - 1, end_column=c)
        r += len(item)
    for name, header, body in appendices:
        sheet = wb.create_sheet(name[:31])
        for i, row in enumerate([header, *body], start=1):
            for c, text in enumerate(row, start=1):
                if text:
                    sheet.cell(i, c, text).alignment = wrap
    wb.save(str(out))

"""Assembling a draft ruleset from a read document: one item per violation, one tier per row.

Every cell the readers understood becomes structure (citations, statutory fine, tier
conditions, fines, measures); every cell they did not is kept verbatim as a `Marker` in the
place its value belongs, with its position and the reason, and counted. The draft uses the
ruleset language of docs/ruleset-language.md; with markers it fails `discretion validate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from collections.abc import Callable


from ..citation import Citation
from ..ruleset import Ruleset
from . import appendix
from .citations import Titles, parse_citations
from .columns import SYNONYMS, Header, find_header
from .groups import RowCells, Violation, group_rows
from .marks import Marker, Unreadable
from .penalties import DEFAULT_KINDS, DEFAULT_MEASURES, NO_PENALTY_LEAD, Measures, parse_penalty, statutory_fine
from .export import KIND_DISPLACES, KIND_FACTOR, KIND_STATUTORY, KIND_WEIGHTED
from .quantities import NUMBER, parse_number
from .reading import Cell, RawDocument, RawTable, TableImportError
from .thresholds import OpenInterval, Vocabulary, check_two_ways, parse_condition_text

LEVEL_IDS = {
    "轻微": "minor",
    "较轻": "light",
    "一般": "general",
    "较重": "heavier",
    "严重": "serious",
    "特别严重": "very_serious",
    "从轻": "lenient",
    "从重": "aggravated",
    "减轻": "mitigated",
}
_NOT_TIERS = (KIND_STATUTORY, KIND_WEIGHTED, KIND_FACTOR, KIND_DISPLACES)
_WEIGHTED = re.compile(rf"^起始权重(?P<start>{NUMBER})，最高权重(?P<cap>{NUMBER})：")
_FACTOR = re.compile(rf"权重(?P<w>-?{NUMBER})(?:，互斥组：(?P<group>[A-Za-z0-9][A-Za-z0-9_.\-]*))?")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


@dataclass
class Note:
    """Something the reviewer should know that is not a marker (a generated code, a skipped row)."""

    table: int
    row: int
    column: str
    text: str
    what: str


@dataclass
class Draft:
    """The draft document (markers inside), the markers, the notes, and the share of cells read."""

    data: dict[str, Any]
    markers: list[Marker]
    notes: list[Note]
    cells_total: int
    cells_structured: int

    @property
    def share(self) -> float:
        return self.cells_structured / self.cells_total if self.cells_total else 1.0


@dataclass
class _Build:
    department: str
    version: str
    extends: list[str]
    parents: list[Ruleset]
    titles: Titles
    vocab: Vocabulary = field(default_factory=Vocabulary)
    measures: Measures = field(default_factory=lambda: Measures(dict(DEFAULT_MEASURES)))
    markers: list[Marker] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    status: dict[tuple[int, int, int], bool] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    exported: bool = False
    #: a tier's 至 range waiting for its item's other tiers (OpenInterval): its marker → (cell, range, level)
    open: dict[int, tuple[Cell, OpenInterval, list[str]]] = field(default_factory=dict)
    #: list entries read from tier rows that give no penalty (不予处罚 / 免予处罚 in the 处罚标准 column)
    row_lists: list[dict[str, Any]] = field(default_factory=list)

    # -- cells

    def ok(self, cell: Cell) -> None:
        self.status.setdefault((cell.table, cell.row, cell.col), True)

    def mark(
        self,
        cell: Cell | None,
        column: str,
        why: str,
        *,
        table: int = 0,
        row: int = 0,
        text: str | None = None,
    ) -> Marker:
        if cell is not None:
            self.status[(cell.table, cell.row, cell.col)] = False
            table, row = cell.table, cell.row
        m = Marker(table, row, column, text if text is not None else (cell.text if cell else ""), why)
        self.markers.append(m)
        return m

    def note(self, table: int, row: int, column: str, text: str, what: str) -> None:
        self.notes.append(Note(table, row, column, text, what))


def build_draft(
    doc: RawDocument, *, department: str, version: str, extends: list[str], parents: list[Ruleset]
) -> Draft:
    """The draft ruleset for a read document (TableImportError if no table has a header)."""
    texts = [c.text for t in doc.tables for r in t.rows for c in r if c.text] + doc.text
    b = _Build(department, version, extends, parents, Titles(texts))
    for p in parents:
        b.vocab.facts.update({n: s.model_dump(exclude_none=True) for n, s in p.facts.items()})
        b.measures.names.update(p.measures)
    catalogue: list[tuple[RawTable, Header]] = []
    info: dict[str, Any] = {}
    own_facts: dict[str, dict[str, Any]] = {}
    item_facts: dict[str, dict[str, dict[str, Any]]] = {}
    own_measures: dict[str, str] = {}
    penalty_measures: dict[str, str] = {}
    list_tables: list[RawTable] = []
    for table in doc.tables:
        if not table.rows:
            continue
        kind = appendix.kind_of([c.text for c in table.rows[0]])
        body = [[c.text for c in r] for r in table.rows[1:] if any(c.text for c in r)]
        try:
            if kind == "info":
                info = appendix.read_info(body)
            elif kind == "facts":
                own_facts, item_facts = appendix.read_facts(body)
                b.exported = True
            elif kind == "measures":
                own_measures, penalty_measures = appendix.read_measures(body)
            elif kind == "lists":
                list_tables.append(table)
        except Unreadable as e:
            raise TableImportError(
                f"appendix table cannot be read: {e}", field=f"{doc.path}: 表{table.index}"
            ) from None
        if kind is not None:
            continue
        header = find_header(table)
        if header is None:
            first = next((c.text for r in table.rows for c in r if c.text), "")
            b.note(
                table.index,
                1,
                "",
                first[:80],
                "表格没有可识别的表头（违法行为、处罚依据、处罚标准……），未导入",
            )
            continue
        catalogue.append((table, header))
    if not catalogue:
        raise TableImportError("no table with a recognisable header (违法行为 and 处罚依据/处罚标准 …)", field=doc.path)
    b.titles.set_subject(t for tb, h in catalogue for t in (h.title, tb.caption) if t)
    if b.exported:  # the document names its facts and measures: nothing else may be read into it
        b.vocab.facts = {n: s.model_dump(exclude_none=True) for p in parents for n, s in p.facts.items()}
        b.vocab.facts.update(own_facts)
        for specs in item_facts.values():
            b.vocab.facts.update(specs)
        b.measures.names = {c: n for p in parents for c, n in p.measures.items()}
        b.measures.names.update(own_measures)
    items: list[dict[str, Any]] = []
    codes: set[str] = set()
    for table, header in catalogue:
        violations, skipped = group_rows(table, header)
        for s in skipped:
            b.note(s.table, s.row, "", s.text, s.why)
        for v in violations:
            item = _item(b, v, header, codes, item_facts)
            items.append(item)
    lists = list(b.row_lists)
    for table in list_tables:
        for row in table.rows[1:]:
            if not any(c.text for c in row):
                continue
            try:
                lists.append(appendix.read_list([c.text for c in row], b.vocab, b.titles, b.measures))
                for c in row:
                    if c.text:
                        b.ok(c)
            except Unreadable as e:
                lists.append(
                    {
                        "id": row[0].text,
                        "list": b.mark(row[0], "清单", str(e), text=" | ".join(c.text for c in row)),
                    }
                )
    title = " ".join(dict.fromkeys(t for t in (h.title or tb.caption for tb, h in catalogue) if t))
    data = _document(b, title, info, items, lists, own_facts, own_measures, penalty_measures)
    total = len(b.status)
    return Draft(data, b.markers, b.notes, total, sum(1 for v in b.status.values() if v))


def _column(header: Header, key: str) -> str:
    for col, k in header.columns.items():
        if k == key:
            return header.names.get(col, SYNONYMS[key][0])
    return SYNONYMS[key][0]


def _item(
    b: _Build,
    v: Violation,
    header: Header,
    codes: set[str],
    item_facts: dict[str, dict[str, dict[str, Any]]],
) -> dict[str, Any]:
    col: Callable[[str], str] = lambda key: _column(header, key)  # noqa: E731
    cells = v.cells
    item: dict[str, Any] = {}
    # code
    code_cell, seq_cell = cells.get("code"), cells.get("seq")
    if code_cell is not None and _CODE.match(code_cell.text):
        code = code_cell.text
        b.ok(code_cell)
    else:
        seq = re.sub(r"[^A-Za-z0-9]+", "-", seq_cell.text).strip("-") if seq_cell else ""
        code = f"{b.department.upper()}-{v.table}-{seq or v.first_row}"
        if code_cell is not None:
            b.mark(code_cell, col("code"), "事项编码含编码不允许的字符（只可用字母、数字、._-）")
        b.note(
            v.table,
            v.first_row,
            col("seq"),
            seq_cell.text if seq_cell else "",
            f"事项编码由导入生成：{code}",
        )
    if seq_cell is not None:
        b.ok(seq_cell)
    while code in codes:
        code += "-b"
    codes.add(code)
    item["code"] = code
    name_cell = cells.get("name")
    if name_cell is None:
        item["name"] = b.mark(None, col("name"), "缺少违法行为名称", table=v.table, row=v.first_row)
    else:
        item["name"] = name_cell.text.replace("\n", "")
        b.ok(name_cell)
    single = (
        "penalty_basis" not in v.columns
        and "legal_basis" in v.columns
        and re.search(r"罚款|处罚|警告|吊销", (cells.get("legal_basis") or Cell(0, 0, 0, "")).text)
    )
    if single:  # one 依据 column quoting the penalty provision: it is the 处罚依据; the violated article is not given
        v.cells["penalty_basis"] = v.cells.pop("legal_basis")
        if "legal_basis" in v.crossing:
            v.crossing["penalty_basis"] = v.crossing.pop("legal_basis")
        item["legal_basis"] = b.mark(
            None,
            col("legal_basis"),
            "表中只有一列依据，引的是处罚条文：请填写违反的条款",
            table=v.table,
            row=v.first_row,
        )
        item["penalty_basis"] = _citations(b, v, "penalty_basis", col("legal_basis"))
    else:
        for key in ("legal_basis", "penalty_basis"):
            item[key] = _citations(b, v, key, col(key))
    attributes = cells.get("attributes")
    if attributes is not None:
        try:
            item.update(_attributes(attributes.text))
            b.ok(attributes)
        except Unreadable as e:
            item["shape"] = b.mark(attributes, col("attributes"), str(e))
    if code in item_facts:
        item["facts"] = item_facts[code]
    statutory_rows = [r for r in v.rows if _kind(r) == KIND_STATUTORY]
    weighted_rows = [r for r in v.rows if _kind(r) in (KIND_WEIGHTED, KIND_FACTOR)]
    displaces_rows = [r for r in v.rows if _kind(r) == KIND_DISPLACES]
    tier_rows = [r for r in v.rows if _kind(r) not in _NOT_TIERS]
    item["statutory"] = (
        _clauses(b, statutory_rows, header)
        if statutory_rows
        else _statute(b, v, item.get("penalty_basis"), col("legal_basis") if single else col("penalty_basis"))
    )
    base = _base(item["statutory"])
    tiers: list[dict[str, Any]] = []
    notes: list[str] = []
    strays: list[Cell] = []
    for k, row in enumerate(tier_rows, start=1):
        if _no_penalty_row(b, code, v.table, row, header, k, notes):
            continue
        if not any(key in row.cells for key in ("level", "condition", "standard", "row_id", "row_basis")):
            strays += [c for key, c in row.cells.items() if key.startswith("extra:")]
            strays += row.other
            _row_notes(b, row, header, notes)
            continue
        tier = _tier(
            b, v.table, row, header, k, base, tiers, notes, unknown_statute=not isinstance(item["statutory"], list)
        )
        tiers += _split_no_gain(b, tier, row, header, notes)
        strays += [c for key, c in row.cells.items() if key.startswith("extra:")]
        strays += row.other
    _settle_intervals(b, tiers)
    if tiers:
        item["tiers"] = tiers
    if weighted_rows:
        item["weighted"] = _weighted(b, weighted_rows, header)
    if displaces_rows:
        item["displaces"] = [_displaced(b, r, header) for r in displaces_rows]
    for row in statutory_rows:
        _row_notes(b, row, header, notes)
    for c in strays:
        what = next((header.names.get(c.col, "") for _ in [0]), "")
        notes.append(f"{what}：{c.text}" if what else c.text)
        b.ok(c)
    crossing = [c for key, c in v.cells.items() if key.startswith("extra:")]
    if notes:
        item["note"] = "\n".join(notes)
    if crossing:
        item["note"] = b.mark(crossing[0], "", "违法行为的单元格在阶次行中改变")
    return item


def _no_penalty_row(b: _Build, code: str, table: int, row: RowCells, header: Header, k: int, notes: list[str]) -> bool:
    """A tier row whose 处罚标准 says 不予（行政）处罚 / 免予处罚 (and perhaps 责令改正): in the language it is a
    list entry of the item (list: no_penalty / exemption, mandatory as the table states it, when = the row's
    condition, basis = the document's row), not a tier. False if the row says anything else."""
    std, cond = row.cells.get("standard"), row.cells.get("condition")
    m = NO_PENALTY_LEAD.match(std.text.strip()) if std is not None else None
    if std is None or m is None:
        return False
    level = row.cells.get("level")
    label = (level.text.replace("\n", "") if level is not None else "") or f"第{k}档"
    entry: dict[str, Any] = {
        "id": f"{code}-{'NP' if m.group('w') == '不予' else 'EX'}{k}",
        "list": "no_penalty" if m.group("w") == "不予" else "exemption",
        "label": f"{label}：{cond.text.strip()}" if cond is not None else label,
        "mandatory": True,
        "applies_to": [code],
    }
    if cond is None:
        entry["when"] = b.mark(
            std, _column(header, "condition"), "不予处罚的一行没有适用条件", table=table, row=row.row
        )
    else:
        entry["when"] = _condition(b, cond, _column(header, "condition"))
    rest = std.text.strip()[m.end() :].strip("，,；;。 ")
    if rest:  # 不予行政处罚，责令改正: the measures still taken
        try:
            p = parse_penalty(rest, b.vocab, b.measures, titles=b.titles)
            if p.fine is not None or p.bands or p.direction:
                raise Unreadable("不予处罚的一行又写了罚款")
            entry["measures"] = p.measures
        except Unreadable as e:
            entry["measures"] = b.mark(std, _column(header, "standard"), str(e))
    if "measures" not in entry or not isinstance(entry["measures"], Marker):
        b.ok(std)
    if level is not None:
        b.ok(level)
    basis = row.cells.get("row_basis")
    if basis is not None:
        entry["basis"] = _row_basis(b, basis, _column(header, "row_basis"))
    else:  # the table's own row is the basis: its title is the document the reviewer names in `source`
        title = header.title or "（表中未载明文件名称）"
        entry["basis"] = [{"law": title.strip("《》") or "裁量基准", "text": f"{entry['label']}：{std.text.strip()}"}]
    b.row_lists.append(entry)
    notes.append(f"第{row.row}行：{std.text.strip()}，导入为清单条目 {entry['id']}（应当适用，请核对）")
    return True


def _settle_intervals(b: _Build, tiers: list[dict[str, Any]]) -> None:
    """A tier's 至 range whose ends the item's other tiers settle (OpenInterval.settle) is read; else it stays
    marked. Only tiers read without a marker settle an end (a settled range does not settle another)."""
    read = [t["when"] for t in tiers if isinstance(t.get("when"), str) and t["when"]]
    for tier in tiers:
        marker = tier.get("when")
        pending = b.open.pop(id(marker), None) if isinstance(marker, Marker) else None
        if pending is None:
            continue
        cell, interval, extra = pending
        expr = interval.settle(read)
        if expr is None:
            continue
        try:
            check_two_ways([*extra, expr])
        except Unreadable:
            continue
        b.markers.remove(marker)  # type: ignore[arg-type]  # a pending marker is a Marker (above)
        b.status[(cell.table, cell.row, cell.col)] = True
        b.used |= interval.facts
        tier["when"] = " and ".join(f"({e})" if " or " in e else e for e in [*extra, expr])


def _weighted(b: _Build, rows: list[RowCells], header: Header) -> Any:
    """The 权重 row (start, cap, basis) and the 权重因素 rows (id, label, condition, weight, group, basis)."""
    heads = [r for r in rows if _kind(r) == KIND_WEIGHTED]
    first = rows[0].cells.get("kind")
    if len(heads) != 1 or first is None:
        return b.mark(first, KIND_WEIGHTED, "权重累加须有且只有一行“权重”")
    head, v_table = heads[0], first.table
    weighted: dict[str, Any] = {}
    std = head.cells.get("standard")
    m = _WEIGHTED.match(std.text) if std is not None else None
    if std is None or m is None:
        return b.mark(std or first, _column(header, "standard"), "“权重”行的起始权重、最高权重不能识别")
    b.ok(std)
    weighted["start"], weighted["cap"] = parse_number(m.group("start")), parse_number(m.group("cap"))
    basis = head.cells.get("row_basis")
    if basis is not None:
        weighted["basis"] = _row_basis(b, basis, _column(header, "row_basis"))
    _row_notes(b, head, header, [])
    factors = []
    for row in (r for r in rows if r is not head):
        factor: dict[str, Any] = {}
        for key, name in (("row_id", "id"), ("level", "label")):
            cell = row.cells.get(key)
            if cell is None:
                factor[name] = b.mark(None, _column(header, key), "权重因素缺少编号或名称", table=v_table, row=row.row)
            else:
                factor[name] = cell.text
                b.ok(cell)
        cond = row.cells.get("condition")
        factor["when"] = _condition(b, cond, _column(header, "condition")) if cond is not None else ""
        factor.update(_factor_weight(b, row.cells.get("standard"), _column(header, "standard"), v_table, row.row))
        basis = row.cells.get("row_basis")
        if basis is not None:
            factor["basis"] = _row_basis(b, basis, _column(header, "row_basis"))
        _row_notes(b, row, header, [])
        factors.append(factor)
    weighted["factors"] = factors
    return weighted


def _factor_weight(b: _Build, std: Cell | None, column: str, table: int, row: int) -> dict[str, Any]:
    """权重0.2，互斥组：g → weight and group; a marker when the cell says anything else."""
    w = _FACTOR.fullmatch(std.text) if std is not None else None
    if std is None or w is None:
        return {"weight": b.mark(std, column, "权重因素的权重不能识别", table=table, row=row)}
    b.ok(std)
    number = w.group("w")
    out: dict[str, Any] = {"weight": -parse_number(number[1:]) if number.startswith("-") else parse_number(number)}
    if w.group("group"):
        out["group"] = w.group("group")
    return out


def _displaced(b: _Build, row: RowCells, header: Header) -> dict[str, Any]:
    """An 排除适用 row: the general list entry (阶次编号) the item's own law displaces, and that law (依据)."""
    out: dict[str, Any] = {}
    entry, basis = row.cells.get("row_id"), row.cells.get("row_basis")
    kind = row.cells["kind"]
    if entry is None or not _ID.match(entry.text):
        out["entry"] = b.mark(entry or kind, _column(header, "row_id"), "排除适用的清单条目编号缺失或含不允许的字符")
    else:
        out["entry"] = entry.text
        b.ok(entry)
    out["basis"] = (
        _row_basis(b, basis, _column(header, "row_basis"))
        if basis is not None
        else b.mark(kind, _column(header, "row_basis"), "排除适用须写明特别规定的依据")
    )
    _row_notes(b, row, header, [])
    return out


def _kind(row: RowCells) -> str:
    c = row.cells.get("kind")
    return c.text if c is not None else ""


def _row_notes(b: _Build, row: RowCells, header: Header, notes: list[str]) -> None:
    c = row.cells.get("note")
    if c is not None:
        notes.append(c.text)
        b.ok(c)
    k = row.cells.get("kind")
    if k is not None:
        b.ok(k)


def _citations(b: _Build, v: Violation, key: str, column: str) -> Any:
    cell = v.cells.get(key)
    crossing = v.crossing.get(key)
    if crossing is not None:
        return b.mark(
            None,
            column,
            f"合并单元格或空白跨越两个违法行为（来自第{crossing.row}行），不复制",
            table=v.table,
            row=v.first_row,
            text=crossing.text,
        )
    if cell is None:
        missing = "表中没有这一列" if key not in v.columns else "空白"
        return b.mark(
            None,
            column,
            f"{missing}：请填写{'违反的条款' if key == 'legal_basis' else '处罚依据'}",
            table=v.table,
            row=v.first_row,
        )
    return _row_basis(b, cell, column)


def _attributes(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    shapes = {"阶次": "tiers", "幅度": "range", "权重": "weighted"}
    for part in (p for p in re.split(r"[；\n]", text) if p):
        if part.startswith("裁量方式：") and part[5:] in shapes:
            out["shape"] = shapes[part[5:]]
        elif part == "涉及公民生命健康安全、金融安全":
            out["touches_safety"] = True
        elif m := re.fullmatch(r"追责期限：(\d+)年", part):
            out["limitation_years"] = int(m.group(1))
        elif part.startswith("原编码："):
            out["formerly"] = part[len("原编码：") :].split("、")
        else:
            raise Unreadable(f"事项属性“{part}”不能识别")
    return out


def _statute(b: _Build, v: Violation, basis: Any, column: str) -> Any:
    cell = v.cells.get("penalty_basis")
    if not isinstance(basis, list):
        return b.mark(None, "法定幅度", "处罚依据未读出，法定幅度不能确定", table=v.table, row=v.first_row)
    text = "；".join(c["text"] for c in basis if c.get("text"))
    if not text:
        return b.mark(
            None,
            "法定幅度",
            "处罚依据只列条款、未录条文，不能读出法定罚款幅度；请按条文填写 statutory",
            table=v.table,
            row=v.first_row,
            text=cell.text if cell else "",
        )
    if "罚款" not in text:
        return [{"id": "base"}]
    try:
        clauses, facts = statutory_fine(text, b.vocab)
    except Unreadable as e:
        return b.mark(cell, column, f"法定罚款幅度：{e}")
    b.used |= facts
    return clauses


def _base(statutory: Any) -> str | None:
    if isinstance(statutory, list):
        for clause in statutory:
            fine = clause.get("fine") if isinstance(clause, dict) else None
            if isinstance(fine, dict) and fine.get("multiple_of"):
                return str(fine["multiple_of"])
    return None


def _clauses(b: _Build, rows: list[RowCells], header: Header) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        clause: dict[str, Any] = {}
        rid = row.cells.get("row_id")
        if rid is not None:
            clause["id"] = rid.text
            b.ok(rid)
        level = row.cells.get("level")
        if level is not None:
            clause["label"] = level.text
            b.ok(level)
        cond = row.cells.get("condition")
        if cond is not None:
            clause["when"] = _condition(b, cond, _column(header, "condition"))
        basis = row.cells.get("row_basis")
        if basis is not None:
            clause["basis"] = _row_basis(b, basis, _column(header, "row_basis"))
        std = row.cells.get("standard")
        if std is not None:
            _penalty(b, std, _column(header, "standard"), clause, None, statutory=True)
        out.append(clause)
    return out


def _row_basis(b: _Build, cell: Cell, column: str) -> Any:
    """A cell of citations: their dumps, or a marker with the reason."""
    try:
        out = [c.model_dump(exclude_none=True) for c in parse_citations(cell.text, b.titles)]
    except Unreadable as e:
        return b.mark(cell, column, str(e))
    b.ok(cell)
    return out


def _condition(b: _Build, cell: Cell, column: str, extra: list[str] | None = None) -> Any:
    try:
        expr, facts = parse_condition_text(cell.text, b.vocab)
        if extra:
            check_two_ways([*extra, expr])
    except OpenInterval as e:
        marker = b.mark(cell, column, str(e))
        b.open[id(marker)] = (cell, e, list(extra or []))
        return marker
    except Unreadable as e:
        return b.mark(cell, column, str(e))
    b.used |= facts
    b.ok(cell)
    return expr


def _penalty(
    b: _Build,
    cell: Cell,
    column: str,
    into: dict[str, Any],
    base: str | None,
    *,
    statutory: bool = False,
    unknown_statute: bool = False,
) -> list[str]:
    notes: list[str] = []
    try:
        p = parse_penalty(cell.text, b.vocab, b.measures, base=base, titles=b.titles)
        if p.fine is not None and not statutory and "times" in p.fine:
            of = p.fine.pop("multiple_of", None) or base
            if base is None and not unknown_statute:
                raise Unreadable("阶次按倍数计罚，但法定幅度没有倍数基数")
            if base is None:
                notes.append(f"第{cell.row}行：倍数的基数是 {of}（法定幅度待填写时须用同一基数）")
            fallback = p.fine.pop("fallback", None)
            if fallback is not None and not p.no_gain:
                raise Unreadable("阶次自带保底幅度：本语言的保底只属于法定幅度，阶次不能各有保底")
            if fallback is not None:  # 没有违法所得的，处…: the tier splits in two (_split_no_gain)
                into["_no_gain"] = fallback["range"]
        if statutory and (p.bands or p.direction):
            raise Unreadable("法定幅度没有从轻、一般、从重栏")
        if p.bands and p.direction:
            raise Unreadable("一个阶次不能既是一栏又分栏")
    except Unreadable as e:
        into["fine"] = b.mark(cell, column, str(e))
        return notes
    b.ok(cell)
    b.used |= p.facts
    if p.direction is not None:
        into["direction"] = p.direction
    if p.bands:
        into["bands"] = p.bands
    if p.fine is not None:
        into["fine"] = p.fine
    if p.measures:
        into["measures"] = p.measures
    if p.no_gain and statutory:
        notes.append(f"第{cell.row}行：“没有违法所得的”幅度作为保底；按本语言，违法所得无法确定时也适用，请核对")
    notes += [f"第{cell.row}行：“{n}”不是行政处罚，未编码" for n in p.notes]
    return notes


def _split_no_gain(
    b: _Build, tier: dict[str, Any], row: RowCells, header: Header, notes: list[str]
) -> list[dict[str, Any]]:
    """A tier row whose fine says "违法所得X倍…；没有违法所得的，处…": two tiers, one with a gain (> 0), one
    without (== 0), as the document says; a gain that cannot be determined is in neither (the table does not say)."""
    no_gain = tier.pop("_no_gain", None)
    if no_gain is None:
        return [tier]
    std = row.cells["standard"]
    when = tier["when"]
    if not isinstance(when, str) or not when.strip():
        tier["fine"] = b.mark(
            std, _column(header, "standard"), "“没有违法所得的”幅度须随阶次条件拆分，但阶次条件未读出"
        )
        return [tier]
    scope = f"({when})" if " or " in when else when
    with_gain = {**tier, "when": f"{scope} and illegal_gain > 0"}
    without = {
        **{k: v for k, v in tier.items() if k != "fine"},
        "id": f"{tier['id']}_no_gain",
        "label": f"{tier['label']}（没有违法所得）",
        "when": f"{scope} and illegal_gain == 0",
        "fine": {"range": no_gain},
    }
    b.used.add("illegal_gain")
    notes.append(f"第{row.row}行：按有无违法所得分为两个阶次；违法所得无法确定的情形表中未载明")
    return [with_gain, without]


def _tier(
    b: _Build,
    table: int,
    row: RowCells,
    header: Header,
    k: int,
    base: str | None,
    done: list[dict[str, Any]],
    notes: list[str],
    unknown_statute: bool = False,
) -> dict[str, Any]:
    tier: dict[str, Any] = {}
    level, cond = row.cells.get("level"), row.cells.get("condition")
    rid = row.cells.get("row_id")
    label = level.text.replace("\n", "") if level is not None else f"第{k}档"
    if level is None:
        b.note(table, row.row, "裁量阶次", "", f"阶次名称由导入生成：{label}")
    if rid is not None and _ID.match(rid.text):
        tid = rid.text
        b.ok(rid)
    else:
        bare = re.sub(r"(?:违法行为|违法|情节)$", "", re.sub(r"^(?:情节|违法)", "", label))
        tid = LEVEL_IDS.get(bare, f"t{k}")
        if rid is not None:
            b.mark(rid, _column(header, "row_id"), "阶次编号含不允许的字符")
    ids = {t.get("id") for t in done}
    while tid in ids:
        tid += "b"
    tier["id"], tier["label"] = tid, label
    if cond is not None:
        extra: list[str] = []
        if level is not None and re.search(r"\d|[一二三四五六七八九十]+(?:万)?元", level.text):
            try:  # a level that states a threshold too: read it with the condition (two ways → marked)
                lv, facts = parse_condition_text(level.text, b.vocab)
                extra.append(lv)
                b.used |= facts
            except Unreadable:
                pass  # a level that is only a name: kept as the label
        when = _condition(b, cond, _column(header, "condition"), extra)
        tier["when"] = (
            " and ".join(f"({e})" if " or " in e else e for e in [*extra, when])
            if extra and isinstance(when, str)
            else when
        )
        if level is not None:
            b.ok(level)
    elif level is not None:
        bare = re.sub(r"^(?:情节|违法)", "", level.text)
        if bare in ("轻微", "较轻", "一般", "较重", "严重", "特别严重") and "circumstance" in b.vocab.facts:
            tier["when"] = f"circumstance == '{LEVEL_IDS[bare]}'"
            b.used.add("circumstance")
            b.ok(level)
        else:
            tier["when"] = _condition(b, level, _column(header, "level"))
    else:
        tier["when"] = ""
    std = row.cells.get("standard")
    if std is not None:
        notes += _penalty(b, std, _column(header, "standard"), tier, base, unknown_statute=unknown_statute)
        if not b.exported and "fine" not in tier and not tier.get("bands") and "direction" not in tier:
            # a department's row that names no fine (警告; 责令改正) fines nothing: a tier without `fine` would
            # take the whole statutory range (the language's meaning), which the row does not say
            tier["fine"] = {"range": [Decimal(0), Decimal(0)]}
            notes.append(f"第{row.row}行：处罚标准未载罚款，阶次罚款为0元（不罚款）")
    basis = row.cells.get("row_basis")
    if basis is not None:
        tier["basis"] = _row_basis(b, basis, _column(header, "row_basis"))
    _row_notes(b, row, header, notes)
    return tier


def _document(
    b: _Build,
    title: str,
    info: dict[str, Any],
    items: list[dict[str, Any]],
    lists: list[dict[str, Any]],
    own_facts: dict[str, dict[str, Any]],
    own_measures: dict[str, str],
    penalty_measures: dict[str, str],
) -> dict[str, Any]:
    doc: dict[str, Any] = {"department": b.department}
    doc["department_name"] = info.get("department_name") or b.mark(
        None, "部门名称", "表中未载明发布机关：请填写", text=title
    )
    doc["version"] = b.version
    doc["effective_from"] = info.get("effective_from") or b.mark(None, "施行日期", "表中未载明施行日期：请填写")
    if info.get("effective_to"):
        doc["effective_to"] = info["effective_to"]
    doc["source"] = info.get("source") or b.mark(None, "来源文件", "请填写所编码的公开文件名称与文号", text=title)
    if b.extends:
        doc["extends"] = b.extends
    for key in ("refines", "change", "transition", "transition_basis"):
        if info.get(key):
            doc[key] = info[key]
    for key in ("placement", "limitation"):
        if info.get(key):
            doc[key] = info[key]
    inherited_measures = {m for p in b.parents for m in p.measures}
    if b.exported:
        if own_measures:
            doc["measures"] = own_measures
        if penalty_measures:
            doc["penalty_measures"] = penalty_measures
        facts = dict(own_facts)
    else:
        used_measures = {
            m if isinstance(m, str) else m["code"]
            for i in items
            for t in [
                *i.get("tiers", []),
                *(i["statutory"] if isinstance(i.get("statutory"), list) else []),
            ]
            if isinstance(t, dict)
            for m in (t.get("measures") or [])
        }
        missing = sorted(used_measures - inherited_measures)
        if missing:
            doc["measures"] = {m: DEFAULT_MEASURES[m] for m in missing}
            kinds = {m: DEFAULT_KINDS[m] for m in missing if m in DEFAULT_KINDS}
            if kinds:
                doc["penalty_measures"] = kinds
        inherited = {n for p in b.parents for n in p.facts}
        # the importer's own facts, and those a document's words declared (missed periods: thresholds._periods)
        facts = {n: b.vocab.facts[n] for n in sorted(b.used) if n in b.vocab.facts and n not in inherited}
    if facts:
        doc["facts"] = facts
    doc["items"] = items
    if lists:
        doc["lists"] = lists
    if info.get("note"):
        doc["note"] = info["note"]
    return doc


__all__ = ["Draft", "Note", "build_draft", "Citation"]

"""The rows of a table grouped into violations: one violation, several tier rows.

Documents write a violation once and let it span its tier rows, either by merged cells or by
leaving the cells below blank ("blank repeats"). A new violation starts where the 序号 (or,
without one, the 违法行为) cell has text of its own. A violation-level cell that reaches into
a new violation — a merge spanning two violations, or a blank under another violation's
text — is not copied silently: the group records it as `crossing` so the draft marks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .columns import ITEM_COLUMNS, Header, is_header_repeat
from .reading import Cell, RawTable


@dataclass
class RowCells:
    """One data row: its cells by canonical column (tier columns only) and unrecognised ones."""

    row: int
    cells: dict[str, Cell]
    other: list[Cell]


@dataclass
class Violation:
    """One violation of a table: its own cells (seq, name, bases) and its tier rows."""

    table: int
    first_row: int
    cells: dict[str, Cell] = field(default_factory=dict)
    crossing: dict[str, Cell] = field(default_factory=dict)  # violation cells reaching in from above
    rows: list[RowCells] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)  # the canonical columns the table has


@dataclass
class Skipped:
    """A row that holds no violation data (section heading, repeated header, orphan row), kept for the report."""

    table: int
    row: int
    text: str
    why: str


def group_rows(table: RawTable, header: Header) -> tuple[list[Violation], list[Skipped]]:
    """Split the data rows under `header` into violations; rows that are not data are returned too."""
    leader = "seq" if "seq" in header.columns.values() else "name"
    by_key = {key: col for col, key in sorted(header.columns.items(), reverse=True)}
    violations: list[Violation] = []
    skipped: list[Skipped] = []
    last_text: dict[str, Cell] = {}  # the cell each violation column last had text in
    for row in table.rows[header.last_row :]:
        texts = [c for c in row if c.text]
        if not texts:
            continue
        r = row[0].row
        if is_header_repeat(row, header):
            skipped.append(Skipped(table.index, r, " | ".join(c.text for c in texts), "表头在表内重复（分页）"))
            continue
        if _one_merged_line(row):
            skipped.append(Skipped(table.index, r, texts[0].text, "整行合并的标题或说明行"))
            last_text.clear()
            continue
        cells = {key: _cell(row, col) for key, col in by_key.items()}
        lead = cells.get(leader)
        starts = lead is not None and bool(lead.text)
        if not starts and not violations:
            skipped.append(
                Skipped(
                    table.index,
                    r,
                    " | ".join(c.text for c in texts),
                    f"在第一个违法行为之前（无{'序号' if leader == 'seq' else '违法行为'}）",
                )
            )
            continue
        if starts:
            current = Violation(table.index, r, columns=set(header.columns.values()))
            violations.append(current)
            for key in ITEM_COLUMNS:
                c = cells.get(key)
                if c is None:
                    continue
                if c.text:
                    current.cells[key] = c
                    last_text[key] = c
                elif key in last_text and key != leader and (c.origin is not None or _blank_repeat(key)):
                    # merged from (or left blank under) the previous violation's cell: do not copy silently
                    current.crossing[key] = last_text[key]
        current = violations[-1]
        tier_cells = {k: c for k, c in cells.items() if k not in ITEM_COLUMNS and c.text}
        for key in ITEM_COLUMNS:  # text of its own in a violation column on a continuation row
            c = cells.get(key)
            if not starts and c is not None and c.text and key != leader:
                tier_cells[f"extra:{key}"] = c
        other = [c for c in row if c.text and c.col not in header.columns]
        current.rows.append(RowCells(r, tier_cells, other))
    return violations, skipped


def _cell(row: list[Cell], col: int) -> Cell:
    for c in row:
        if c.col == col:
            return c
    return Cell(row[0].table if row else 0, row[0].row if row else 0, col, "")


def _one_merged_line(row: list[Cell]) -> bool:
    """A row whose only text is one cell merged across the whole row (a section heading)."""
    texts = [c for c in row if c.text]
    if len(texts) != 1 or len(row) < 3:
        return False
    origin = (texts[0].row, texts[0].col)
    return all(c is texts[0] or c.origin == origin for c in row)


def _blank_repeat(key: str) -> bool:
    # a blank basis under another violation's basis: maybe "same as above", maybe missing
    return key in ("legal_basis", "penalty_basis")

"""Import and export of published benchmark tables (.docx, .xlsx, .csv).

    read_document (reading) → find_header (columns) → group_rows (groups)
      → build_draft (draft: citations, thresholds, penalties; markers) → dump_draft + report
    Ruleset → export_table (export) → .docx / .xlsx with appendix tables (appendix)
"""

from __future__ import annotations

from pathlib import Path

from ..loader import RulesetLibrary
from ..ruleset import Ruleset
from .draft import Draft, build_draft, dump_draft
from .reading import MAX_ROWS, TableImportError, read_document


def import_table(path: Path, *, department: str, version: str, extends: list[str],
                 rulesets: Path | None = None, max_rows: int = MAX_ROWS) -> tuple[str, Draft]:
    """Read a published table into a draft ruleset: (YAML text, the draft with its markers and counts)."""
    parents: list[Ruleset] = []
    if extends:
        lib = RulesetLibrary.load(rulesets)
        for ref in extends:
            if ref not in lib.compiled:
                raise TableImportError(f"unknown ruleset {ref!r} (known: {', '.join(sorted(lib.compiled))})",
                                       field="--extends")
            parents.append(lib.compiled[ref].ruleset)
    doc = read_document(path, max_rows=max_rows)
    draft = build_draft(doc, department=department, version=version, extends=extends, parents=parents)
    header = (f"# 由 discretion import 从 {path.name} 生成的草稿。标记 !unresolved 的位置须由审核人员处理，\n"
              f"# 处理完之前本文件不能通过 discretion validate。\n")
    return dump_draft(draft, header), draft


__all__ = ["Draft", "TableImportError", "import_table"]

"""Import and export of published benchmark tables (.docx, .xlsx, .csv).

read_document (reading) → find_header (columns) → group_rows (groups)
  → build_draft (draft: citations, thresholds, penalties; markers) → dump_draft + report
Ruleset → export_table (export) → .docx / .xlsx with appendix tables (appendix)

`import_table` is the CLI's (parents read from ruleset files); `import_read` is the same import with the
parents given (the service passes the store's published versions) and the name the draft's header
gives the file (an upload's name, not the temporary file's).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..loader import BUNDLED, RulesetLibrary
from ..ruleset import Ruleset
from .draft import Draft, build_draft
from .yamlout import dump_draft
from .reading import MAX_ROWS, TableImportError, read_document


def import_table(
    path: Path,
    *,
    department: str,
    version: str,
    extends: list[str],
    rulesets: Path | None = None,
    max_rows: int = MAX_ROWS,
) -> tuple[str, Draft]:
    """Read a published table into a draft ruleset: (YAML text, the draft with its markers and counts)."""
    parents: list[Ruleset] = []
    root = Path(rulesets) if rulesets else BUNDLED
    for ref in extends:  # only what the draft extends is loaded, not the whole library
        parent = root / f"{ref}.yaml"
        if "/" not in ref or ".." in ref or not parent.is_file():
            raise TableImportError(f"unknown ruleset {ref!r}: no file {parent}", field="--extends")
        lib, loaded = RulesetLibrary.load_file(parent)
        parents.append(lib.compiled[loaded].ruleset)
    return import_read(
        path, department=department, version=version, extends=extends, parents=parents, max_rows=max_rows
    )


def import_read(
    path: Path,
    *,
    department: str,
    version: str,
    extends: list[str],
    parents: list[Ruleset],
    max_rows: int = MAX_ROWS,
    name: str | None = None,
) -> tuple[str, Draft]:
    """`import_table` with the parents (the resolved rulesets `extends` names) already loaded; `name` is
    the file's name as the draft's header says it (default: the path's)."""
    doc = read_document(path, max_rows=max_rows)
    draft = build_draft(doc, department=department, version=version, extends=extends, parents=parents)
    shown = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", name if name is not None else path.name)[:200]
    header = (
        f"# 由 discretion import 从 {shown} 生成的草稿。标记 !unresolved 的位置须由审核人员处理，\n"
        f"# 处理完之前本文件不能通过 discretion validate。\n"
    )
    return dump_draft(draft, header), draft


__all__ = ["Draft", "TableImportError", "import_read", "import_table"]

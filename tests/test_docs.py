"""The README's architecture names every module of the library and the service (a newcomer finds
where a concept lives in one hop), and the design document the code cites lives in the
repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _architecture_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Architecture", 1)[1].split("```", 2)[1]


def listed(block: str) -> set[str]:
    """The paths the indented tree names: a first word ending in / opens a folder; a line whose
    first word ends in .py names modules (every .py word on it); any other line is a heading, no
    folder."""
    out: set[str] = set()
    folders: list[tuple[int, str]] = []
    for line in block.splitlines():
        words = line.split()
        if not words:
            continue
        indent = len(line) - len(line.lstrip())
        folders = [(i, f) for i, f in folders if i < indent]
        here = "".join(f for _, f in folders)
        if words[0].endswith("/"):
            folders.append((indent, words[0]))
            out.add(here + words[0])
        elif words[0].endswith(".py"):
            out.update(here + w for w in words if w.endswith(".py"))
    return out


def test_the_tree_reader_reads_folders_headings_and_module_lists() -> None:
    block = "a/\n  head — words\n    x.py   text with y.py\n  b/\n    c.py d.py\nz.py\n"
    assert listed(block) == {"a/", "a/x.py", "a/y.py", "a/b/", "a/b/c.py", "a/b/d.py", "z.py"}


def test_the_architecture_names_every_module() -> None:
    names = listed(_architecture_block())
    modules = {
        p.relative_to(ROOT).as_posix()
        for pkg in ("discretion", "api")
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.parts
    }
    expected = {m.removesuffix("__init__.py") for m in modules}
    assert not expected - names, f"add these to the README's Architecture: {sorted(expected - names)}"
    stale = {n for n in names if n.startswith(("discretion/", "api/"))} - expected
    assert not stale, f"the README's Architecture names modules that do not exist: {sorted(stale)}"


def test_the_design_document_is_in_the_repository() -> None:
    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    for heading in (
        "## Data flow",
        "## The ruleset language",
        "## Evaluation order",
        "## Consistency",
        "## Audit",
    ):
        assert heading in design

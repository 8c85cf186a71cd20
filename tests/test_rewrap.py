"""tools/rewrap.py (make lint-fix): long comments and docstrings re-wrapped, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import rewrap  # noqa: E402


def _run(source: str, row: int) -> str:
    lines = source.split("\n")
    rewrap.rewrap(lines, row - 1, rewrap.docstring_lines(source))
    return "\n".join(lines)


WORDS = " ".join(f"word{i}" for i in range(30))  # 30 words, about 200 columns


def test_a_long_comment_wraps_into_comment_lines_that_fit() -> None:
    out = _run(f"x = 1\n    # {WORDS}\ny = 2\n", 2)
    lines = out.split("\n")
    assert lines[0] == "x = 1" and lines[-2] == "y = 2"
    body = lines[1:-2]
    assert len(body) >= 2 and all(ln.startswith("    # ") and rewrap.width(ln) <= rewrap.LIMIT for ln in body)
    assert " ".join(ln.removeprefix("    # ") for ln in body) == WORDS


def test_a_docstring_line_moves_its_overflow_into_the_next_line_of_its_paragraph() -> None:
    source = f'def f():\n    """{WORDS}\n    last line."""\n    return 1\n'
    out = _run(source, 2)
    assert rewrap._normalised(out) == rewrap._normalised(source)
    assert all(rewrap.width(ln) <= rewrap.LIMIT for ln in out.split("\n"))
    assert out.endswith('last line."""\n    return 1\n')


def test_code_strings_and_unspaced_chinese_are_left_alone() -> None:
    code = f'x = "{WORDS}"\n'
    assert _run(code, 1) == code
    chinese = "# " + "行政处罚的种类" * 20 + "\n"
    assert _run(chinese, 1) == chinese


def test_wide_characters_count_two_columns() -> None:
    assert rewrap.width("法") == 2 and rewrap.width("a") == 1

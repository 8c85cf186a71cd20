"""Re-wrap the comments and docstring lines ruff reports as too long (E501), words moved forward.

`ruff format` wraps code but never text; this moves the words past the limit of an over-long comment
or docstring line to the start of the next line of the same paragraph (or a new line), and so on
until every line fits. Code, string literals, tables (`|` lines) and lines without a space to break
at are left alone: ruff still reports them. Usage: python tools/rewrap.py PATH... (after ruff
format).
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tokenize
import unicodedata
from pathlib import Path

LIMIT = 120  # pyproject.toml [tool.ruff] line-length


def width(text: str) -> int:
    """Columns as ruff counts them: East Asian wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def docstring_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside triple-quoted strings that stand alone as statements."""
    out: set[int] = set()
    previous = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if (
            tok.type == tokenize.STRING
            and tok.string.lstrip("rbuRBU").startswith(('"""', "'''"))
            and previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL)
        ):
            out.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type not in (tokenize.COMMENT,):
            previous = tok.type
    return out


def _split(line: str, start: int) -> tuple[str, str] | None:
    """(the part that fits, the words moved on), breaking at the last space past `start` that
    fits."""
    cut = None
    for i, c in enumerate(line):
        if c == " " and i > start and line[start:i].strip() and width(line[:i]) <= LIMIT:
            cut = i
    if cut is None:
        return None
    head, tail = line[:cut].rstrip(), line[cut:].strip()
    return (head, tail) if head.strip() and tail else None


def rewrap(lines: list[str], number: int, docs: set[int]) -> bool:
    """Re-wrap line `number` (0-based) in place, cascading forward; True if anything changed."""
    changed = False
    i = number
    while i < len(lines) and width(lines[i]) > LIMIT:
        line = lines[i]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        is_comment = stripped.startswith("#") and (i + 1) not in docs
        if not is_comment and (i + 1) not in docs:
            break
        if stripped.startswith(("|", "# |")):
            break
        marker = stripped.split(" ", 1)[0] if is_comment else ""  # "#", "#:"
        if is_comment and marker.strip("#:") != "":
            break  # "#text" without a space: not prose to re-wrap
        prefix = indent + (marker + " " if is_comment else "")
        opening = len(stripped) - len(stripped.lstrip("rbuRBU\"'")) if not is_comment else 0
        parts = _split(line, len(prefix) + opening)
        if parts is None:
            break
        head, tail = parts
        if width(prefix + tail.split(" ")[0]) > LIMIT:
            break  # a word no line can hold (unspaced Chinese prose): left as it is
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        body = nxt.strip() if nxt is not None else ""
        same_paragraph = (
            nxt is not None
            and nxt.startswith(prefix)
            and not nxt[len(prefix) :].startswith((" ", "-", "*", "|", '"""', "'''"))
            and (body.removeprefix("#").strip() if is_comment else body)
            and (is_comment == body.startswith("#"))
            and (is_comment or (i + 2) in docs)
        )
        lines[i] = head
        if same_paragraph:
            assert nxt is not None
            lines[i + 1] = prefix + tail + " " + nxt[len(prefix) :]
        else:
            lines.insert(i + 1, prefix + tail)
            shifted = {n + 1 if n > i + 1 else n for n in docs} | ({i + 2} if not is_comment else set())
            docs.clear()
            docs.update(shifted)  # in place: the caller's later (higher) lines see the inserted one
        changed = True
        i += 1
    return changed


def _normalised(source: str) -> str:
    """The module's syntax tree with the whitespace inside every string made single spaces."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = " ".join(node.value.split())
    return ast.dump(tree)


def main(paths: list[str]) -> int:
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "E501",
            "--output-format",
            "json",
            "--exit-zero",
            *paths,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    failed = 0
    by_file: dict[str, list[int]] = {}
    for finding in json.loads(report.stdout):
        by_file.setdefault(finding["filename"], []).append(finding["location"]["row"])
    for name, rows in sorted(by_file.items()):
        path = Path(name)
        source = path.read_text(encoding="utf-8")
        lines = source.split("\n")
        docs = docstring_lines(source)
        changed = False
        for row in sorted(rows, reverse=True):
            changed |= rewrap(lines, row - 1, docs)
        if changed:
            new = "\n".join(lines)
            if _normalised(new) != _normalised(source):
                print(
                    f"{name}: left alone, re-wrapping would change more than line breaks",
                    file=sys.stderr,
                )
                failed = 1
                continue
            path.write_text(new, encoding="utf-8")
    return failed


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

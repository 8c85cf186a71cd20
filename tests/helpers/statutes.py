"""Statute texts kept as test fixtures, and the quotes bundled rulesets make of them.

The fixtures (tests/fixtures/statutes/*.md) hold, verbatim from the LawRefBook/Laws mirror, exactly
the articles the bundled rulesets quote. Each file opens with a front matter naming the law, the
edition, the mirror's repository, path and commit; then one article per block (blocks separated by
a blank line), one paragraph (款) per line, items (项) on their own lines after their paragraph.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from discretion.citation import Citation
from discretion.loader import parse_ruleset
from discretion.numerals import chinese_numeral
from discretion.ruleset import Ruleset

ROOT = Path(__file__).resolve().parent.parent.parent
RULESETS = ROOT / "rulesets"
FIXTURES = ROOT / "tests" / "fixtures" / "statutes"
INDEX = FIXTURES / "index.yaml"

NUMERAL = {chinese_numeral(n): n for n in range(1, 1000)}
ARTICLE_HEAD = re.compile(r"^第([零一二三四五六七八九十百千]+)条[\s\u3000]+(.*)$")
ITEM_HEAD = re.compile(r"^[（(]([零一二三四五六七八九十]+)[)）]")
ELLIPSIS = re.compile(r"…+|\.{3,}")


def normalise(text: str) -> str:
    """Compare texts modulo width, whitespace and punctuation (NFKC, then drop both)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def fragments(quote: str) -> list[str]:
    """A quote's pieces: an ellipsis (……) marks words left out, so each piece is checked alone."""
    return [f for f in (normalise(p) for p in ELLIPSIS.split(quote)) if f]


@dataclass
class Paragraph:
    """One 款: its own sentence(s) and its 项 in order."""

    text: str
    items: list[str] = field(default_factory=list)


@dataclass
class Article:
    number: int
    paragraphs: list[Paragraph]

    def lines(self) -> list[str]:
        out: list[str] = []
        for p in self.paragraphs:
            out.append(p.text)
            out.extend(p.items)
        return out


@dataclass
class Statute:
    law: str
    header: dict[str, Any]
    articles: dict[int, Article]


def parse_articles(lines: list[str]) -> dict[int, Article]:
    """Articles from statute lines (mirror Markdown or fixture body): 第X条 starts one."""
    articles: dict[int, Article] = {}
    current: Article | None = None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#") or line.startswith("<!--"):
            current = None
            continue
        head = ARTICLE_HEAD.match(line)
        if head and head.group(1) in NUMERAL:
            current = Article(NUMERAL[head.group(1)], [Paragraph(line)])
            articles.setdefault(current.number, current)
            continue
        if current is None:
            continue
        if ITEM_HEAD.match(line):
            current.paragraphs[-1].items.append(line)
        else:
            current.paragraphs.append(Paragraph(line))
    return articles


def load_statute(path: Path) -> Statute:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    header = yaml.safe_load(front)
    return Statute(header["law"], header, parse_articles(body.splitlines()))


def load_index() -> dict[str, Any]:
    return yaml.safe_load(INDEX.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def edition_file(index: dict[str, Any], law: str, ref: str) -> str | None:
    """The fixture file holding `law` as ruleset `ref` (department/version) quotes it."""
    for edition in index["statutes"].get(law, []):
        if "rulesets" not in edition or ref in edition["rulesets"]:
            return str(edition["file"])
    return None


def absent_reason(index: dict[str, Any], law: str, ref: str) -> str | None:
    for entry in index["absent"]:
        if entry["law"] == law and ("rulesets" not in entry or ref in entry["rulesets"]):
            return str(entry["reason"])
    return None


@dataclass(frozen=True)
class Quote:
    """One citation with a quoted text, where it sits in which bundled ruleset file."""

    file: str
    ref: str
    where: str
    citation: Citation


def _walk(obj: object, where: str) -> Iterator[tuple[str, Citation]]:
    if isinstance(obj, Citation):
        yield where, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), f"{where}.{name}")
    elif isinstance(obj, list | tuple):
        for i, x in enumerate(obj):
            yield from _walk(x, f"{where}[{i}]")
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _walk(x, f"{where}.{k}")


def bundled_rulesets() -> list[tuple[Path, Ruleset]]:
    files = sorted(RULESETS.rglob("*.yaml"))
    return [(f, parse_ruleset(f.read_text(encoding="utf-8"), file=str(f))) for f in files]


def quotes() -> list[Quote]:
    """Every citation carrying a `text` in every bundled ruleset."""
    out: list[Quote] = []
    for path, rs in bundled_rulesets():
        for where, c in _walk(rs, ""):
            if c.text:
                out.append(Quote(str(path.relative_to(ROOT)), rs.ref, where.lstrip("."), c))
    return out


def cited_unit(article: Article, c: Citation) -> list[str] | str:
    """The text a citation points at, or why it points at nothing.

    Article → all of it; 款 → that paragraph with its items; 项 → the paragraph's opening words
    followed by that item (quotes of an item usually carry the words that introduce the list).
    An item without a paragraph belongs to the one paragraph that has items.
    """
    paragraphs = article.paragraphs
    if c.paragraph is not None:
        if c.paragraph > len(paragraphs):
            return f"第{c.article}条 has {len(paragraphs)} paragraph(s), not {c.paragraph}"
        chosen = paragraphs[c.paragraph - 1]
    elif c.item is not None:
        with_items = [p for p in paragraphs if p.items]
        if len(with_items) != 1:
            return f"第{c.article}条: {len(with_items)} paragraphs have items; name the paragraph"
        chosen = with_items[0]
    else:
        return article.lines()
    if c.item is None:
        return [chosen.text, *chosen.items]
    if c.item > len(chosen.items):
        return f"第{c.article}条 paragraph has {len(chosen.items)} item(s), not {c.item}"
    return [chosen.text, chosen.items[c.item - 1]]


def quote_mismatch(article: Article, c: Citation, quote: str) -> str | None:
    """None when every fragment of the quote occurs, in order, in the cited unit."""
    unit = cited_unit(article, c)
    if isinstance(unit, str):
        return unit
    target = normalise("".join(unit))
    pos = 0
    for frag in fragments(quote):
        found = target.find(frag, pos)
        if found < 0:
            return f"not in the cited text: {frag!r}"
        pos = found + len(frag)
    return None


DOCS = ROOT / "docs" / "sources"
BEGIN = "<!-- statute-check: generated by tests/fixtures/statutes/extract.py; do not edit -->"
END = "<!-- statute-check: end -->"


def checks_table(department: str) -> str:
    """The docs/sources table of every text `department`'s rulesets quote and how it was checked."""
    index = load_index()
    short = index["mirror"]["commit"][:12]
    rows: dict[tuple[str, str, int, int, int, str], set[str]] = {}
    for q in quotes():
        if q.ref.split("/")[0] != department:
            continue
        c = q.citation
        file = edition_file(index, c.law, q.ref)
        if file is not None:
            path = next(e["path"] for e in index["statutes"][c.law] if e["file"] == file)
            how = f"checked against LawRefBook/Laws `{path}` @ {short}"
        else:
            how = f"not checked mechanically: {absent_reason(index, c.law, q.ref)}"
        key = (c.law, c.document or "", c.article or 0, c.paragraph or 0, c.item or 0, how)
        rows.setdefault(key, set()).add(q.ref.split("/")[1])
    lines = [
        BEGIN,
        "",
        "Each quoted text compared with the cited article, paragraph or item by",
        "tests/test_statute_texts.py (whitespace, width and punctuation normalised; …… marks an",
        "excerpt's gaps).",
        "",
        "| quoted text | versions | check |",
        "|---|---|---|",
    ]
    for key in sorted(rows):
        law, document, article, paragraph, item, how = key
        cite = Citation(
            law=law, document=document or None, article=article or None, paragraph=paragraph or None, item=item or None
        )
        lines.append(f"| {cite.render()} | {', '.join(sorted(rows[key]))} | {how} |")
    lines += ["", END]
    return "\n".join(lines)


def docs_file(department: str) -> Path:
    return DOCS / ("README.md" if department == "general" else f"{department}.md")


def departments() -> list[str]:
    """Every department with a bundled ruleset (general included)."""
    return sorted(d.name for d in RULESETS.iterdir() if d.is_dir())

"""Finding an item in the catalogue (一目录) by words of its name, its code, the law or the article.

`食品 标准` finds items whose name, law or article text holds both words; `第一百二十四条` and
`124条` find the items citing that article; a code finds its item first. Every word must match
somewhere; matches in the code weigh most, then the name, the article, the law. Each entry's
search text is prepared once, so a query is a few substring tests per item (6,000 items: a few ms).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .citation import render_all
from .loader import RulesetLibrary
from .numerals import chinese_numeral

MAX_TERMS = 8
MAX_QUERY = 200
_ARTICLE = re.compile(r"^第?(\d{1,4})条?$")


@dataclass(frozen=True)
class Entry:
    """One item as the catalogue shows it: where it is and what it cites."""

    department: str
    department_name: str
    version: str
    code: str
    name: str
    legal_basis: str
    penalty_basis: str
    _code: str = field(repr=False, default="")
    _name: str = field(repr=False, default="")
    _articles: str = field(repr=False, default="")

    @classmethod
    def make(
        cls,
        department: str,
        department_name: str,
        version: str,
        code: str,
        name: str,
        legal_basis: str,
        penalty_basis: str,
    ) -> Entry:
        return cls(
            department,
            department_name,
            version,
            code,
            name,
            legal_basis,
            penalty_basis,
            code.lower(),
            name.lower(),
            f"{legal_basis} {penalty_basis}".lower(),
        )


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: int


def terms(query: str) -> list[str]:
    """A query's words; an article in digits becomes its numeral (124条 → 第一百二十四条)."""
    out: list[str] = []
    for word in query[:MAX_QUERY].split()[:MAX_TERMS]:
        m = _ARTICLE.match(word)
        if m and (word.endswith("条") or word.startswith("第")) and 0 < int(m.group(1)) < 10000:
            word = f"第{chinese_numeral(int(m.group(1)))}条"
        out.append(word.lower())
    return out


def _score(e: Entry, word: str) -> int:
    if e._code == word:
        return 1000
    best = 0
    if word in e._code:
        best = 300 if e._code.startswith(word) else 200
    if word in e._name:
        best = max(best, 120 if e._name.startswith(word) else 100)
    if word in e._articles:
        best = max(best, 60)
    return best


class Catalogue:
    """The items of each department's version in force (or its newest), searchable."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        # one text per entry to filter by (a word can only score where it occurs in it)
        self._hay = [f"{e._code}\x00{e._name}\x00{e._articles}" for e in entries]

    @classmethod
    def of(cls, library: RulesetLibrary, on: object = None) -> Catalogue:
        import datetime as dt

        day = on if isinstance(on, dt.date) else dt.date.today()
        entries: list[Entry] = []
        for dept in library.departments():
            versions = library.versions(dept)
            crs = library.in_force(dept, day) or (versions[-1] if versions else None)
            if crs is None:
                continue
            for item in crs.ruleset.items:  # the resolved items: listing them compiles none of a lazy catalogue
                entries.append(
                    Entry.make(
                        dept,
                        crs.ruleset.department_name,
                        crs.version,
                        item.code,
                        item.name,
                        render_all(item.legal_basis),
                        render_all(item.penalty_basis),
                    )
                )
        return cls(entries)

    def search(self, query: str, *, department: str | None = None, limit: int = 50) -> list[Hit]:
        """Entries matching every word, best first (score, then code); empty query: none."""
        words = terms(query)
        if not words:
            return []
        hay = self._hay
        hits: list[Hit] = []
        for i in (i for i, h in enumerate(hay) if all(w in h for w in words)):
            e = self.entries[i]
            if department is not None and e.department != department:
                continue
            scores = [_score(e, w) for w in words]
            if all(scores):  # a word spanning two fields matched the joined text only
                hits.append(Hit(e, sum(scores)))
        hits.sort(key=lambda h: (-h.score, h.entry.department, h.entry.code))
        return hits[:limit]

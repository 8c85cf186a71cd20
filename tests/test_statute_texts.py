"""Every statute text a bundled ruleset quotes is the text of the article it cites.

The articles come from tests/fixtures/statutes (verbatim from the LawRefBook/Laws mirror, source
recorded in each file). A quote matches when, with whitespace, width and punctuation normalised,
each of its pieces (an ellipsis …… marks words left out) occurs in order in the cited article,
paragraph or item. Documents the mirror does not hold are listed, with the reason, in index.yaml.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from discretion.citation import Citation
from tests.helpers.statutes import (
    FIXTURES,
    Quote,
    absent_reason,
    checks_table,
    departments,
    docs_file,
    edition_file,
    load_index,
    load_statute,
    parse_articles,
    quote_mismatch,
    quotes,
)

INDEX = load_index()
QUOTES = quotes()
STATUTES = {p.name: load_statute(p) for p in sorted(FIXTURES.glob("*.md")) if p.name != "README.md"}


@pytest.mark.parametrize("q", QUOTES, ids=[f"{q.ref}:{q.where}" for q in QUOTES])
def test_quote_is_the_text_of_the_cited_article(q: Quote) -> None:
    c = q.citation
    assert c.text is not None
    file = edition_file(INDEX, c.law, q.ref)
    if file is None:
        reason = absent_reason(INDEX, c.law, q.ref)
        assert reason, f"{q.file} {q.where}: 《{c.law}》 has no fixture and is not declared absent"
        return
    assert c.article is not None, f"{q.file} {q.where}: a statute quote must name its article"
    statute = STATUTES[file]
    article = statute.articles.get(c.article)
    assert article is not None, f"{q.file} {q.where}: {file} lacks 第{c.article}条"
    problem = quote_mismatch(article, c, c.text)
    assert problem is None, f"{q.file} {q.where} {c.render()}: {problem}"


def test_fixtures_hold_exactly_the_quoted_articles() -> None:
    wanted: dict[str, set[int]] = defaultdict(set)
    for q in QUOTES:
        file = edition_file(INDEX, q.citation.law, q.ref)
        if file is not None and q.citation.article is not None:
            wanted[file].add(q.citation.article)
    held = {name: set(s.articles) for name, s in STATUTES.items()}
    assert held == dict(wanted)


def test_each_fixture_names_its_source() -> None:
    files = {ed["file"]: (law, ed) for law, eds in INDEX["statutes"].items() for ed in eds}
    for name, statute in STATUTES.items():
        law, ed = files[name]
        h = statute.header
        assert h["law"] == law and h["path"] == ed["path"] and h["edition"] == ed["edition"]
        assert h["repository"] == "https://github.com/LawRefBook/Laws"
        assert re.fullmatch(r"[0-9a-f]{40}", h["commit"])
        assert h["commit"] == INDEX["mirror"]["commit"]


def test_every_absent_document_is_still_quoted_and_says_why() -> None:
    quoted = {(q.citation.law, q.ref) for q in QUOTES}
    for entry in INDEX["absent"]:
        assert entry["reason"].strip()
        refs = entry.get("rulesets")
        assert any(law == entry["law"] and (refs is None or ref in refs) for law, ref in quoted), entry


def test_the_check_rejects_words_the_article_does_not_contain() -> None:
    """The comparison is not vacuous: altered, reordered or misplaced quotes fail."""
    art = parse_articles(
        [
            "第三十二条 当事人有下列情形之一，应当从轻或者减轻行政处罚：",
            "（一）主动消除或者减轻违法行为危害后果的；",
            "（二）受他人胁迫或者诱骗实施违法行为的；",
        ]
    )[32]
    cite = Citation(law="中华人民共和国行政处罚法", article=32, item=2)
    assert quote_mismatch(art, cite, "当事人有下列情形之一，应当从轻或者减轻行政处罚：……（二）受他人胁迫") is None
    assert quote_mismatch(art, cite, "受他人 胁迫或者诱骗实施违法行为的。") is None  # punctuation, spaces
    assert quote_mismatch(art, cite, "主动消除或者减轻违法行为危害后果的") is not None  # another item
    assert quote_mismatch(art, cite, "受他人胁迫实施违法行为的") is not None
    assert quote_mismatch(art, cite, "受他人胁迫……当事人有下列情形之一") is not None  # out of order
    assert quote_mismatch(art, Citation(law="x", article=32, paragraph=2), "当事人") is not None


def test_xingzheng_chufa_fa_31_gen_31_2_quotes_the_article_word_for_word() -> None:
    """GEN-31-2 once read "应当给予行政处罚，但可以从轻或者减轻" — words 第三十一条 does not contain."""
    art = STATUTES["行政处罚法-2021.md"].articles[31]
    [gen] = [
        q
        for q in QUOTES
        if q.ref == "general/2021" and q.where.startswith("lists[") and "尚未完全丧失" in (q.citation.text or "")
    ]
    assert quote_mismatch(art, gen.citation, gen.citation.text or "") is None
    old = (
        "尚未完全丧失辨认或者控制自己行为能力的精神病人、智力残疾人有违法行为的，"
        "应当给予行政处罚，但可以从轻或者减轻行政处罚"
    )
    assert quote_mismatch(art, gen.citation, old) is not None


@pytest.mark.parametrize("department", departments())
def test_docs_sources_mark_every_quoted_text_and_how_it_was_checked(department: str) -> None:
    text = docs_file(department).read_text(encoding="utf-8")
    assert checks_table(department) in text, "run tests/fixtures/statutes/extract.py --docs"

"""Citations written out in a table cell → structured `Citation`s.

《中华人民共和国食品安全法》第一百二十四条第一款第（一）项, several in one cell separated
by line breaks, 、 or 和; 第X条 in Arabic or Chinese numerals; a following 、第X款 / 、第（X）项
shares the title and article before it; text after ： is the quoted provision. A short title
(《条例》, 《食品安全法》) is resolved from the document's own full mentions: a declared
以下简称, or the one full title it abbreviates; when several could be meant, or the cell holds
anything that is not a citation, the reader raises `Unreadable` instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..citation import Citation
from ..numerals import chinese_numeral, parse_chinese_numeral
from .marks import Unreadable

_NUM = r"[0-9０-９]+|[零一二三四五六七八九十百千两〇]+"
_TITLE = re.compile(r"《([^《》\n]{1,200})》")
_DOC = re.compile(r"（([^（）\n]{0,40}?(?:〔\d{4}〕|\[\d{4}\]|令第)[^（）\n]{0,20}?号)）")
_ARTICLE = re.compile(rf"第({_NUM})条")
_PARAGRAPH = re.compile(rf"第({_NUM})款")
_ITEM = re.compile(rf"第?[（(]({_NUM})[）)]项|第({_NUM})项")
_SEP = re.compile(r"[\s、，,；;和及]*(?:以及)?[\s、，,；;]*")
_SHORT = re.compile(r"《([^《》\n]{1,200})》[^《》\n]{0,20}?以下简称[“\"《]*([^”\"》）)\n]{1,30})[”\"》]?")


def number(text: str) -> int:
    """第X条's X: Arabic (full-width too) or Chinese."""
    t = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if t.isdigit():
        return int(t)
    return parse_chinese_numeral(t)


class Titles:
    """Full titles a document mentions, to resolve the short titles it uses elsewhere."""

    def __init__(self, texts: Iterable[str]) -> None:
        #: the one law the document's own title names (《X》行政处罚裁量标准): what a bare 第X条 cites
        self.subject: str | None = None
        self.full: list[str] = []
        self.declared: dict[str, str] = {}
        for text in texts:
            for m in _SHORT.finditer(text):
                self.declared.setdefault(m.group(2).strip('《》“”"'), m.group(1))
            for m in _TITLE.finditer(text):
                if m.group(1) not in self.full:
                    self.full.append(m.group(1))

    def set_subject(self, document_titles: Iterable[str]) -> None:
        """The law a document is the benchmark of, when its title names exactly one (else none)."""
        named = {self.resolve(m.group(1)) for t in document_titles for m in _TITLE.finditer(t)}
        self.subject = named.pop() if len(named) == 1 else None

    def resolve(self, title: str) -> str:
        """The full title a (possibly short) title stands for; Unreadable when it is ambiguous."""
        if title in self.declared:
            return self.declared[title]
        if not _looks_short(title):
            return title
        longer = [t for t in self.full if t != title and t.endswith(title) and len(t) > len(title)]
        if not longer:
            if title in ("条例", "本法", "本条例", "办法", "规定", "法"):
                raise Unreadable(f"简称《{title}》在文件中找不到全称")
            return title
        if len(longer) > 1:
            raise Unreadable(f"简称《{title}》可指 {'、'.join('《' + t + '》' for t in longer)}，不能确定")
        return longer[0]


def _looks_short(title: str) -> bool:
    return not title.startswith("中华人民共和国") and len(title) <= 12


def parse_citations(text: str, titles: Titles) -> list[Citation]:
    """Every citation in a basis cell; Unreadable (with the reason) if any part is not one."""
    out: list[Citation] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if line:
            out.extend(_parse_line(line, titles, out[-1] if out else None))
    if not out:
        raise Unreadable("没有可识别的《名称》第X条引用")
    return out


def _parse_line(line: str, titles: Titles, previous: Citation | None) -> list[Citation]:
    out: list[Citation] = []
    pos = 0
    law: str | None = previous.law if previous else None
    document: str | None = previous.document if previous else None
    article: int | None = previous.article if previous else None
    paragraph: int | None = previous.paragraph if previous else None
    while pos < len(line):
        pos = _SEP.match(line, pos).end()  # type: ignore[union-attr]  # _SEP matches the empty string: never None
        if pos >= len(line):
            break
        m = _TITLE.match(line, pos)
        level = None
        if m:
            law, document, article, paragraph = titles.resolve(m.group(1)), None, None, None
            pos = m.end()
            d = _DOC.match(line, pos)
            if d:
                document, pos = d.group(1), d.end()
            level = "title"
        elif law is None and titles.subject is not None and _ARTICLE.match(line, pos):
            law = titles.subject  # 第三十条 … in the benchmark of 《X》: an article of X
        elif law is None:
            raise Unreadable(f"“{line[pos : pos + 20]}”不是引用（缺少《名称》）")
        item: int | None = None
        a = _ARTICLE.match(line, pos)
        if a:
            article, paragraph, pos, level = _num(a.group(1)), None, a.end(), "article"
        p = _PARAGRAPH.match(line, pos)
        if p:
            if article is None:
                raise Unreadable("第X款之前没有第X条")
            paragraph, pos, level = _num(p.group(1)), p.end(), level or "paragraph"
        i = _ITEM.match(line, pos)
        if i:
            if article is None:
                raise Unreadable("第X项之前没有第X条")
            item, pos, level = _num(i.group(1) or i.group(2)), i.end(), level or "item"
        if level is None:
            raise Unreadable(f"“{line[pos : pos + 20]}”不是引用")
        quoted: str | None = None
        rest = line[pos:]
        if rest[:1] in ("：", ":"):
            quoted = rest[1:].strip() or None
            pos = len(line)
        elif level == "article" and re.match(r"[ \u3000]+[^\s《第、，,；;和及]", rest):
            quoted = rest.strip()  # 第三十条 互联网…: the article as a statute book prints it, number then text
            pos = len(line)
        elif rest and not _SEP.match(rest).group() and not rest.startswith("《"):  # type: ignore[union-attr]  # _SEP matches the empty string: never None
            raise Unreadable(f"引用后的“{rest[:20]}”不能识别")
        try:
            out.append(
                Citation(
                    law=law,
                    document=document,
                    article=article,
                    paragraph=paragraph if article is not None else None,
                    item=item if article is not None else None,
                    text=quoted,
                )
            )
        except ValueError as e:
            raise Unreadable(f"引用的条款号不合法：{e.errors()[0]['msg'] if hasattr(e, 'errors') else e}") from None
    return out


def _num(text: str) -> int:
    try:
        return number(text)
    except ValueError as e:
        raise Unreadable(f"条款号“{text}”不能识别（{e}）") from None


def write_citation(c: Citation) -> str:
    """One citation as a table cell line: the rendering, then ：text when the provision is quoted."""
    head = c.render()
    return f"{head}：{c.text}" if c.text else head


def write_citations(citations: Iterable[Citation]) -> str:
    return "\n".join(write_citation(c) for c in citations)


__all__ = [
    "Titles",
    "chinese_numeral",
    "number",
    "parse_citations",
    "write_citation",
    "write_citations",
]

"""Structured legal citations that render as 《法律名称》第X条第X款第（X）项."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .numerals import chinese_numeral


class Citation(BaseModel):
    """One provision of a law, regulation or published benchmark document.

    `law` is the full title without 书名号; `document` is a document number such as
    粤环发〔2021〕7号 for benchmarks that cite by number rather than by title.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    law: str = Field(min_length=1, description="法律、法规、规章或基准文件名称（不含书名号）")
    article: int | None = Field(default=None, ge=1, le=9999, description="条")
    paragraph: int | None = Field(default=None, ge=1, le=99, description="款")
    item: int | None = Field(default=None, ge=1, le=99, description="项")
    document: str | None = Field(default=None, description="文号，如 粤环发〔2021〕7号")
    text: str | None = Field(default=None, description="条文摘录")

    @field_validator("law")
    @classmethod
    def _no_brackets(cls, v: str) -> str:
        return v.strip().removeprefix("《").removesuffix("》")

    def render(self) -> str:
        """《中华人民共和国行政处罚法》第三十二条第一款第（三）项."""
        return _render(self)

    def _render(self) -> str:
        out = f"《{self.law}》"
        if self.document:
            out += f"（{self.document}）"
        if self.article is not None:
            out += f"第{chinese_numeral(self.article)}条"
        if self.paragraph is not None:
            out += f"第{chinese_numeral(self.paragraph)}款"
        if self.item is not None:
            out += f"第（{chinese_numeral(self.item)}）项"
        return out

    def __str__(self) -> str:
        return self.render()


@lru_cache(maxsize=4096)
def _render(c: Citation) -> str:
    return c._render()


_BY_IDENTITY: dict[int, tuple[object, str]] = {}


def render_all(citations: list[Citation] | tuple[Citation, ...]) -> str:
    """Several citations joined the way decisions list them: 《A》第一条、《B》第二条.

    Ruleset models are immutable, so a basis list renders once: the cache holds the list
    itself, which keeps its id from being reused.
    """
    hit = _BY_IDENTITY.get(id(citations))
    if hit is not None and hit[0] is citations:
        return hit[1]
    text = _render_all(tuple(citations))
    if isinstance(citations, list) and len(_BY_IDENTITY) < 100_000:
        _BY_IDENTITY[id(citations)] = (citations, text)
    return text


@lru_cache(maxsize=4096)
def _render_all(citations: tuple[Citation, ...]) -> str:
    seen: list[str] = []
    for c in citations:
        r = c.render()
        if r not in seen:
            seen.append(r)
    return "、".join(seen)

"""Citations render as 《法律名称》第X条第X款第（X）项 with Chinese numerals."""

import pytest

from discretion import Citation
from discretion.numerals import chinese_numeral


@pytest.mark.parametrize(
    "n, text",
    [
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (36, "三十六"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (124, "一百二十四"),
        (136, "一百三十六"),
        (1000, "一千"),
        (1005, "一千零五"),
        (1010, "一千零一十"),
    ],
)
def test_chinese_numerals(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


def test_citation_renders_law_article_paragraph_item() -> None:
    c = Citation(law="中华人民共和国行政处罚法", article=32, paragraph=1, item=3)
    assert c.render() == "《中华人民共和国行政处罚法》第三十二条第一款第（三）项"


def test_citation_strips_book_title_marks() -> None:
    assert (
        Citation(law="《中华人民共和国食品安全法》", article=124).render()
        == "《中华人民共和国食品安全法》第一百二十四条"
    )


def test_citation_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError):
        Citation.model_validate({"law": "x", "artcle": 3})

"""Numbers as benchmark tables write them: 5000元, 5万元, 6.5万元, 五万元, 一百万元, 百分之三十.

Exact (Decimal); a number that cannot be read exactly (二万五, 5千万余) raises `Unreadable`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import cast

from ..numerals import parse_chinese_numeral
from .marks import Unreadable

#: one number: Arabic (with decimals, thousands commas), or Chinese; optionally 万 / 亿 after Arabic
NUMBER = r"(?:[0-9０-９][0-9０-９,]*(?:[.．][0-9０-９]+)?(?:万|亿)?|[零一二三四五六七八九十百千万亿两〇]+)"
PERCENT = rf"(?:百分之{NUMBER}|{NUMBER}[%％])"

_FULL = str.maketrans("０１２３４５６７８９．", "0123456789.")


def parse_number(text: str) -> Decimal:
    """5万 → 50000, 6.5万 → 65000, 五万 → 50000, 1,000 → 1000."""
    t = text.translate(_FULL).replace(",", "").replace("，", "")
    scale = Decimal(1)
    if t and t[-1] in "万亿" and re.match(r"^[0-9.]+[万亿]$", t):
        scale = Decimal(10_000) if t[-1] == "万" else Decimal(100_000_000)
        t = t[:-1]
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", t):
        try:  # digits as written (10.0 stays 10.0: a ruleset's content hash depends on it)
            return Decimal(t) if scale == 1 else _normal(Decimal(t) * scale)
        except InvalidOperation:
            raise Unreadable(f"数字“{text}”不能识别") from None
    try:
        return Decimal(parse_chinese_numeral(t))
    except ValueError as e:
        raise Unreadable(f"数字“{text}”不能确定（{e}）") from None


def parse_percent(text: str) -> Decimal:
    """百分之三十 / 30% → 0.3."""
    t = text.strip()
    if t.startswith("百分之"):
        return _normal(parse_number(t[3:]) / 100)
    return _normal(parse_number(t.rstrip("%％")) / 100)


def _normal(d: Decimal) -> Decimal:
    """An integral value without exponent or trailing zeros (65000, not 6.5E+4 or 65000.0)."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def write_number(d: Decimal | int | float | str) -> str:
    """The decimal digits of an exact number as it is held (no exponent; 10.0 stays 10.0)."""
    value = Decimal(str(d))
    exponent = cast(int, value.as_tuple().exponent)  # a str only for NaN and infinities: the <= raises on them
    return format(value, "f") if exponent <= 0 else format(_normal(value), "f")

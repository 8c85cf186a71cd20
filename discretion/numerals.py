"""Chinese numerals for citations: 第一百二十四条, 第（三）项."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_numeral(n: int) -> str:
    """Render 0 < n < 10000 the way statutes number articles (十一, 一百零一, 一百一十)."""
    if not 0 < n < 10000:
        raise ValueError(f"article numbers run from 1 to 9999, got {n}")
    out: list[str] = []
    rest = n
    pending_zero = False
    for unit, name in _UNITS:
        digit, rest = divmod(rest, unit)
        if digit:
            if pending_zero:
                out.append("零")
                pending_zero = False
            # 十 alone at the head (十一), but 一十 inside a larger number (一百一十)
            if not (unit == 10 and digit == 1 and not out):
                out.append(_DIGITS[digit])
            out.append(name)
        elif out:
            pending_zero = True
    if rest:
        if pending_zero:
            out.append("零")
        out.append(_DIGITS[rest])
    return "".join(out)

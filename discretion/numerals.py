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


_VALUES = {c: i for i, c in enumerate(_DIGITS)} | {"两": 2, "〇": 0}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}


def parse_chinese_numeral(text: str) -> int:
    """The integer a Chinese numeral writes (一百二十四, 十一, 二万五千, 两千); ValueError otherwise.

    Colloquial forms that drop a unit (一百五 for 150, 二万五 for 25,000) are refused, not guessed.
    """
    if not text or any(ch not in _VALUES and ch not in _SMALL_UNITS and ch not in _BIG_UNITS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, section, digit, prev = 0, 0, None, ""
    for ch in text:
        if ch in _VALUES:
            value = _VALUES[ch]
            if value and digit is not None:
                raise ValueError(f"two digits in a row in {text!r}")
            if not value:
                prev = "零"
            digit = value or None
            continue
        if ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
        else:
            section += digit or 0
            if section == 0:
                raise ValueError(f"{ch} without a number in {text!r}")
            total += section * _BIG_UNITS[ch]
            section = 0
        digit, prev = None, ch
    if digit is not None and prev in ("百", "千", "万", "亿"):
        raise ValueError(f"{text!r} drops a unit after {prev}: write 零 or the unit")
    return total + section + (digit or 0)

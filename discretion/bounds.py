"""Bounds every input meets before any work starts: numbers, money, dates, strings.

Why: one short value must not cost the service more than a short answer. `Decimal("1e300000")`
is quick to read but turning it into an int, quantizing or comparing it against a scaled
threshold is not, and a 1 MB digit string is slow to read at all. So a number is refused by
its length, its digits and its exponent before arithmetic sees it; money has an upper bound
the statutes can reach (10^12 yuan) and at most two decimals; dates stay in a range where
date arithmetic (the limitation, 第三十六条) cannot overflow; strings that PostgreSQL or a
UTF-8 encoder cannot hold (NUL, lone surrogates) are refused where they enter.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation, localcontext

#: the longest text accepted as a number (digits, sign, point, exponent)
MAX_NUMBER_TEXT = 40
#: the largest magnitude of any number fact or constant (10^15: beyond every count, ratio, size)
MAX_NUMBER = Decimal(10) ** 15
#: fraction digits of a number fact or constant (0.1 + 0.2 as a float has 17)
MAX_NUMBER_DECIMALS = 20
#: money: the largest amount (10^12 yuan, above every statutory maximum) and its decimals (fen)
MAX_MONEY = Decimal(10) ** 12
MONEY_DECIMALS = 2
#: dates: the limitation adds up to twenty years to these, far from datetime's year 9999
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BoundError(ValueError):
    """A value outside the bounds; the message says which bound (the caller names the field)."""


def number_text(raw: object, *, what: str = "number") -> str:
    """The text of a numeric value, refused if too long to be a real amount (checked before parsing)."""
    if isinstance(raw, Decimal):
        text = format(raw)  # may be long only if built from a long text: bounded the same way
    elif isinstance(raw, float):
        text = repr(raw)  # the shortest text that reads back as the same float (the documented conversion)
    elif isinstance(raw, int):
        if raw.bit_length() > 3 * MAX_NUMBER_TEXT:  # ~36 digits: no str() of a huge int
            raise BoundError(f"{what} has too many digits")
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip()
    else:
        raise BoundError(f"expected a {what}, got {type(raw).__name__}")
    if len(text) > MAX_NUMBER_TEXT:
        raise BoundError(f"{what} is longer than {MAX_NUMBER_TEXT} characters")
    return text


def bounded_decimal(
    raw: object, *, what: str = "number", limit: Decimal = MAX_NUMBER, decimals: int = MAX_NUMBER_DECIMALS
) -> Decimal:
    """A finite Decimal with |value| <= limit and at most `decimals` fraction digits."""
    text = number_text(raw, what=what)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(text)
    except (InvalidOperation, ValueError):
        raise BoundError(f"{text!r} is not a {what}") from None
    if not value.is_finite():
        raise BoundError(f"{text!r} is not a finite {what}")
    # the exponent is checked before any arithmetic: 1e300000 never reaches a comparison or an int()
    if value.adjusted() > 40 or abs(value) > limit:
        raise BoundError(f"{what} {text} is larger than the bound {limit:,}")
    with localcontext() as ctx:
        ctx.prec = 2 * MAX_NUMBER_TEXT + 10  # exact for every value that passed the checks above
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent < -decimals:
            if value.adjusted() < -decimals - 1:  # 1e-300000: nothing to round, just too small a unit
                raise BoundError(f"{what} has at most {decimals} decimals, got {text}")
            exact = value.quantize(Decimal(1).scaleb(-decimals))
            if exact != value:
                raise BoundError(f"{what} has at most {decimals} decimals, got {text}")
            value = exact  # 1.50000 → 1.50: only trailing zeros were dropped
    return value


def bounded_int(raw: object, *, what: str = "integer", limit: Decimal = MAX_NUMBER) -> int:
    """A whole number with |value| <= limit (from int, Decimal or text; floats only if whole)."""
    if isinstance(raw, bool):
        raise BoundError(f"expected an {what}, got bool")
    value = bounded_decimal(raw, what=what, limit=limit)
    if value != value.to_integral_value():
        raise BoundError(f"{raw!r} is not an {what}")
    return int(value)


def check_date(value: dt.date, *, what: str = "date") -> dt.date:
    """A date between 1900-01-01 and 2999-12-31 (so that limitation arithmetic never overflows)."""
    if not MIN_DATE <= value <= MAX_DATE:
        raise BoundError(f"{what} {value} is outside {MIN_DATE} … {MAX_DATE}")
    return value


def check_text(value: str, *, what: str = "text") -> str:
    """Text that every store and encoder can hold: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise BoundError(f"{what} contains a NUL character")
    if _LONE_SURROGATE.search(value):
        raise BoundError(f"{what} contains a lone surrogate (not valid Unicode text)")
    return value

"""Money is Decimal yuan with at most two decimals (fen); never float."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .bounds import MAX_MONEY, MONEY_DECIMALS, BoundError, bounded_decimal

FEN = Decimal("0.01")


def to_money(value: object, *, field: str = "amount") -> Decimal:
    """Parse a yuan amount (int, Decimal or numeric string); floats are refused as inexact.

    Bounded before any arithmetic (bounds.py): at most 40 characters, at most 10^12 yuan, at
    most two decimals (fen)."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{field}: money must be given as an integer or a decimal string, not {type(value).__name__}")
    try:
        amount = bounded_decimal(value, what="money", limit=MAX_MONEY, decimals=MONEY_DECIMALS)
    except BoundError as e:
        raise ValueError(f"{field}: {e}") from None
    if amount < 0:
        raise ValueError(f"{field}: money cannot be negative ({value})")
    return amount


def to_fen(amount: Decimal) -> int:
    """Integer fen, the form durable_rules accepts (it refuses Decimal and we refuse float)."""
    return int((amount * 100).to_integral_value())


_ONE = Decimal(1)


def normalise(amount: Decimal) -> Decimal:
    """Drop trailing zeros but keep whole yuan as integers: 50000, 1234.5."""
    whole = amount.to_integral_value()
    return whole.quantize(_ONE) if amount == whole else amount.quantize(FEN).normalize()


def round_within(amount: Decimal, step: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """Round to the nearest multiple of `step` (half up), staying inside [low, high].

    If the nearest multiple falls outside, take the multiple on the inside; if no multiple
    of `step` lies inside the range at all, the unrounded amount stands.
    """
    if step <= 0:
        return min(max(amount, low), high)
    rounded = (amount / step).quantize(_ONE, rounding=ROUND_HALF_UP) * step
    if rounded < low:
        rounded = (low / step).quantize(_ONE, rounding=ROUND_CEILING) * step
    if rounded > high:
        rounded = (high / step).quantize(_ONE, rounding=ROUND_FLOOR) * step
    if rounded < low or rounded > high:
        rounded = min(max(amount, low), high)
    return rounded.quantize(FEN)


def yuan_text(amount: Decimal) -> str:
    """An amount as decisions write it, to the fen without trailing zeros: 50,000元, 189,764.9元.

    The same text as f"{normalise(amount):,}元", formatted in one step (it is on every trace)."""
    t = f"{amount:,.2f}"
    if t[-1] == "0":
        t = t[:-3] if t[-2] == "0" else t[:-1]
    return t + "元"

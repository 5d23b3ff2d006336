"""Money, prices and quantities as Decimal."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Convert a str/int/float/Decimal to Decimal (floats through their repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def quantize(value: Decimal, increment: Decimal) -> Decimal:
    """Round a value to an instrument's increment (banker's rounding)."""
    return (value / increment).to_integral_value(ROUND_HALF_EVEN) * increment


def money(value: object) -> Decimal:
    """Round to cents."""
    return to_decimal(value).quantize(CENT, ROUND_HALF_EVEN)

"""Decimal rounding helpers for prices and quantities (private)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10_000)


def floor_to(value: Decimal, increment: Decimal) -> Decimal:
    """Round ``value`` down to a multiple of ``increment``."""
    return (value / increment).to_integral_value(ROUND_FLOOR) * increment


def ceil_to(value: Decimal, increment: Decimal) -> Decimal:
    """Round ``value`` up to a multiple of ``increment``."""
    return (value / increment).to_integral_value(ROUND_CEILING) * increment


def is_multiple(value: Decimal, increment: Decimal) -> bool:
    """Tell whether ``value`` is an exact multiple of ``increment``."""
    return (value % increment) == ZERO


def plain(value: Decimal) -> str:
    """Format a Decimal without exponent or trailing zeros (stable for ids)."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text

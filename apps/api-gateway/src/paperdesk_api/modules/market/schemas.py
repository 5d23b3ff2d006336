"""Market-data schemas."""

from __future__ import annotations

from decimal import Decimal

from pydantic import field_serializer

from paperdesk_api.kit.schemas import Schema


class Instrument(Schema):
    symbol: str
    name: str
    asset_class: str
    exchange: str
    currency: str
    source: str
    tick_size: Decimal
    tradable: bool

    @field_serializer("tick_size")
    def _tick_size(self, value: Decimal) -> str:
        return format(value.normalize(), "f")


class Quote(Schema):
    """The latest quote; decimals as strings, ``ts`` ISO-8601 UTC."""

    symbol: str
    price: str
    bid: str | None = None
    ask: str | None = None
    size: str | None = None
    ts: str
    source: str
    prev_close: str | None = None
    change: str | None = None
    change_pct: str | None = None


class Bar(Schema):
    """One OHLCV bar; ``t`` is the bar's open time."""

    t: str
    o: str
    h: str
    l: str  # noqa: E741  (the wire name)
    c: str
    v: str

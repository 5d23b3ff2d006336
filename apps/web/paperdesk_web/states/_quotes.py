"""Pure view logic for quotes: formatting decimal strings and building tiles."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

SPARK_POINTS = 60
SYNTHETIC_SOURCES = frozenset({"sim", "synthetic"})
_SOURCE_LABELS = {
    "sim": "SIM · synthetic",
    "replay": "Replay · historical",
    "finnhub": "Finnhub",
    "alphavantage": "Alpha Vantage",
    "yfinance": "Yahoo Finance",
}


@dataclasses.dataclass(frozen=True)
class QuoteView:
    """A quote as the dashboard shows it (every field is display text)."""

    symbol: str
    price: str = "—"
    change: str = ""
    change_pct: str = ""
    direction: str = "flat"  # up | down | flat
    source: str = ""
    source_label: str = ""
    synthetic: bool = False
    ts: str = ""


@dataclasses.dataclass(frozen=True)
class Tile:
    """One watchlist tile: the symbol, its latest quote and its sparkline."""

    symbol: str
    name: str
    price: str
    change: str
    change_pct: str
    direction: str
    source_label: str
    synthetic: bool
    has_quote: bool
    ts: str  # time of the quote (ISO-8601 UTC), for freshness checks
    spark: list[dict[str, float]]  # chart points {"i": index, "p": price}


def to_decimal(value: Any) -> Decimal | None:
    """Parse an API money value (decimal string or number); None when absent or invalid."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def price_places(price: Decimal) -> int:
    """Decimal places to show for a price: cents from 10 up, pipettes below (FX, small coins)."""
    return 2 if abs(price) >= 10 else 5


def format_price(value: Any) -> str:
    """Format a price like `1,234.56` (or `1.08523` below 10)."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return f"{number:,.{price_places(number)}f}"


def format_change(change: Decimal, places: int) -> str:
    """Format a signed change like `+1.23` / `-0.45`."""
    return f"{change:+,.{places}f}"


def format_pct(pct: Decimal) -> str:
    """Format a signed percentage like `+0.65%`."""
    return f"{pct:+.2f}%"


def source_label(source: str) -> str:
    """Human label of a data source; synthetic data says so."""
    if not source:
        return ""
    return _SOURCE_LABELS.get(source.lower(), source)


def quote_view(quote: Mapping[str, Any]) -> QuoteView:
    """Build the display form of an API quote.

    The change is computed from `price` and `prev_close` when both exist (one formula
    for REST and stream quotes); otherwise the API's `change`/`change_pct` are used.
    """
    symbol = str(quote.get("symbol", ""))
    price = to_decimal(quote.get("price"))
    source = str(quote.get("source") or "")
    base = QuoteView(
        symbol=symbol,
        source=source,
        source_label=source_label(source),
        synthetic=source.lower() in SYNTHETIC_SOURCES,
        ts=str(quote.get("ts") or ""),
    )
    if price is None:
        return base
    places = price_places(price)
    prev_close = to_decimal(quote.get("prev_close"))
    change: Decimal | None
    pct: Decimal | None
    if prev_close is not None and prev_close != 0:
        change = price - prev_close
        pct = change / prev_close * 100
    else:
        change = to_decimal(quote.get("change"))
        pct = to_decimal(quote.get("change_pct"))
    if change is not None:
        # Colour by the change as shown, so "+0.00" is never painted green.
        change = round(change, places)
    direction = "flat"
    if change is not None and change > 0:
        direction = "up"
    elif change is not None and change < 0:
        direction = "down"
    return dataclasses.replace(
        base,
        price=f"{price:,.{places}f}",
        change=format_change(change, places) if change is not None else "",
        change_pct=format_pct(pct) if pct is not None else "",
        direction=direction,
    )


def spark_values(prices: Iterable[Any], limit: int = SPARK_POINTS) -> list[float]:
    """Parse sparkline prices (decimal strings) into floats for the chart, newest last."""
    values = [float(number) for p in prices if (number := to_decimal(p)) is not None]
    return values[-limit:]


def push_spark(values: list[float], price: Any, limit: int = SPARK_POINTS) -> list[float]:
    """Append a live price to a sparkline, keeping at most `limit` points."""
    number = to_decimal(price)
    if number is None:
        return values
    return [*values, float(number)][-limit:]


def build_tiles(
    symbols: Iterable[str],
    quotes: Mapping[str, QuoteView],
    sparks: Mapping[str, list[float]],
    names: Mapping[str, str] | None = None,
) -> list[Tile]:
    """Build the tiles of a watchlist in its order."""
    tiles = []
    for symbol in symbols:
        view = quotes.get(symbol) or QuoteView(symbol=symbol)
        tiles.append(
            Tile(
                symbol=symbol,
                name=(names or {}).get(symbol, ""),
                price=view.price,
                change=view.change,
                change_pct=view.change_pct,
                direction=view.direction,
                source_label=view.source_label,
                synthetic=view.synthetic,
                has_quote=view.price != "—",
                ts=view.ts,
                spark=[{"i": i, "p": p} for i, p in enumerate(sparks.get(symbol, []))],
            )
        )
    return tiles

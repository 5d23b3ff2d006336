"""The latest quote of each symbol in Redis: written by ingestion, read by the API.

``md:quote:<SYMBOL>`` is a hash with ``price, bid, ask, size, ts_event, ts_init, source,
prev_close`` (decimals as strings, times as int ns). Each update is also announced as JSON
on the pub/sub channel ``md:quotes:<SYMBOL>`` for WebSocket fan-out, and a sampled recent
price history for sparklines is kept in the list ``md:spark:<SYMBOL>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paperdesk_core.clock import ns_to_datetime
from paperdesk_core.contracts.events import MarketTick
from paperdesk_core.contracts.streams import prev_close_key, quote_channel, quote_key, spark_key

SPARK_POINTS = 120


@dataclass(frozen=True)
class Quote:
    symbol: str
    price: Decimal
    bid: Decimal | None
    ask: Decimal | None
    size: Decimal
    ts_event: int
    source: str
    prev_close: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        return None if self.prev_close is None else self.price - self.prev_close

    @property
    def change_pct(self) -> Decimal | None:
        if not self.prev_close:
            return None
        return (self.price / self.prev_close - 1) * 100

    def to_api(self) -> dict[str, Any]:
        """The API's quote object (decimals as strings, time ISO-8601 UTC)."""
        change, pct = self.change, self.change_pct
        return {
            "symbol": self.symbol,
            "price": str(self.price),
            "bid": None if self.bid is None else str(self.bid),
            "ask": None if self.ask is None else str(self.ask),
            "size": str(self.size),
            "ts": ns_to_datetime(self.ts_event).isoformat().replace("+00:00", "Z"),
            "source": self.source,
            "prev_close": None if self.prev_close is None else str(self.prev_close),
            "change": None if change is None else str(change),
            "change_pct": None if pct is None else str(round(pct, 4)),
        }


def _tick_fields(t: MarketTick) -> dict[str, str]:
    fields = {
        "symbol": t.symbol,
        "price": str(t.price),
        "size": str(t.size),
        "ts_event": str(t.ts_event),
        "ts_init": str(t.ts_init),
        "source": t.source,
    }
    if t.bid is not None:
        fields["bid"] = str(t.bid)
    if t.ask is not None:
        fields["ask"] = str(t.ask)
    return fields


def write_quotes(pipe: Any, ticks: Iterable[MarketTick], *, spark: bool = False) -> None:
    """Queue latest-quote updates (last tick per symbol wins) on a Redis pipeline.

    With ``spark`` set, also append each symbol's price to its sparkline list.
    """
    latest: dict[str, MarketTick] = {}
    for t in ticks:
        latest[t.symbol] = t
    for sym, t in latest.items():
        fields = _tick_fields(t)
        pipe.hset(quote_key(sym), mapping=fields)
        pipe.publish(quote_channel(sym), json.dumps(fields))
        if spark:
            pipe.rpush(spark_key(sym), str(t.price))
            pipe.ltrim(spark_key(sym), -SPARK_POINTS, -1)


def set_prev_close(pipe: Any, symbol: str, price: Decimal) -> None:
    """Record the previous session's close of a symbol."""
    pipe.set(prev_close_key(symbol), str(price))


def _dec(raw: Any) -> Decimal | None:
    if raw is None or raw == b"" or raw == "":
        return None
    return Decimal(raw.decode() if isinstance(raw, bytes) else str(raw))


def parse_quote(symbol: str, fields: dict[Any, Any], prev_close: Any = None) -> Quote | None:
    """Build a Quote from a ``md:quote:`` hash (bytes or str keys); None when empty."""
    if not fields:
        return None
    f = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
    price = _dec(f.get("price"))
    if price is None:
        return None
    src = f.get("source", b"")
    return Quote(
        symbol=symbol.upper(),
        price=price,
        bid=_dec(f.get("bid")),
        ask=_dec(f.get("ask")),
        size=_dec(f.get("size")) or Decimal(0),
        ts_event=int(f.get("ts_event", 0)),
        source=src.decode() if isinstance(src, bytes) else str(src),
        prev_close=_dec(prev_close),
    )


def read_quotes(client: Any, symbols: Sequence[str]) -> dict[str, Quote | None]:
    """Read the latest quotes of several symbols in one round trip."""
    pipe = client.pipeline(transaction=False)
    for s in symbols:
        pipe.hgetall(quote_key(s))
        pipe.get(prev_close_key(s))
    replies = pipe.execute()
    return {
        s.upper(): parse_quote(s, replies[2 * i], replies[2 * i + 1]) for i, s in enumerate(symbols)
    }


def read_sparks(client: Any, symbols: Sequence[str]) -> dict[str, list[Decimal]]:
    """Read recent sparkline prices of several symbols."""
    pipe = client.pipeline(transaction=False)
    for s in symbols:
        pipe.lrange(spark_key(s), 0, -1)
    return {
        s.upper(): [Decimal(v.decode() if isinstance(v, bytes) else v) for v in vals]
        for s, vals in zip(symbols, pipe.execute(), strict=True)
    }

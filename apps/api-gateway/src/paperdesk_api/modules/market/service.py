"""Market data: instruments, latest quotes (Redis) and historical bars."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from paperdesk_core.clock import ns_to_datetime
from paperdesk_core.contracts.streams import prev_close_key, quote_key, spark_key
from paperdesk_core.db.models import Instrument
from paperdesk_core.marketdata.quotes import Quote, parse_quote
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from paperdesk_api.errors import Invalid, NotFound, Unavailable
from paperdesk_api.modules.market._instruments import InstrumentInfo, instruments
from paperdesk_api.modules.market.repository import InstrumentRepository

Timeframe = Literal["1m", "5m", "1h", "1d"]
MAX_QUOTES_PER_CALL = 200


@dataclass(frozen=True)
class Snapshot:
    """A symbol's latest quote (None before the first tick) and recent sparkline prices."""

    quote: Quote | None
    spark: list[Decimal]


def read_snapshots(client: Any, symbols: Sequence[str]) -> dict[str, Snapshot]:
    """Read quotes, previous closes and sparklines of several symbols in one round trip."""
    if not symbols:
        return {}
    pipe = client.pipeline(transaction=False)
    for s in symbols:
        pipe.hgetall(quote_key(s))
        pipe.get(prev_close_key(s))
        pipe.lrange(spark_key(s), 0, -1)
    replies = pipe.execute()
    out: dict[str, Snapshot] = {}
    for i, s in enumerate(symbols):
        fields, prev, spark = replies[3 * i : 3 * i + 3]
        out[s.upper()] = Snapshot(
            quote=parse_quote(s, fields, prev),
            spark=[Decimal(v.decode() if isinstance(v, bytes) else v) for v in spark],
        )
    return out


async def aread_quotes(client: Any, symbols: Sequence[str]) -> dict[str, Quote | None]:
    """Async ``read_quotes``: latest quotes with previous closes, one round trip."""
    if not symbols:
        return {}
    pipe = client.pipeline(transaction=False)
    for s in symbols:
        pipe.hgetall(quote_key(s))
        pipe.get(prev_close_key(s))
    replies = await pipe.execute()
    return {
        s.upper(): parse_quote(s, replies[2 * i], replies[2 * i + 1]) for i, s in enumerate(symbols)
    }


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):  # int ns since the epoch
        return _iso(ns_to_datetime(value))
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return _iso(value.to_pydatetime())
    return str(value)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _bar(row: Mapping[str, Any]) -> dict[str, str]:
    return {
        "t": _iso(row["t"]),
        "o": _num(row["o"]),
        "h": _num(row["h"]),
        "l": _num(row["l"]),
        "c": _num(row["c"]),
        "v": _num(row["v"]),
    }


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bars_function() -> Callable[..., list[dict[str, Any]]]:
    try:
        module = importlib.import_module("paperdesk_core.marketdata.bars")
    except ImportError as exc:
        raise Unavailable("historical bars are not available", code="bars_unavailable") from exc
    fn: Callable[..., list[dict[str, Any]]] = module.get_bars
    return fn


class MarketService:
    def list_instruments(self, session: Session, *, q: str | None) -> Sequence[Instrument]:
        """Instruments matching a search on symbol and name (all without ``q``)."""
        return InstrumentRepository.from_session(session).search(q.strip() if q else None)

    def require_instrument(self, symbol: str) -> InstrumentInfo:
        """Return a known instrument (from the in-process cache).

        Raises:
            NotFound: no such instrument (``unknown_symbol``).
        """
        info = instruments.get(symbol) if len(symbol) <= 64 else None
        if info is None:
            raise NotFound(f"unknown symbol {symbol[:64]!r}", code="unknown_symbol")
        return info

    async def arequire_instrument(self, symbol: str) -> InstrumentInfo:
        """``require_instrument`` for the event loop (a cache reload runs in a thread)."""
        info = await instruments.aget(symbol) if len(symbol) <= 64 else None
        if info is None:
            raise NotFound(f"unknown symbol {symbol[:64]!r}", code="unknown_symbol")
        return info

    async def get_quote(self, redis: Any, symbol: str) -> dict[str, Any]:
        """The latest quote of a symbol (async: the hot path never leaves the event loop).

        Raises:
            NotFound: ``unknown_symbol``, or ``no_quote`` before the symbol's first tick.
        """
        info = await self.arequire_instrument(symbol)
        quote = (await aread_quotes(redis, [info.symbol]))[info.symbol.upper()]
        if quote is None:
            raise NotFound(f"no quote yet for {info.symbol}", code="no_quote")
        return quote.to_api()

    async def get_quotes(self, redis: Any, symbols: Sequence[str] | None) -> list[dict[str, Any]]:
        """Latest quotes of several symbols (every instrument without a list).

        Symbols without a quote yet are left out.
        """
        if symbols:
            if len(symbols) > MAX_QUOTES_PER_CALL:
                raise Invalid(f"at most {MAX_QUOTES_PER_CALL} symbols per call")
            infos = [await self.arequire_instrument(s) for s in symbols]
            wanted = list(dict.fromkeys(i.symbol for i in infos))
        else:
            wanted = [i.symbol for i in await run_in_threadpool(instruments.all)]
        quotes = await aread_quotes(redis, wanted)
        return [q.to_api() for s in wanted if (q := quotes[s.upper()]) is not None]

    def get_bars(
        self,
        symbol: str,
        *,
        timeframe: Timeframe,
        start: datetime | None,
        end: datetime | None,
        limit: int | None,
    ) -> list[dict[str, str]]:
        """OHLCV bars of a symbol (synthetic, Parquet or shipped real history).

        Raises:
            NotFound: not an instrument (``unknown_symbol``).
            Invalid: ``start`` after ``end``, or the bars source refuses the request.
        """
        info = self.require_instrument(symbol)
        start, end = _as_utc(start), _as_utc(end)
        if start and end and start > end:
            raise Invalid("start must not be after end", code="invalid_range")
        get_bars = _bars_function()
        try:
            rows = get_bars(info.symbol, timeframe, start, end, limit)
        except LookupError:
            return []  # a listed instrument without any history yet
        except ValueError as exc:
            raise Invalid(str(exc), code="invalid_bars_request") from exc
        return [_bar(r) for r in rows]


market = MarketService()

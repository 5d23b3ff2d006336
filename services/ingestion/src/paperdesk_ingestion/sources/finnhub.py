"""Finnhub: the trade WebSocket for live ticks and the REST quote (finnhub-python).

WebSocket protocol (``wss://ws.finnhub.io?token=KEY``): the client sends
``{"type":"subscribe","symbol":"AAPL"}`` per symbol; the server sends
``{"type":"trade","data":[{"s":"AAPL","p":228.5,"t":1700000000000,"v":100}]}`` (``t`` in
ms) and ``{"type":"ping"}`` keep-alives. The adapter reconnects with exponential backoff
and jitter, subscribes again after every reconnect, and counts malformed messages instead
of failing on them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import websockets
from paperdesk_core.clock import Clock, LiveClock

from paperdesk_ingestion._aio import sleep_or_stop
from paperdesk_ingestion.batch import TickBatch
from paperdesk_ingestion.sources.base import Capabilities, TickSource

log = logging.getLogger(__name__)

# Our symbol -> Finnhub's (equities and ETFs are the same).
DEFAULT_SYMBOL_MAP: dict[str, str] = {
    "BTCUSD": "BINANCE:BTCUSDT",
    "ETHUSD": "BINANCE:ETHUSDT",
    "EURUSD": "OANDA:EUR_USD",
    "GBPUSD": "OANDA:GBP_USD",
}


class MalformedMessage(ValueError):
    """A WebSocket message that does not follow the Finnhub protocol."""


@dataclass
class FeedMetrics:
    """Counters of one feed connection's life (exported by the service's logs/metrics)."""

    messages: int = 0
    trades: int = 0
    pings: int = 0
    malformed: int = 0
    ignored: int = 0
    server_errors: int = 0
    connects: int = 0
    reconnects: int = 0


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with +-50% jitter: ``base * 2**attempt`` capped at ``cap``."""
    return min(cap, base * 2.0**attempt) * rng.uniform(0.5, 1.5)


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise MalformedMessage(f"not a number: {x!r}")
    f = float(x)
    if not math.isfinite(f):
        raise MalformedMessage(f"not finite: {x!r}")
    return f


class FinnhubSource(TickSource):
    name = "finnhub"
    _has: ClassVar[Capabilities] = {
        "streaming": True,
        "quotes": True,
        "needs_api_key": True,
        "needs_network": True,
        "any_symbol": True,
    }

    def __init__(
        self,
        symbols: Sequence[str],
        *,
        api_key: str,
        ws_url: str = "wss://ws.finnhub.io",
        rest_url: str | None = None,
        symbol_map: Mapping[str, str] | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        recv_timeout_s: float = 1.0,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        self._symbols = [s.upper() for s in symbols]
        self.api_key = api_key
        self.ws_url = ws_url
        self.rest_url = rest_url
        mapping = {**DEFAULT_SYMBOL_MAP, **(symbol_map or {})}
        self._vendor = {s: mapping.get(s, s) for s in self._symbols}
        self._ours = {v: s for s, v in self._vendor.items()}
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.recv_timeout_s = recv_timeout_s
        self.clock: Clock = clock or LiveClock()
        self.metrics = FeedMetrics()
        self._rng = random.Random(seed)  # jitter only, not security relevant

    def symbols(self) -> list[str]:
        return list(self._symbols)

    def vendor_symbol(self, symbol: str) -> str:
        return self._vendor.get(symbol.upper(), symbol)

    @property
    def url(self) -> str:
        sep = "&" if "?" in self.ws_url else "?"
        return f"{self.ws_url}{sep}token={self.api_key}"

    def subscribe_messages(self) -> list[str]:
        return [json.dumps({"type": "subscribe", "symbol": v}) for v in self._vendor.values()]

    def parse(self, raw: str | bytes) -> TickBatch | None:
        """Turn one message into a batch (None for pings and other non-trade messages).

        Raises:
            MalformedMessage: not JSON, not an object, or a trade message with bad fields.
        """
        try:
            msg = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedMessage(f"not JSON: {exc}") from exc
        if not isinstance(msg, dict):
            raise MalformedMessage("not a JSON object")
        kind = msg.get("type")
        if kind == "ping":
            self.metrics.pings += 1
            return None
        if kind == "error":
            self.metrics.server_errors += 1
            log.error("finnhub error: %s", msg.get("msg"))
            return None
        if kind != "trade":
            if kind is None:
                raise MalformedMessage("message without a type")
            self.metrics.ignored += 1
            return None
        data = msg.get("data")
        if not isinstance(data, list):
            raise MalformedMessage("trade message without a data list")
        now = self.clock.timestamp_ns()
        syms: list[str] = []
        prices: list[float] = []
        sizes: list[float] = []
        times: list[int] = []
        for item in data:
            sym = item.get("s") if isinstance(item, dict) else None
            if not isinstance(sym, str) or not sym:
                raise MalformedMessage(f"bad trade: {item!r:.200}")
            price, size, t = _number(item.get("p")), _number(item.get("v")), item.get("t")
            if price <= 0 or size < 0 or isinstance(t, bool) or not isinstance(t, int):
                raise MalformedMessage(f"bad trade: {item!r:.200}")
            syms.append(self._ours.get(sym, sym))
            prices.append(price)
            sizes.append(size)
            times.append(t * 1_000_000)
        if not syms:
            return None
        self.metrics.trades += len(syms)
        nan = np.full(len(syms), np.nan)
        return TickBatch(
            source=self.name,
            symbol=np.array(syms, dtype=object),
            price=np.array(prices, dtype=np.float64),
            size=np.array(sizes, dtype=np.float64),
            bid=nan,
            ask=nan.copy(),
            ts_event=np.array(times, dtype=np.int64),
            ts_init=np.full(len(syms), now, dtype=np.int64),
        )

    async def stream(self, stop: asyncio.Event) -> AsyncIterator[TickBatch]:
        """Yield trade batches; reconnect (and resubscribe) until ``stop`` is set."""
        attempt = 0
        while not stop.is_set():
            try:
                async with websockets.connect(
                    self.url, open_timeout=10, close_timeout=2, max_queue=1024
                ) as ws:
                    self.metrics.connects += 1
                    for m in self.subscribe_messages():
                        await ws.send(m)
                    log.info("finnhub connected, subscribed to %d symbols", len(self._vendor))
                    while not stop.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), self.recv_timeout_s)
                        except TimeoutError:
                            continue
                        self.metrics.messages += 1
                        attempt = 0
                        try:
                            batch = self.parse(raw)
                        except MalformedMessage as exc:
                            self.metrics.malformed += 1
                            log.warning("finnhub: malformed message ignored: %s", exc)
                            continue
                        if batch is not None:
                            yield batch
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                if stop.is_set():
                    break
                self.metrics.reconnects += 1
                delay = backoff_delay(attempt, self.backoff_base_s, self.backoff_max_s, self._rng)
                attempt += 1
                log.warning("finnhub connection lost (%s); reconnecting in %.2fs", exc, delay)
                await sleep_or_stop(stop, delay)

    def prev_closes(self) -> dict[str, Decimal]:
        """Previous closes from the REST quote; empty when REST is unreachable."""
        if not self.rest_url:
            return {}
        rest = FinnhubRest(self.api_key, self.rest_url, timeout_s=3.0)
        out: dict[str, Decimal] = {}
        for sym in self._symbols:
            try:
                q = rest.quote(self.vendor_symbol(sym))
            except Exception as exc:  # network down, unknown symbol: no prev close
                log.warning("finnhub REST quote for %s failed: %s", sym, exc)
                break
            if q.prev_close is not None:
                out[sym] = q.prev_close
        return out


@dataclass(frozen=True)
class RestQuote:
    symbol: str
    price: Decimal
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    prev_close: Decimal | None
    ts_event: int  # ns


def _dec(x: Any) -> Decimal | None:
    if x is None or isinstance(x, bool) or not isinstance(x, int | float | str):
        return None
    d = Decimal(repr(x)) if isinstance(x, float) else Decimal(str(x))
    return d if d.is_finite() and d > 0 else None


class FinnhubRest:
    """The REST quote through finnhub-python's ``Client``, pointed at ``base_url``."""

    def __init__(self, api_key: str, base_url: str, *, timeout_s: float = 10.0) -> None:
        import finnhub

        self.client: Any = finnhub.Client(api_key=api_key)
        # finnhub-python joins its class attribute API_URL with the path; an instance
        # attribute overrides it per client (tests point it at a local server).
        self.client.API_URL = base_url.rstrip("/")
        self.client.DEFAULT_TIMEOUT = timeout_s

    def quote(self, symbol: str) -> RestQuote:
        """The latest quote (``c``, ``o``, ``h``, ``l``, ``pc``, ``t`` in seconds).

        Raises:
            LookupError: Finnhub answers all zeros (its reply for an unknown symbol).
            finnhub.FinnhubAPIException: an HTTP error (bad key, rate limit).
        """
        data = self.client.quote(symbol)
        if not isinstance(data, dict):
            raise LookupError(f"unexpected quote reply for {symbol}: {data!r:.200}")
        price = _dec(data.get("c"))
        if price is None:
            raise LookupError(f"no quote for {symbol}")
        t = data.get("t")
        return RestQuote(
            symbol=symbol,
            price=price,
            open=_dec(data.get("o")),
            high=_dec(data.get("h")),
            low=_dec(data.get("l")),
            prev_close=_dec(data.get("pc")),
            ts_event=int(t) * 1_000_000_000 if isinstance(t, int) else 0,
        )

    def close(self) -> None:
        self.client.close()

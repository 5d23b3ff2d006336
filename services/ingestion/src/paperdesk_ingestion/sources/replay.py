"""The replay feed: real bars shipped in the ``backtesting`` package, replayed as ticks.

GOOG daily, EURUSD hourly and BTCUSD monthly bars are played back at ``bars_per_second``
bars per second per symbol (looping at the end). Each bar becomes four trades, open, the
nearer extreme, the other extreme, close, with the bar's volume split between them and a
one-tick spread around each. Ticks are stamped with the wall-clock time of the replay
(the original bar times are in the shipped data, see ``load_shipped``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import numpy as np
import pandas as pd
from paperdesk_core.clock import Clock, LiveClock
from paperdesk_core.marketdata.shipped import SHIPPED, load_shipped

from paperdesk_ingestion._aio import sleep_or_stop
from paperdesk_ingestion.batch import TickBatch
from paperdesk_ingestion.sources.base import Capabilities, HistorySource, TickSource

TICKS_PER_BAR = 4


class ReplaySource(TickSource, HistorySource):
    name = "replay"
    _has: ClassVar[Capabilities] = {
        "streaming": True,
        "history": True,
        "history_timeframes": ["1h", "1d", "1mo"],
    }

    def __init__(
        self,
        symbols: Sequence[str] | None = None,
        *,
        bars_per_second: float = 1.0,
        clock: Clock | None = None,
        start_index: int = 0,
    ) -> None:
        if bars_per_second <= 0:
            raise ValueError("bars_per_second must be positive")
        self._symbols = [s.upper() for s in (symbols or list(SHIPPED))]
        unknown = [s for s in self._symbols if s not in SHIPPED]
        if unknown:
            raise KeyError(f"no shipped data for {', '.join(unknown)}")
        self.bars_per_second = bars_per_second
        self.clock: Clock = clock or LiveClock()
        self._paths: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for sym in self._symbols:
            self._paths[sym] = self._tick_path(load_shipped(sym))
        self._pos = dict.fromkeys(self._symbols, start_index)
        self._start = start_index

    @staticmethod
    def _tick_path(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Prices and sizes of every bar's four ticks, shape (bars, 4)."""
        o, h, lo, c = (df[k].to_numpy("float64") for k in ("Open", "High", "Low", "Close"))
        up = c >= o  # rising bar: open, low, high, close; falling: open, high, low, close
        prices = np.stack([o, np.where(up, lo, h), np.where(up, h, lo), c], axis=1)
        sizes = np.repeat((df["Volume"].to_numpy("float64") / TICKS_PER_BAR)[:, None], 4, axis=1)
        return prices, np.round(sizes, 4)

    def symbols(self) -> list[str]:
        return list(self._symbols)

    def prev_closes(self) -> dict[str, Decimal]:
        out = {}
        for sym in self._symbols:
            prices, _ = self._paths[sym]
            i = self._start % len(prices)
            prev = prices[i - 1, 3] if i > 0 else prices[0, 0]
            out[sym] = Decimal(f"{prev:.{SHIPPED[sym].decimals}f}")
        return out

    def generate(self, t0_ns: int) -> TickBatch:
        """The four ticks of the next bar of every symbol, a nanosecond apart from ``t0_ns``."""
        syms, prices, sizes, bids, asks, ts = [], [], [], [], [], []
        for j, sym in enumerate(self._symbols):
            path, vol = self._paths[sym]
            i = self._pos[sym] % len(path)
            self._pos[sym] = i + 1
            tick = 10.0 ** -SHIPPED[sym].decimals
            p = np.round(path[i], SHIPPED[sym].decimals)
            syms += [sym] * TICKS_PER_BAR
            prices.append(p)
            sizes.append(vol[i])
            bids.append(np.round(p - tick, SHIPPED[sym].decimals))
            asks.append(np.round(p + tick, SHIPPED[sym].decimals))
            ts.append(t0_ns + np.arange(TICKS_PER_BAR, dtype=np.int64) + j * TICKS_PER_BAR)
        ts_all = np.concatenate(ts)
        return TickBatch(
            source=self.name,
            symbol=np.array(syms, dtype=object),
            price=np.concatenate(prices),
            size=np.concatenate(sizes),
            bid=np.concatenate(bids),
            ask=np.concatenate(asks),
            ts_event=ts_all,
            ts_init=ts_all.copy(),
        )

    async def stream(self, stop: asyncio.Event) -> AsyncIterator[TickBatch]:
        interval = 1.0 / self.bars_per_second
        while not stop.is_set():
            yield self.generate(self.clock.timestamp_ns())
            if await sleep_or_stop(stop, interval):
                break

    def history(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> pd.DataFrame:
        df = load_shipped(symbol)
        return df[(df.index >= pd.Timestamp(start)) & (df.index < pd.Timestamp(end))]

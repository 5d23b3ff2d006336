"""The offline sim feed: seeded, deterministic ticks for the default universe.

Each symbol's mid price follows a geometric random walk at the instrument's annual
volatility (scaled to its calendar's trading seconds); trades print at the bid or the ask
of a realistic spread, never twice in a row at the same price, so every tick visibly moves
the quote. Trade sizes are lognormal around the average daily volume spread over the
session; outside exchange hours US equities keep ticking but with thin, extended-hours
volume. The walk starts from the close of the synthetic history, so charts join up.
Same seed, same timestamps: same ticks.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar

import numpy as np
import pandas as pd
from paperdesk_core.clock import Clock, LiveClock, ns_to_datetime
from paperdesk_core.marketdata.calendars import SESSION_SECONDS, SESSIONS_PER_YEAR, is_open
from paperdesk_core.marketdata.history import last_close, price_decimals, synthetic_history
from paperdesk_core.universe import DEFAULT_UNIVERSE, InstrumentSpec

from paperdesk_ingestion._aio import sleep_or_stop
from paperdesk_ingestion.batch import TickBatch
from paperdesk_ingestion.sources.base import Capabilities, HistorySource, TickSource

# Relative bid-ask spread by asset class (a fraction of the price).
_SPREAD = {"equity": 0.5e-4, "etf": 0.2e-4, "crypto": 1.0e-4, "fx": 0.4e-4}
_MAX_CATCHUP_S = 5.0


def _round_to(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Round to per-column decimals.

    Dividing an integral float by 10**d gives the double nearest to the decimal, so
    ``repr`` prints it cleanly.
    """
    out: np.ndarray = np.round(x * scale) / scale
    return out


class SimSource(TickSource, HistorySource):
    name = "sim"
    _has: ClassVar[Capabilities] = {
        "streaming": True,
        "history": True,
        "history_timeframes": ["1m", "1d"],
        "synthetic": True,
    }

    def __init__(
        self,
        universe: Sequence[InstrumentSpec] = DEFAULT_UNIVERSE,
        *,
        seed: int = 42,
        tick_hz: float = 4.0,
        clock: Clock | None = None,
        start_prices: Mapping[str, float] | None = None,
        today: date | None = None,
    ) -> None:
        if tick_hz <= 0:
            raise ValueError("tick_hz must be positive")
        self.universe = list(universe)
        self.seed = seed
        self.tick_hz = tick_hz
        self.clock: Clock = clock or LiveClock()
        self.today = today
        self._rng = np.random.default_rng(seed)
        n = len(self.universe)
        self._names = np.array([s.symbol for s in self.universe], dtype=object)
        self._scale = np.array([10.0 ** price_decimals(s) for s in self.universe])
        self._tick = np.array([float(s.tick_size) for s in self.universe])
        self._closes = {
            s.symbol: last_close(s.symbol, today=today, seed=seed) for s in self.universe
        }
        start = dict(start_prices or {})
        self._mid = np.array(
            [start.get(s.symbol, float(self._closes[s.symbol])) for s in self.universe]
        )
        self._last = _round_to(self._mid, self._scale)
        # Per-second volatility over each calendar's trading seconds.
        self._vol_s = np.array(
            [
                s.annual_vol
                / math.sqrt(SESSIONS_PER_YEAR[s.calendar] * SESSION_SECONDS[s.calendar])
                for s in self.universe
            ]
        )
        self._spread = np.array([_SPREAD.get(s.asset_class, 1e-4) for s in self.universe])
        self._mean_size = np.array(
            [s.avg_daily_volume / (SESSION_SECONDS[s.calendar] * tick_hz) for s in self.universe]
        )
        self._xnys = np.array([s.calendar == "XNYS" for s in self.universe])
        self._crypto = np.array([s.asset_class == "crypto" for s in self.universe])
        self._fx = np.array([s.asset_class == "fx" for s in self.universe])
        self._offsets = np.arange(n, dtype=np.int64)

    def symbols(self) -> list[str]:
        return [s.symbol for s in self.universe]

    def prev_closes(self) -> dict[str, Decimal]:
        return dict(self._closes)

    def generate(self, steps: int, t0_ns: int, dt_ns: int) -> TickBatch:
        """Advance ``steps`` ticks for every symbol, the first at ``t0_ns``, ``dt_ns`` apart.

        Rows are ordered by step, then by symbol; within a step symbols are staggered by
        a few nanoseconds per symbol so that every tick has its own time.
        """
        n = len(self.universe)
        rng = self._rng
        dt_s = dt_ns / 1e9
        sigma = self._vol_s * math.sqrt(dt_s)
        z = rng.standard_normal((steps, n))
        logmid = np.log(self._mid) + np.cumsum(sigma * z - 0.5 * sigma**2, axis=0)
        mid = np.exp(logmid)
        tick = self._tick
        spread = np.maximum(np.round(mid * self._spread / tick), 1.0) * tick
        bid = np.floor((mid - spread / 2) / tick) * tick
        ask = bid + spread
        bid = _round_to(bid, self._scale)
        ask = _round_to(ask, self._scale)
        buy = rng.random((steps, n)) < 0.5
        price = np.where(buy, ask, bid)
        last = self._last
        for k in range(steps):
            row = price[k]
            same = row == last
            if same.any():
                row[same] = np.where(buy[k][same], bid[k][same], ask[k][same])
            last = row
        self._last = last.copy()
        self._mid = mid[-1]

        size = self._mean_size * rng.lognormal(-0.5, 1.0, (steps, n))
        if self._xnys.any() and not is_open("XNYS", ns_to_datetime(t0_ns)):
            size = np.where(self._xnys, size * 0.05, size)
        size = np.where(
            self._crypto,
            np.maximum(np.round(size, 4), 1e-4),
            np.where(
                self._fx, np.maximum(np.round(size, -3), 1000.0), np.maximum(np.round(size), 1.0)
            ),
        )
        ts = (t0_ns + np.arange(steps, dtype=np.int64) * dt_ns)[:, None] + self._offsets[None, :]
        ts_flat = ts.reshape(-1)
        # Rows are step-major, so symbol j sits at j, j + n, j + 2n, ...
        rows = np.arange(steps * n).reshape(steps, n)
        groups = {str(self._names[j]): rows[:, j].copy() for j in range(n)}
        return TickBatch(
            source=self.name,
            symbol=np.tile(self._names, steps),
            price=price.reshape(-1),
            size=size.reshape(-1),
            bid=bid.reshape(-1),
            ask=ask.reshape(-1),
            ts_event=ts_flat,
            ts_init=ts_flat.copy(),
            _groups=groups,
        )

    async def stream(self, stop: asyncio.Event) -> AsyncIterator[TickBatch]:
        """Yield ticks at ``tick_hz`` per symbol (several steps per wake-up at high rates)."""
        step_ns = max(1, int(1e9 / self.tick_hz))
        wake_s = max(step_ns / 1e9, 0.02)
        last_ns = self.clock.timestamp_ns()
        yield self.generate(1, last_ns, step_ns)
        while not await sleep_or_stop(stop, wake_s):
            now = self.clock.timestamp_ns()
            steps = (now - last_ns) // step_ns
            if steps <= 0:
                continue
            cap = max(1, int(_MAX_CATCHUP_S * self.tick_hz))
            if steps > cap:  # the loop stalled: skip ahead rather than burst
                last_ns = now - cap * step_ns
                steps = cap
            yield self.generate(int(steps), last_ns + step_ns, step_ns)
            last_ns += int(steps) * step_ns

    def history(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> pd.DataFrame:
        hist = synthetic_history(symbol, today=self.today, seed=self.seed)
        if timeframe == "1d":
            df = hist.daily
        elif timeframe == "1m":
            df = hist.minutes
        else:
            raise ValueError(f"sim history has 1m and 1d bars, not {timeframe!r}")
        return df[
            (df.index >= pd.Timestamp(start).tz_convert(UTC))
            & (df.index < pd.Timestamp(end).tz_convert(UTC))
        ]

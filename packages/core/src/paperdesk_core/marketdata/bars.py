"""OHLCV bars for charts (API) and backtests, from every market-data source we hold.

Sources, per symbol:

* ``replay`` feed and a symbol shipped by the ``backtesting`` package (GOOG, EURUSD,
  BTCUSD) at a timeframe no finer than the shipped bars: the real shipped bars.
* Universe symbols (sim feed, or no real data stored yet): synthetic history for the
  sessions before today, then 1-minute bars the ingestion service wrote to Parquet from
  the start of today's session day on.
* Anything else: 1-minute bars in Parquet (and daily bars written by backfills).

1-minute bars are resampled to 5m/1h (left-labelled) and to days of the instrument's
calendar (New York dates for US equities, UTC dates otherwise; labelled 00:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from paperdesk_core.config import get_settings
from paperdesk_core.marketdata.calendars import calendar_tz, day_start
from paperdesk_core.marketdata.history import (
    COLUMNS,
    history_today,
    price_decimals,
    synthetic_history,
)
from paperdesk_core.marketdata.shipped import SHIPPED, load_shipped
from paperdesk_core.marketdata.store import ParquetStore
from paperdesk_core.universe import UNIVERSE_BY_SYMBOL

TIMEFRAMES: dict[str, str] = {"1m": "1min", "5m": "5min", "1h": "1h", "1d": "1D"}
TIMEFRAME_SECONDS: dict[str, int] = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86_400}
DEFAULT_LIMIT = 500
_AGG = {"Open": "first", "High": "max", "Low": "min", "Close": "last", "Volume": "sum"}


class UnknownSymbol(KeyError):
    """No source has bars for this symbol."""

    def __init__(self, symbol: str) -> None:
        super().__init__(symbol)
        self.symbol = symbol

    def __str__(self) -> str:
        return f"unknown symbol {self.symbol!r}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in COLUMNS}, index=pd.DatetimeIndex([], tz=UTC)
    )


def _check_timeframe(timeframe: str) -> str:
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"timeframe must be one of {', '.join(TIMEFRAMES)}, not {timeframe!r}")
    return timeframe


def resample(df: pd.DataFrame, timeframe: str, calendar: str = "24/7") -> pd.DataFrame:
    """Aggregate OHLCV bars to a coarser timeframe (days follow ``calendar``'s dates)."""
    if df.empty:
        return df[COLUMNS]
    if timeframe == "1d":
        tz = calendar_tz(calendar)
        local_days = pd.DatetimeIndex(df.index).tz_convert(tz).date
        out = df[COLUMNS].groupby(local_days).agg(_AGG)
        out.index = pd.DatetimeIndex(
            [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in out.index]
        )
        return out
    out = df[COLUMNS].resample(TIMEFRAMES[timeframe], label="left", closed="left").agg(_AGG)
    return out.dropna(subset=["Open"])


@lru_cache(maxsize=256)
def _synthetic(symbol: str, timeframe: str, today: date, seed: int) -> pd.DataFrame:
    hist = synthetic_history(symbol, today=today, seed=seed)
    if timeframe == "1d":
        return hist.daily
    if timeframe == "1m":
        return hist.minutes
    return resample(hist.minutes, timeframe, UNIVERSE_BY_SYMBOL[symbol].calendar)


def _stored(symbol: str, timeframe: str, store: ParquetStore, calendar: str) -> pd.DataFrame:
    minutes = store.read_minute_bars(symbol)
    if timeframe == "1d":
        daily = store.read_daily_bars(symbol)
        from_minutes = resample(minutes, "1d", calendar)
        if daily is None or daily.empty:
            return from_minutes
        daily = daily[COLUMNS]
        return pd.concat([daily[~daily.index.isin(from_minutes.index)], from_minutes]).sort_index()
    return resample(minutes, timeframe, calendar) if timeframe != "1m" else minutes[COLUMNS]


def _frame(
    sym: str, timeframe: str, store: ParquetStore, now: datetime | None
) -> tuple[pd.DataFrame, str]:
    settings = get_settings()
    spec = UNIVERSE_BY_SYMBOL.get(sym)
    shipped = SHIPPED.get(sym)
    if (
        settings.feed == "replay"
        and shipped is not None
        and shipped.seconds <= TIMEFRAME_SECONDS[timeframe]
    ):
        data = load_shipped(sym)
        if shipped.timeframe != timeframe:
            data = resample(data, timeframe, "24/7")
        return data, "replay"
    if spec is not None:
        if settings.feed != "sim":
            real = _stored(sym, timeframe, store, spec.calendar)
            if not real.empty:
                return real, settings.feed
        today = history_today(sym, now)
        synth = _synthetic(sym, timeframe, today, settings.sim_seed)
        live_from = day_start(spec.calendar, today)
        live = store.read_minute_bars(sym, start=live_from)
        if not live.empty:
            live = live[COLUMNS] if timeframe == "1m" else resample(live, timeframe, spec.calendar)
            synth = synth[synth.index < live.index[0]]
            return pd.concat([synth, live]), "sim"
        return synth, "sim"
    data = _stored(sym, timeframe, store, "24/7")
    if data.empty and sym not in store.symbols():
        raise UnknownSymbol(sym)
    return data, settings.feed


def load_bars_frame(
    symbol: str,
    timeframe: str = "1d",
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    *,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Bars as a DataFrame (UTC index; float ``Open High Low Close Volume``), ascending.

    ``start`` is inclusive and ``end`` exclusive; ``limit`` keeps the most recent bars
    (all of them when None). ``frame.attrs["source"]`` names where the bars came from.

    Raises:
        ValueError: the timeframe is not one of 1m, 5m, 1h, 1d.
        UnknownSymbol: no source knows the symbol (a KeyError).
    """
    _check_timeframe(timeframe)
    sym = symbol.upper()
    store = ParquetStore(get_settings().data_dir)
    df, source = _frame(sym, timeframe, store, now)
    if start is not None:
        df = df[df.index >= pd.Timestamp(start).tz_convert(UTC)]
    if end is not None:
        df = df[df.index < pd.Timestamp(end).tz_convert(UTC)]
    if limit is not None:
        df = df.iloc[-limit:] if limit > 0 else df.iloc[:0]
    df = df[COLUMNS].copy()
    df.attrs["source"] = source
    return df


def _fmt_price(x: float, decimals: int | None) -> str:
    if decimals is not None:
        return f"{x:.{decimals}f}"
    s = f"{x:.8f}".rstrip("0")
    head, _, tail = s.partition(".")
    return f"{head}.{tail.ljust(2, '0')}"


def _fmt_volume(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return f"{v:.8f}".rstrip("0").rstrip(".")


def _decimals(sym: str) -> int | None:
    spec = UNIVERSE_BY_SYMBOL.get(sym)
    if get_settings().feed == "replay" and sym in SHIPPED:
        return SHIPPED[sym].decimals
    return price_decimals(spec) if spec else None


def get_bars(
    symbol: str,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Bars for the API: ``[{"t", "o", "h", "l", "c", "v"}]`` ascending, decimals as strings.

    ``t`` is ISO-8601 UTC (``2025-01-02T14:30:00Z``). Returns at most ``limit`` (default
    500) of the most recent bars in ``[start, end)``.

    Raises:
        ValueError: the timeframe is not one of 1m, 5m, 1h, 1d.
        UnknownSymbol: no source knows the symbol (a KeyError).
    """
    df = load_bars_frame(
        symbol, timeframe, start, end, DEFAULT_LIMIT if limit is None else max(0, limit)
    )
    dec = _decimals(symbol.upper())
    times = pd.DatetimeIndex(df.index).strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    cols = [df[c].tolist() for c in COLUMNS]
    return [
        {
            "t": t,
            "o": _fmt_price(o, dec),
            "h": _fmt_price(h, dec),
            "l": _fmt_price(lo, dec),
            "c": _fmt_price(c, dec),
            "v": _fmt_volume(v),
        }
        for t, o, h, lo, c, v in zip(times, *cols, strict=True)
    ]

"""Daily history from Yahoo Finance through yfinance, cached to Parquet.

yfinance talks HTTPS to Yahoo's hosts through its own session, so it cannot be pointed at
a local fake server; the download is an injectable ``fetch`` callable and the cache logic
is tested with a stub.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import pandas as pd
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.sources.base import Capabilities, HistorySource

log = logging.getLogger(__name__)

Fetch = Callable[[str, datetime, datetime], pd.DataFrame]
COLUMNS = ["Open", "High", "Low", "Close", "Volume"]


def yfinance_fetch(symbol: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Download daily bars with yfinance (network)."""
    import yfinance as yf

    df: pd.DataFrame = yf.Ticker(symbol).history(
        start=start, end=end, interval="1d", auto_adjust=False
    )
    return df


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Keep OHLCV, floats, with a UTC index at 00:00 of each session date."""
    if df.empty:
        return pd.DataFrame(columns=COLUMNS, index=pd.DatetimeIndex([], tz="UTC"))
    out = df[COLUMNS].astype("float64")
    index = pd.DatetimeIndex(out.index)
    # Yahoo stamps daily bars at local midnight of the exchange: keep the date, in UTC.
    out.index = pd.DatetimeIndex(index.date).tz_localize("UTC")
    return out.sort_index()


class YahooSource(HistorySource):
    name = "yahoo"
    _has: ClassVar[Capabilities] = {
        "history": True,
        "history_timeframes": ["1d"],
        "needs_network": True,
        "any_symbol": True,
        "cached": True,
    }

    def __init__(
        self,
        *,
        store: ParquetStore | None = None,
        fetch: Fetch = yfinance_fetch,
        max_cache_age_s: float = 12 * 3600,
    ) -> None:
        self.store = store or ParquetStore()
        self.fetch = fetch
        self.max_cache_age_s = max_cache_age_s

    def history(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> pd.DataFrame:
        """Daily bars in ``[start, end)``, from the cache when fresh and covering the range.

        A failed download falls back to whatever is cached.
        """
        if timeframe != "1d":
            raise ValueError("yahoo history has daily bars only")
        sym = symbol.upper()
        lo, hi = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
        cached = self.store.read_cache(self.name, sym, "1d")
        age = self.store.cache_age_seconds(self.name, sym, "1d")
        fresh = age is not None and age < self.max_cache_age_s
        if cached is not None and fresh and not cached.empty and cached.index[0] <= lo:
            return cached[(cached.index >= lo) & (cached.index < hi)][COLUMNS]
        try:
            df = normalize(self.fetch(sym, start, end))
        except Exception as exc:  # network errors vary by yfinance version
            if cached is None:
                raise
            log.warning("yahoo download of %s failed (%s); serving cache", sym, exc)
            return cached[(cached.index >= lo) & (cached.index < hi)][COLUMNS]
        if cached is not None and not cached.empty:
            df = pd.concat([cached[~cached.index.isin(df.index)][COLUMNS], df]).sort_index()
        self.store.write_cache(self.name, sym, "1d", df)
        return df[(df.index >= lo) & (df.index < hi)]

"""Alpha Vantage intraday history through the ``alpha-vantage`` package, cached to Parquet.

The package builds every URL from the class attribute
``AlphaVantage._ALPHA_VANTAGE_API_URL`` (``https://www.alphavantage.co/query?``); we set it
to ``settings.alphavantage_url`` for each call (tests point it at a local server). Replies
are the JSON ``{"Meta Data": {...}, "Time Series (1min)": {"2024-01-05 19:59:00":
{"1. open": "...", ...}}}`` with times in ``Meta Data["6. Time Zone"]`` (US/Eastern).
Rate-limit replies (``{"Note": ...}`` or ``{"Information": ...}``) raise
:class:`AlphaVantageRateLimited`; a stale cache is served instead when there is one.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, ClassVar

import pandas as pd
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.sources.base import Capabilities, HistorySource

log = logging.getLogger(__name__)

INTERVALS = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "60min"}
_URL_LOCK = threading.Lock()
_FIELDS = {
    "1. open": "Open",
    "2. high": "High",
    "3. low": "Low",
    "4. close": "Close",
    "5. volume": "Volume",
}


class AlphaVantageError(RuntimeError):
    """Alpha Vantage answered with an error."""


class AlphaVantageRateLimited(AlphaVantageError):
    """Alpha Vantage answered with its call-frequency note instead of data."""


def _is_rate_limit(message: str) -> bool:
    text = message.lower()
    return any(w in text for w in ("call frequency", "rate limit", "premium", "requests per"))


def parse_intraday(data: dict[str, Any], meta: dict[str, Any]) -> pd.DataFrame:
    """Convert the package's JSON ``(data, meta_data)`` into a UTC OHLCV frame."""
    tz = str(meta.get("6. Time Zone") or "US/Eastern")
    if tz == "US/Eastern":
        tz = "America/New_York"
    if not data:
        return pd.DataFrame(columns=list(_FIELDS.values()), index=pd.DatetimeIndex([], tz="UTC"))
    df = pd.DataFrame.from_dict(data, orient="index").rename(columns=_FIELDS)
    df = df[list(_FIELDS.values())].astype("float64")
    index = pd.DatetimeIndex(pd.to_datetime(df.index, format="%Y-%m-%d %H:%M:%S"))
    df.index = index.tz_localize(tz).tz_convert("UTC")
    return df.sort_index()


class AlphaVantageSource(HistorySource):
    name = "alphavantage"
    _has: ClassVar[Capabilities] = {
        "history": True,
        "history_timeframes": list(INTERVALS),
        "needs_api_key": True,
        "needs_network": True,
        "any_symbol": True,
        "cached": True,
    }

    def __init__(
        self,
        api_key: str,
        *,
        url: str = "https://www.alphavantage.co/query",
        store: ParquetStore | None = None,
        max_cache_age_s: float = 15 * 60,
    ) -> None:
        self.api_key = api_key
        self.url = url
        self.store = store or ParquetStore()
        self.max_cache_age_s = max_cache_age_s

    def _fetch(self, symbol: str, interval: str, outputsize: str) -> pd.DataFrame:
        from alpha_vantage.alphavantage import AlphaVantage
        from alpha_vantage.timeseries import TimeSeries

        ts = TimeSeries(key=self.api_key, output_format="json")
        with _URL_LOCK:
            old = AlphaVantage._ALPHA_VANTAGE_API_URL
            AlphaVantage._ALPHA_VANTAGE_API_URL = self.url.rstrip("?") + "?"
            try:
                data, meta = ts.get_intraday(
                    symbol=symbol, interval=interval, outputsize=outputsize
                )
            except ValueError as exc:
                msg = str(exc)
                if _is_rate_limit(msg):
                    raise AlphaVantageRateLimited(msg) from exc
                raise AlphaVantageError(msg) from exc
            except KeyError as exc:  # a reply without the expected series
                raise AlphaVantageError(f"unexpected reply: missing {exc}") from exc
            finally:
                AlphaVantage._ALPHA_VANTAGE_API_URL = old
        return parse_intraday(data, meta)

    def intraday(
        self,
        symbol: str,
        timeframe: str = "1m",
        *,
        outputsize: str = "compact",
        refresh: bool = False,
    ) -> pd.DataFrame:
        """Intraday bars (from the cache when fresh); the fetch is cached to Parquet.

        Raises:
            AlphaVantageRateLimited: rate limited and nothing cached.
            AlphaVantageError: any other error reply.
        """
        if timeframe not in INTERVALS:
            raise ValueError(f"timeframe must be one of {', '.join(INTERVALS)}")
        sym = symbol.upper()
        age = self.store.cache_age_seconds(self.name, sym, timeframe)
        if not refresh and age is not None and age < self.max_cache_age_s:
            cached = self.store.read_cache(self.name, sym, timeframe)
            if cached is not None:
                return cached
        try:
            df = self._fetch(sym, INTERVALS[timeframe], outputsize)
        except AlphaVantageRateLimited:
            cached = self.store.read_cache(self.name, sym, timeframe)
            if cached is None:
                raise
            log.warning("alpha vantage rate limited; serving cached %s %s", sym, timeframe)
            return cached
        self.store.write_cache(self.name, sym, timeframe, df)
        return df

    def history(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> pd.DataFrame:
        df = self.intraday(symbol, timeframe, outputsize="full")
        return df[(df.index >= pd.Timestamp(start)) & (df.index < pd.Timestamp(end))]

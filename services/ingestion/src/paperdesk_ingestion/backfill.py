"""``backfill``: write history for some symbols into the Parquet store."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd
from paperdesk_core.config import Settings
from paperdesk_core.marketdata.history import generate_history, history_today
from paperdesk_core.marketdata.store import ParquetStore
from tqdm import tqdm

from paperdesk_ingestion.sources.alphavantage import AlphaVantageSource
from paperdesk_ingestion.sources.base import HistorySource
from paperdesk_ingestion.sources.sim import SimSource
from paperdesk_ingestion.sources.yahoo import YahooSource


def history_source(name: str, settings: Settings, store: ParquetStore) -> HistorySource:
    if name == "sim":
        return SimSource(seed=settings.sim_seed)
    if name == "yahoo":
        return YahooSource(store=store)
    if name == "alphavantage":
        if not settings.alphavantage_api_key:
            raise SystemExit("alphavantage needs ALPHAVANTAGE_API_KEY")
        return AlphaVantageSource(
            settings.alphavantage_api_key, url=settings.alphavantage_url, store=store
        )
    raise SystemExit(f"unknown history source {name!r} (sim, yahoo, alphavantage)")


def _fetch(
    source: HistorySource, symbol: str, timeframe: str, days: int, settings: Settings
) -> pd.DataFrame:
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    if isinstance(source, SimSource) and timeframe == "1m":
        # Minute bars for as many sessions as asked (the cached history keeps only a few).
        hist = generate_history(
            symbol, history_today(symbol), settings.sim_seed, minute_sessions=days
        )
        return hist.minutes
    return source.history(symbol, timeframe, start, end)


def backfill(
    settings: Settings,
    symbols: Sequence[str],
    timeframe: str,
    days: int,
    source_name: str,
    *,
    progress: bool = True,
) -> int:
    """Write ``days`` of history per symbol; return the number of bars written."""
    store = ParquetStore(settings.data_dir)
    source = history_source(source_name, settings, store)
    if timeframe not in source.has.get("history_timeframes", []):
        raise SystemExit(f"{source_name} has no {timeframe} history")
    total = 0
    bar = tqdm(
        symbols, desc=f"backfill {source_name} {timeframe}", file=sys.stderr, disable=not progress
    )
    for sym in bar:
        bar.set_postfix_str(sym)
        df = _fetch(source, sym.upper(), timeframe, days, settings)
        if timeframe == "1d":
            store.write_daily_bars(sym, df, source_name)
        else:
            store.write_minute_bars(sym, df, f"backfill-{source_name}")
        total += len(df)
    return total

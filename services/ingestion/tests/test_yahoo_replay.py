from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from paperdesk_core.clock import TestClock
from paperdesk_core.marketdata.store import ParquetStore

from paperdesk_ingestion.sources.replay import ReplaySource
from paperdesk_ingestion.sources.yahoo import YahooSource


def _yahoo_frame() -> pd.DataFrame:
    idx = pd.DatetimeIndex(["2024-01-02", "2024-01-03"]).tz_localize("America/New_York")
    return pd.DataFrame(
        {"Open": [187.15, 184.22], "High": [188.44, 185.88], "Low": [183.89, 183.43],
         "Close": [185.64, 184.25], "Adj Close": [185.4, 184.0], "Volume": [82488700, 58414500],
         "Dividends": 0.0, "Stock Splits": 0.0},
        index=idx,
    )  # fmt: skip


def test_yahoo_history_is_cached(tmp_path: Path) -> None:
    calls: list[str] = []

    def fetch(symbol: str, start: datetime, end: datetime) -> pd.DataFrame:
        calls.append(symbol)
        return _yahoo_frame()

    store = ParquetStore(tmp_path)
    yahoo = YahooSource(store=store, fetch=fetch)
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC)
    df = yahoo.history("aapl", "1d", start, end)
    assert list(df.index) == [
        pd.Timestamp("2024-01-02", tz=UTC),
        pd.Timestamp("2024-01-03", tz=UTC),
    ]
    assert list(df.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert store.cache_path("yahoo", "AAPL", "1d").exists()
    yahoo.history("AAPL", "1d", datetime(2024, 1, 2, tzinfo=UTC), end)
    assert calls == ["AAPL"]  # served from the fresh cache

    def broken(symbol: str, start: datetime, end: datetime) -> pd.DataFrame:
        raise ConnectionError("offline")

    stale = YahooSource(store=store, fetch=broken, max_cache_age_s=0)
    assert len(stale.history("AAPL", "1d", start, end)) == 2
    with pytest.raises(ConnectionError):
        stale.history("MSFT", "1d", start, end)
    with pytest.raises(ValueError, match="daily"):
        yahoo.history("AAPL", "1m", start, end)


def test_replay_turns_shipped_bars_into_ticks() -> None:
    clock = TestClock(1_000)
    src = ReplaySource(["GOOG", "EURUSD"], bars_per_second=50, clock=clock)
    assert src.prev_closes() == {"GOOG": Decimal("100.00"), "EURUSD": Decimal("1.07160")}
    batch = src.generate(clock.timestamp_ns())
    goog = batch.groups()["GOOG"]
    # GOOG 2004-08-19: O 100.00 H 104.06 L 95.96 C 100.34 (rising: open, low, high, close)
    assert batch.price[goog].tolist() == [100.0, 95.96, 104.06, 100.34]
    assert batch.size[goog].sum() == pytest.approx(22351900)
    assert (batch.ask[goog] > batch.bid[goog]).all()
    assert batch.source == "replay"

    async def two() -> list[int]:
        stop = asyncio.Event()
        out = []
        async for b in src.stream(stop):
            out.append(len(b))
            if len(out) == 2:
                stop.set()
        return out

    assert asyncio.run(two()) == [8, 8]
    with pytest.raises(KeyError):
        ReplaySource(["AAPL"])

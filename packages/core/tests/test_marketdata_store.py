from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from paperdesk_core.marketdata.store import ParquetStore


def _bars(start: str, n: int, base: float) -> pd.DataFrame:
    idx = pd.date_range(start, periods=n, freq="1min", tz=UTC)
    return pd.DataFrame(
        {"Open": base, "High": base + 1, "Low": base - 1, "Close": base + 0.5, "Volume": 10.0},
        index=idx,
    )


def test_minute_bars_partition_by_date_and_merge_duplicates(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    paths = store.write_minute_bars("BINANCE:BTCUSDT", _bars("2026-01-01 23:58", 4, 100.0), "a")
    assert {p.parent.parent.name for p in paths} == {"date=2026-01-01", "date=2026-01-02"}
    assert all(p.parent.name == "symbol=BINANCE_BTCUSDT" for p in paths)
    # A second writer saw part of the same minute.
    store.write_minute_bars("BINANCE:BTCUSDT", _bars("2026-01-02 00:01", 1, 200.0), "b")
    df = store.read_minute_bars("BINANCE:BTCUSDT")
    assert len(df) == 4
    row = df.loc[pd.Timestamp("2026-01-02 00:01", tz=UTC)]
    assert row["Open"] == 100.0
    assert row["Close"] == 200.5
    assert row["High"] == 201.0
    assert row["Low"] == 99.0
    assert row["Volume"] == 20.0
    part = store.read_minute_bars(
        "BINANCE:BTCUSDT",
        start=datetime(2026, 1, 2, tzinfo=UTC),
        end=datetime(2026, 1, 3, tzinfo=UTC),
    )
    assert len(part) == 2
    assert store.bar_dates("BINANCE:BTCUSDT")[0].isoformat() == "2026-01-01"
    assert "BINANCE_BTCUSDT" in store.symbols()
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_round_trip(tmp_path: Path) -> None:
    store = ParquetStore(tmp_path)
    assert store.read_cache("yahoo", "AAPL", "1d") is None
    df = _bars("2026-01-05", 3, 10.0)
    store.write_cache("yahoo", "AAPL", "1d", df)
    back = store.read_cache("yahoo", "AAPL", "1d")
    assert back is not None
    pd.testing.assert_frame_equal(
        back[df.columns.tolist()], df.set_axis(df.index.as_unit("ns")), check_freq=False
    )
    assert (store.cache_age_seconds("yahoo", "AAPL", "1d") or 0) < 60
    assert store.cache_path("yahoo", "AAPL", "1d").parent == tmp_path / "cache" / "yahoo"

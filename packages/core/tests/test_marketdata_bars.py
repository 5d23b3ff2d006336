from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paperdesk_core.config import get_settings
from paperdesk_core.marketdata.bars import UnknownSymbol, get_bars, load_bars_frame, resample
from paperdesk_core.marketdata.history import history_today, synthetic_history
from paperdesk_core.marketdata.store import ParquetStore


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PAPERDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAPERDESK_FEED", "sim")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_sim_daily_bars_shape_and_strings(data_dir: Path) -> None:
    bars = get_bars("aapl", "1d")
    assert len(bars) == 500
    assert set(bars[0]) == {"t", "o", "h", "l", "c", "v"}
    times = [b["t"] for b in bars]
    assert times == sorted(times)
    assert all(t.endswith("T00:00:00Z") for t in times)
    last = bars[-1]
    assert last["c"] == "228.50"  # the sim feed starts from here
    for b in bars:
        o, h, lo, c = (Decimal(b[k]) for k in "ohlc")
        assert lo <= min(o, c) <= max(o, c) <= h
        assert Decimal(b["v"]) > 0
        assert Decimal(b["o"]).as_tuple().exponent == -2


def test_limit_start_end(data_dir: Path) -> None:
    assert len(get_bars("MSFT", "1d", limit=5)) == 5
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 2, 1, tzinfo=UTC)
    bars = get_bars("MSFT", "1d", start=start, end=end)
    assert bars[0]["t"] == "2024-01-01T00:00:00Z"
    assert bars[-1]["t"] == "2024-01-31T00:00:00Z"
    assert len(bars) == 23  # weekdays in January 2024
    assert get_bars("MSFT", "1d", limit=0) == []


def test_intraday_resampling_matches_pandas(data_dir: Path) -> None:
    minutes = synthetic_history("NVDA", today=history_today("NVDA")).minutes
    ref = (
        minutes.resample("5min")
        .agg({"Open": "first", "High": "max", "Low": "min", "Close": "last", "Volume": "sum"})
        .dropna()
    )
    frame = load_bars_frame("NVDA", "5m", limit=None)
    pd.testing.assert_frame_equal(frame, ref, check_freq=False)
    bars = get_bars("NVDA", "5m", limit=3)
    assert [b["t"] for b in bars] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in ref.index[-3:]]
    assert bars[-1]["c"] == f"{ref['Close'].iloc[-1]:.2f}"
    hourly = load_bars_frame("NVDA", "1h", limit=None)
    assert hourly["Volume"].sum() == pytest.approx(minutes["Volume"].sum())


def test_fx_prices_keep_five_decimals(data_dir: Path) -> None:
    bar = get_bars("EURUSD", "1m", limit=1)[0]
    assert len(bar["c"].split(".")[1]) == 5


def test_bad_timeframe_and_unknown_symbol(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="timeframe"):
        get_bars("AAPL", "2m")
    with pytest.raises(UnknownSymbol):
        get_bars("NOPE", "1d")
    with pytest.raises(KeyError):
        load_bars_frame("NOPE", "1m")


def test_live_parquet_bars_follow_synthetic_history(data_dir: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    idx = pd.date_range(now - timedelta(minutes=9), periods=10, freq="1min", tz=UTC)
    price = np.linspace(67250.0, 67300.0, 10)
    live = pd.DataFrame(
        {"Open": price, "High": price + 5, "Low": price - 5, "Close": price + 1, "Volume": 2.0},
        index=idx,
    )
    ParquetStore(data_dir).write_minute_bars("BTCUSD", live, "part-test")
    bars = get_bars("BTCUSD", "1m", limit=20)
    assert bars[-1]["t"] == idx[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert bars[-1]["c"] == f"{price[-1] + 1:.2f}"
    assert bars[-11]["t"] < bars[-10]["t"]  # synthetic history before the live bars
    daily = get_bars("BTCUSD", "1d", limit=2)
    assert daily[-1]["t"] == now.strftime("%Y-%m-%dT00:00:00Z") or len(idx.normalize().unique()) > 1
    assert Decimal(daily[-1]["v"]) >= Decimal(2)


def test_replay_feed_serves_real_goog_bars(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERDESK_FEED", "replay")
    get_settings.cache_clear()
    bars = get_bars("GOOG", "1d", start=datetime(2004, 8, 19, tzinfo=UTC), limit=5000)
    assert bars[0] == {
        "t": "2004-08-19T00:00:00Z",
        "o": "100.00",
        "h": "104.06",
        "l": "95.96",
        "c": "100.34",
        "v": "22351900",
    }
    assert len(bars) == 2148
    frame = load_bars_frame("GOOG", "1d", limit=None)
    assert frame.attrs["source"] == "replay"
    eur = get_bars("EURUSD", "1d", limit=5000)
    assert eur[0]["t"].startswith("2017-04-19")
    # Shipped GOOG has no minute bars: intraday comes from Parquet (none yet) or the sim.
    assert get_bars("GOOG", "1m", limit=1)


def test_resample_daily_uses_new_york_dates() -> None:
    idx = pd.DatetimeIndex(
        ["2026-11-20 20:59", "2026-11-21 00:30"], tz=UTC
    )  # Friday 15:59 NY and Friday 19:30 NY
    df = pd.DataFrame(
        {
            "Open": [1.0, 2.0],
            "High": [1.0, 2.0],
            "Low": [1.0, 2.0],
            "Close": [1.0, 2.0],
            "Volume": [1.0, 1.0],
        },
        index=idx,
    )
    out = resample(df, "1d", "XNYS")
    assert list(out.index) == [pd.Timestamp("2026-11-20", tz=UTC)]
    assert out["Volume"].iloc[0] == 2.0
    assert len(resample(df, "1d", "24/7")) == 2

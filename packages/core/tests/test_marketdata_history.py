from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from paperdesk_core.marketdata.calendars import NEW_YORK, is_open, session_bounds
from paperdesk_core.marketdata.history import (
    HISTORY_START,
    MINUTE_SESSIONS,
    generate_history,
    last_close,
    synthetic_history,
)
from paperdesk_core.marketdata.shipped import SHIPPED, load_shipped
from paperdesk_core.universe import DEFAULT_UNIVERSE, UNIVERSE_BY_SYMBOL

TODAY = date(2026, 11, 23)  # a Monday


def test_same_seed_same_history_and_other_seed_differs() -> None:
    a = generate_history("AAPL", TODAY, seed=7)
    b = generate_history("AAPL", TODAY, seed=7)
    c = generate_history("AAPL", TODAY, seed=8)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.minutes, b.minutes)
    assert not np.allclose(a.daily["Close"].to_numpy()[:-1], c.daily["Close"].to_numpy()[:-1])


@pytest.mark.parametrize("spec", DEFAULT_UNIVERSE, ids=lambda s: s.symbol)
def test_history_ends_at_base_price_with_consistent_bars(spec) -> None:
    h = synthetic_history(spec.symbol, today=TODAY, seed=42)
    d = h.daily
    assert d.index[0].date() >= HISTORY_START
    assert d.index[-1].date() < TODAY
    assert last_close(spec.symbol, today=TODAY, seed=42) == spec.base_price.quantize(spec.tick_size)
    assert (d["High"] >= d[["Open", "Close"]].max(axis=1)).all()
    assert (d["Low"] <= d[["Open", "Close"]].min(axis=1)).all()
    assert (d["Low"] > 0).all()
    assert (d["Volume"] > 0).all()
    # Volume is realistic: the median day is within a factor of 2 of the average volume.
    assert 0.5 < d["Volume"].median() / spec.avg_daily_volume < 2
    assert d.index.is_monotonic_increasing
    assert d.index.is_unique


def test_calendars_decide_which_days_have_bars() -> None:
    eq = synthetic_history("AAPL", today=TODAY, seed=42).daily
    crypto = synthetic_history("BTCUSD", today=TODAY, seed=42).daily
    fx = synthetic_history("EURUSD", today=TODAY, seed=42).daily
    assert set(eq.index.dayofweek) == {0, 1, 2, 3, 4}
    assert set(fx.index.dayofweek) == {0, 1, 2, 3, 4}
    assert set(crypto.index.dayofweek) == set(range(7))
    assert crypto.index[-1].date() == date(2026, 11, 22)  # Sunday: crypto trades
    assert eq.index[-1].date() == date(2026, 11, 20)  # Friday


def test_minute_bars_cover_exchange_hours_and_match_daily_bars() -> None:
    h = synthetic_history("MSFT", today=TODAY, seed=42)
    m = h.minutes
    days = sorted(set(m.index.tz_convert(NEW_YORK).date))
    assert len(days) == MINUTE_SESSIONS
    local = m.index.tz_convert(NEW_YORK)
    assert (local.time >= time(9, 30)).all()
    assert (local.time < time(16, 0)).all()
    assert all(is_open("XNYS", t.to_pydatetime()) for t in m.index[::97])
    for day in days:
        bars = m[local.date == day]
        assert len(bars) == 390
        row = h.daily.loc[pd.Timestamp(day, tz=UTC)]
        assert bars["Open"].iloc[0] == row["Open"]
        assert bars["Close"].iloc[-1] == row["Close"]
        assert bars["High"].max() == row["High"]
        assert bars["Low"].min() == row["Low"]
        assert bars["Volume"].sum() == pytest.approx(row["Volume"])
        # Consecutive minute bars join up.
        assert (bars["Open"].to_numpy()[1:] == bars["Close"].to_numpy()[:-1]).all()


def test_crypto_minutes_run_around_the_clock() -> None:
    m = synthetic_history("ETHUSD", today=TODAY, seed=42).minutes
    assert len(m) == MINUTE_SESSIONS * 1440
    assert m.index[-1] == pd.Timestamp("2026-11-22 23:59", tz=UTC)


def test_session_bounds_follow_new_york_daylight_saving() -> None:
    summer = session_bounds("XNYS", date(2026, 7, 1))
    winter = session_bounds("XNYS", date(2026, 12, 1))
    assert summer[0] == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert winter[0] == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert winter[1] == datetime(2026, 12, 1, 21, 0, tzinfo=UTC)


def test_unknown_symbol_has_no_history() -> None:
    with pytest.raises(KeyError):
        synthetic_history("NOPE", today=TODAY)


def test_shipped_series_load_with_utc_index() -> None:
    goog = load_shipped("GOOG")
    assert goog.index[0] == pd.Timestamp("2004-08-19", tz=UTC)
    assert goog.iloc[0]["Open"] == 100.0
    assert len(goog) == 2148
    eur = load_shipped("EURUSD")
    assert (eur.index[1] - eur.index[0]) == pd.Timedelta(hours=1)
    assert set(SHIPPED) == {"GOOG", "EURUSD", "BTCUSD"}
    assert len(load_shipped("BTCUSD")) > 100
    assert UNIVERSE_BY_SYMBOL["GOOG"].base_price == Decimal("176.30")

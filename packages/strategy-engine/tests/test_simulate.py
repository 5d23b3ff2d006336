import math

import numpy as np
import pandas as pd
import pytest

from strategy_engine import run_backtest

from ._stubs import FixedSignals, make_bars


def trades_of(result):
    return result.trades.to_dict("records")


# fast=1 is the close itself, slow=2 the mean of the last two closes, so the sign of
# (fast - slow) is the sign of the last price change: 0 on unchanged bars.
CROSS_CLOSE = [10.0, 9.0, 9.0, 9.0, 10.0, 10.0, 11.0, 10.0, 10.0]
CROSS_OPEN = [10.0, 9.5, 9.0, 9.0, 9.5, 10.5, 10.5, 10.8, 10.2]


def test_cross_sign_carries_through_equal_bars():
    bars = make_bars(CROSS_CLOSE, CROSS_OPEN)
    r = run_backtest(bars, "sma_cross", {"fast": 1, "slow": 2}, execution="close")
    # Down at bar 1, equal at 2-3 (still down), up at 4: a cross. Equal at 5, up at 6: no
    # cross (the sign stayed up). Down at 7: exit.
    (t,) = trades_of(r)
    assert (t["entry_bar"], t["exit_bar"]) == (4, 7)
    assert t["entry_price"] == 10.0
    assert t["exit_price"] == 10.0


def test_first_sign_is_not_a_cross():
    bars = make_bars([10.0, 11.0, 12.0, 11.0, 12.0])
    r = run_backtest(bars, "sma_cross", {"fast": 1, "slow": 2}, execution="close")
    # Bar 1 starts "up" (no cross), bar 3 crosses down (flat: nothing), bar 4 crosses up.
    assert [(t["entry_bar"], t["exit_bar"]) for t in trades_of(r)] == [(4, -1)]


def test_next_open_fills_at_next_bar_open():
    bars = make_bars(CROSS_CLOSE, CROSS_OPEN)
    r = run_backtest(bars, "sma_cross", {"fast": 1, "slow": 2}, execution="next_open")
    (t,) = trades_of(r)
    assert (t["entry_bar"], t["exit_bar"]) == (5, 8)
    assert t["entry_price"] == CROSS_OPEN[5]
    assert t["exit_price"] == CROSS_OPEN[8]
    assert t["entry_time"] == bars.index[5]


def test_signal_on_last_bar_is_dropped_with_next_open():
    bars = make_bars([10.0, 10.0, 10.0, 10.0])
    strat = FixedSignals([0, 0, 0, 1], [0, 0, 0, 0])
    r = run_backtest(bars, strat, execution="next_open", initial_cash=1000)
    assert r.trades.empty
    assert r.metrics["final_equity"] == 1000
    # With close execution the same signal fills at the last close.
    r = run_backtest(bars, strat, execution="close", initial_cash=1000)
    assert len(r.trades) == 1


def test_whole_share_sizing_fees_and_cash():
    bars = make_bars([10.0, 10.0, 12.0, 12.0], open_=[10.0, 10.0, 12.0, 12.0])
    strat = FixedSignals([1, 0, 0, 0], [0, 1, 0, 0])
    r = run_backtest(
        bars, strat, initial_cash=1000, fees=0.01, execution="next_open", fractional=False
    )
    (t,) = trades_of(r)
    # floor(1000 / (10 * 1.01)) = floor(99.0099) = 99 shares; fee 0.01 * 99 * 10 = 9.9.
    assert t["size"] == 99
    assert t["entry_fee"] == pytest.approx(9.9)
    # Exit at bar 2's open, 12: fee 0.01 * 99 * 12 = 11.88.
    assert t["exit_fee"] == pytest.approx(11.88)
    assert t["pnl"] == pytest.approx(99 * 2 - 9.9 - 11.88)
    assert t["fees"] == pytest.approx(9.9 + 11.88)
    cash_after_entry = 1000 - 99 * 10 - 9.9
    assert r.cash.iloc[1] == pytest.approx(cash_after_entry)
    # Equity is cash + shares * close while the position is open.
    assert r.equity.iloc[1] == pytest.approx(cash_after_entry + 99 * 10.0)
    assert r.metrics["final_equity"] == pytest.approx(cash_after_entry + 99 * 12 - 11.88)


def test_fractional_sizing_spends_all_cash():
    bars = make_bars([10.0, 10.0, 11.0])
    r = run_backtest(
        bars, FixedSignals([1, 0, 0], [0, 0, 0]), initial_cash=1000, fees=0.01, slippage=0.02,
        execution="close",
    )  # fmt: skip
    (t,) = trades_of(r)
    assert t["size"] == pytest.approx(1000 / (10 * 1.03))
    assert r.cash.iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_slippage_worsens_fills_and_fees_use_reference_price():
    bars = make_bars([10.0, 10.0, 20.0, 20.0])
    r = run_backtest(
        bars, FixedSignals([1, 0, 0, 0], [0, 0, 1, 0]), initial_cash=1000, fees=0.001,
        slippage=0.01, execution="close", fractional=False,
    )  # fmt: skip
    (t,) = trades_of(r)
    size = math.floor(1000 / (10 * (1 + 0.001 + 0.01)))
    assert t["size"] == size
    assert t["entry_price"] == pytest.approx(10 * 1.01)
    assert t["exit_price"] == pytest.approx(20 * 0.99)
    assert t["entry_fee"] == pytest.approx(0.001 * size * 10)
    assert t["exit_fee"] == pytest.approx(0.001 * size * 20)
    expected = 1000 - size * 10.1 - 0.001 * size * 10 + size * 19.8 - 0.001 * size * 20
    assert r.metrics["final_equity"] == pytest.approx(expected)


def test_open_position_is_not_closed_at_the_end():
    bars = make_bars([10.0, 11.0, 12.0])
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 0, 0]), initial_cash=1000, fees=0.01,
                     execution="close")  # fmt: skip
    (t,) = trades_of(r)
    assert t["exit_bar"] == -1
    assert pd.isna(t["exit_time"])
    assert t["exit_reason"] == "open"
    assert t["exit_fee"] == 0
    size = 1000 / (10 * 1.01)
    assert r.metrics["final_equity"] == pytest.approx(size * 12)
    assert t["pnl"] == pytest.approx(size * 2 - 0.01 * size * 10)
    assert r.metrics["trades"] == 0
    assert r.metrics["open_trades"] == 1


def test_not_enough_cash_for_one_share_skips_the_entry():
    bars = make_bars([100.0, 100.0, 100.0])
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 0, 0]), initial_cash=50,
                     fractional=False, execution="close")  # fmt: skip
    assert r.trades.empty
    assert r.equity.tolist() == [50.0, 50.0, 50.0]


def test_long_short_reverses_on_one_bar():
    bars = make_bars([10.0, 10.0, 8.0, 8.0, 9.0])
    strat = FixedSignals([1, 0, 0, 1, 0], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 0])
    r = run_backtest(bars, strat, initial_cash=1000, execution="close")
    long1, short, long2 = trades_of(r)
    assert (long1["direction"], long1["entry_bar"], long1["exit_bar"]) == ("long", 0, 1)
    assert (short["direction"], short["entry_bar"], short["exit_bar"]) == ("short", 1, 3)
    assert short["size"] == pytest.approx(100)
    assert short["pnl"] == pytest.approx(100 * (10 - 8))
    assert long2["entry_bar"] == 3
    assert r.position.iloc[2] == pytest.approx(-100)
    # Equity while short is cash (initial + proceeds) minus the shares at the close.
    assert r.equity.iloc[2] == pytest.approx(1000 + 1000 - 100 * 8)
    assert r.metrics["final_equity"] == pytest.approx(1200 / 8 * 9)


@pytest.mark.parametrize(
    ("params", "low", "open_", "exit_bar", "exit_price", "reason"),
    [
        # Stop 10% below the 100 entry: the low of bar 2 touches 90 -> fill at 90.
        ({"stop_loss": 0.1}, [100, 100, 85, 100], [100, 100, 95, 100], 2, 90.0, "stop_loss"),
        # The open gaps through the stop -> fill at the open.
        ({"stop_loss": 0.1}, [100, 100, 80, 100], [100, 100, 85, 100], 2, 85.0, "stop_loss"),
    ],
)
def test_stop_loss(params, low, open_, exit_bar, exit_price, reason):
    close = [100.0, 100.0, 95.0, 100.0]
    bars = make_bars(
        close, open_=open_, low=low, high=[max(o, c) for o, c in zip(open_, close, strict=True)]
    )
    strat = FixedSignals([1, 0, 0, 0], [0, 0, 0, 0])
    r = run_backtest(bars, strat, params, initial_cash=1000, execution="close")
    (t,) = trades_of(r)
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (exit_bar, exit_price, reason)


def test_take_profit_and_stop_in_one_bar_takes_the_stop():
    close = [100.0, 100.0, 100.0]
    bars = make_bars(close, high=[100, 100, 120], low=[100, 100, 80])
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 0, 0]),
                     {"stop_loss": 0.1, "take_profit": 0.1}, execution="close")  # fmt: skip
    (t,) = trades_of(r)
    assert (t["exit_price"], t["exit_reason"]) == (90.0, "stop_loss")


def test_take_profit():
    bars = make_bars([100.0, 100.0, 105.0], high=[100, 100, 125], low=[100, 100, 100])
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 0, 0]), {"take_profit": 0.2},
                     execution="close")  # fmt: skip
    (t,) = trades_of(r)
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (2, 120.0, "take_profit")


def test_trailing_stop_follows_completed_bars_highs():
    close = [100.0, 110.0, 120.0, 100.0]
    high = [100.0, 115.0, 130.0, 120.0]
    low = [100.0, 105.0, 115.0, 95.0]
    bars = make_bars(close, open_=close, high=high, low=low)
    r = run_backtest(bars, FixedSignals([1, 0, 0, 0], [0, 0, 0, 0]), {"trailing_stop": 0.1},
                     execution="close")  # fmt: skip
    (t,) = trades_of(r)
    # Best completed high before bar 3 is 130: stop at 117, bar 3 opens at 100 below it.
    assert (t["exit_bar"], t["exit_reason"]) == (3, "trailing_stop")
    assert t["exit_price"] == 100.0


def test_stops_apply_on_the_entry_bar_with_next_open():
    bars = make_bars([100.0, 100.0, 100.0], open_=[100.0, 100.0, 100.0],
                     high=[100, 100, 100], low=[100, 85, 100])  # fmt: skip
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 0, 0]), {"stop_loss": 0.1},
                     execution="next_open")  # fmt: skip
    (t,) = trades_of(r)
    assert (t["entry_bar"], t["exit_bar"], t["exit_price"]) == (1, 1, 90.0)


def test_short_stop_loss():
    bars = make_bars([100.0, 100.0, 100.0], high=[100, 100, 115], low=[100, 100, 100])
    strat = FixedSignals([0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 0])
    r = run_backtest(bars, strat, {"stop_loss": 0.1}, execution="close", initial_cash=1000)
    (t,) = trades_of(r)
    assert (t["direction"], t["exit_reason"]) == ("short", "stop_loss")
    assert t["exit_price"] == pytest.approx(110.0)
    assert t["pnl"] == pytest.approx(-10 * 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"initial_cash": 0}, "initial_cash"),
        ({"fees": -0.1}, "fees"),
        ({"slippage": 1.5}, "slippage"),
        ({"execution": "open"}, "execution"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_backtest(make_bars([1.0, 2.0]), "buy_and_hold", **kwargs)


def test_bad_bars_are_rejected():
    bars = make_bars([1.0, 2.0]).drop(columns=["Volume"])
    with pytest.raises(ValueError, match="missing columns"):
        run_backtest(bars, "buy_and_hold")
    with pytest.raises(ValueError, match="DatetimeIndex"):
        run_backtest(make_bars([1.0, 2.0]).reset_index(drop=True), "buy_and_hold")
    with pytest.raises(ValueError, match="missing values"):
        run_backtest(make_bars([1.0, np.nan]), "buy_and_hold")


def test_records_are_json_friendly():
    import json

    bars = make_bars(CROSS_CLOSE, CROSS_OPEN)
    r = run_backtest(bars, "sma_cross", {"fast": 1, "slow": 2})
    eq = r.equity_records()
    assert eq[0] == {"t": "2024-01-01T00:00:00Z", "equity": 10_000.0, "drawdown": 0.0}
    json.dumps(r.trade_records(), allow_nan=False)
    json.dumps(r.metrics, allow_nan=False)

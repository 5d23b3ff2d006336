import math

import numpy as np
import pandas as pd
import pytest

from strategy_engine import infer_periods_per_year, run_backtest
from strategy_engine.metrics import METRIC_NAMES

from ._stubs import FixedSignals, make_bars

CLOSE = [100.0, 102.0, 101.0, 105.0, 103.0, 99.0, 104.0, 108.0, 107.0, 110.0, 106.0, 111.0]
ENTRIES = [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
EXITS = [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]


@pytest.fixture(scope="module")
def result():
    bars = make_bars(CLOSE)
    return run_backtest(
        bars, FixedSignals(ENTRIES, EXITS), initial_cash=1000, fees=0.001, execution="close",
        periods_per_year=252,
    )  # fmt: skip


def test_every_metric_is_reported(result):
    assert tuple(result.metrics) == METRIC_NAMES


def test_return_metrics_match_pandas(result):
    m = result.metrics
    eq = result.equity
    returns = pd.concat([pd.Series([1000.0]), eq.reset_index(drop=True)]).pct_change().dropna()
    n = len(eq)
    assert m["final_equity"] == pytest.approx(eq.iloc[-1])
    assert m["total_return"] == pytest.approx(eq.iloc[-1] / 1000 - 1)
    assert m["cagr"] == pytest.approx((eq.iloc[-1] / 1000) ** (252 / n) - 1)
    assert m["volatility"] == pytest.approx(returns.std() * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(returns.mean() / returns.std() * math.sqrt(252))
    downside = math.sqrt((returns.clip(upper=0) ** 2).mean())
    assert m["sortino"] == pytest.approx(returns.mean() / downside * math.sqrt(252))


def test_drawdown_metrics_match_pandas(result):
    eq = result.equity
    dd = eq / eq.cummax() - 1
    assert result.drawdown.to_numpy() == pytest.approx(dd.to_numpy())
    assert result.metrics["max_drawdown"] == pytest.approx(dd.min())
    assert result.metrics["calmar"] == pytest.approx(result.metrics["cagr"] / -dd.min())


def test_drawdown_duration_by_hand():
    # Fully invested without fees, equity is the close: peak 102 (bar 1) regained at bar 3,
    # 2 bars; peak 105 (bar 3) regained at bar 7, 4 bars; peak 110 (bar 9) at bar 11.
    bars = make_bars(CLOSE, freq="D")
    r = run_backtest(bars, "buy_and_hold", execution="close", initial_cash=100)
    assert r.equity.tolist() == pytest.approx(CLOSE)
    assert r.metrics["max_drawdown_duration_bars"] == 4
    assert r.metrics["max_drawdown_duration_days"] == 4.0
    assert r.metrics["max_drawdown"] == pytest.approx(99 / 105 - 1)


def test_unrecovered_drawdown_lasts_to_the_end():
    bars = make_bars([10.0, 12.0, 11.0, 9.0, 10.0], freq="D")
    r = run_backtest(bars, "buy_and_hold", execution="close", initial_cash=10)
    assert r.metrics["max_drawdown_duration_bars"] == 3
    assert r.metrics["max_drawdown"] == pytest.approx(9 / 12 - 1)


def test_trade_metrics_by_hand(result):
    m = result.metrics
    closed = result.trades[result.trades.exit_bar >= 0]
    pnl = closed.pnl
    assert m["trades"] == 2
    assert m["open_trades"] == 0
    assert m["win_rate"] == pytest.approx((pnl > 0).mean())
    wins, losses = pnl[pnl > 0].sum(), -pnl[pnl <= 0].sum()
    assert m["profit_factor"] == pytest.approx(wins / losses)
    assert m["expectancy"] == pytest.approx(pnl.mean())
    assert m["win_rate"] == 0.5
    # Entry at bar 0, exit bar 5; entry bar 6, exit bar 9: holding 5 and 3 bars.
    assert m["avg_holding_bars"] == pytest.approx(4)
    assert m["avg_holding_days"] == pytest.approx((7 + 3) / 2)  # calendar days, B freq
    assert m["exposure"] == pytest.approx((result.position != 0).mean())
    assert m["exposure"] == pytest.approx(8 / 12)
    assert m["benchmark_return"] == pytest.approx(111 / 100 - 1)
    # First trade: 1000 / (100 * 1.001) shares, 100 -> 99, two fees.
    size = 1000 / (100 * 1.001)
    assert pnl.iloc[0] == pytest.approx(-size - 0.001 * size * 100 - 0.001 * size * 99)


def test_undefined_metrics_are_none():
    bars = make_bars([10.0, 10.0, 10.0])
    r = run_backtest(bars, FixedSignals([0, 0, 0], [0, 0, 0]), periods_per_year=252)
    m = r.metrics
    assert m["trades"] == 0
    for name in ("win_rate", "profit_factor", "expectancy", "sharpe", "sortino", "calmar"):
        assert m[name] is None, name
    assert m["max_drawdown"] == 0
    assert m["total_return"] == 0


def test_profit_factor_without_losses_is_none_not_inf():
    bars = make_bars([10.0, 11.0, 12.0])
    r = run_backtest(bars, FixedSignals([1, 0, 0], [0, 1, 0]), execution="close")
    assert r.metrics["win_rate"] == 1.0
    assert r.metrics["profit_factor"] is None


@pytest.mark.parametrize(
    ("freq", "periods", "weekends", "expected"),
    [
        ("B", 300, False, 252),
        ("D", 400, True, 365),
        ("W-FRI", 100, False, 52),
        ("h", 24 * 30, True, 365 * 24),
        ("min", 1440 * 7, True, 365 * 1440),
    ],
)
def test_infer_periods_per_year(freq, periods, weekends, expected):
    idx = pd.date_range("2024-01-01", periods=periods, freq=freq, tz="UTC")
    assert bool((idx.dayofweek >= 5).any()) == weekends
    assert infer_periods_per_year(idx) == pytest.approx(expected)


def test_infer_periods_per_year_equity_minutes():
    days = pd.bdate_range("2024-01-01", periods=20, tz="UTC")
    idx = pd.DatetimeIndex(
        np.concatenate(
            [
                pd.date_range(d + pd.Timedelta(hours=14, minutes=30), periods=390, freq="min")
                for d in days
            ]
        )
    )
    assert infer_periods_per_year(idx) == 252 * 390

import numpy as np
import pandas as pd
import pytest

from strategy_engine import ParamsError, expand_grid, run_backtest, run_sweep


@pytest.fixture(scope="module")
def bars():
    rng = np.random.default_rng(11)
    n = 800
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    idx = pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1.0}, index=idx
    )


def test_expand_grid_api_format():
    grid = expand_grid({"fast": {"start": 5, "stop": 9, "step": 2}, "slow": [20, 50]})
    assert grid == [
        {"fast": 5, "slow": 20}, {"fast": 5, "slow": 50}, {"fast": 7, "slow": 20},
        {"fast": 7, "slow": 50}, {"fast": 9, "slow": 20}, {"fast": 9, "slow": 50},
    ]  # fmt: skip
    assert len(expand_grid({"k": {"start": 1.0, "stop": 2.0, "step": 0.5}})) == 3


def test_bench_grid_has_1605_pairs():
    grid = expand_grid(
        {"fast": {"start": 5, "stop": 50}, "slow": {"start": 10, "stop": 200, "step": 5}}
    )
    assert len([g for g in grid if g["fast"] < g["slow"]]) == 1605


@pytest.mark.parametrize("execution", ["next_open", "close"])
@pytest.mark.parametrize("fractional", [True, False])
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"direction": "long_short"},
        {"stop_loss": 0.03, "take_profit": 0.1},
        {"trailing_stop": 0.05},
    ],
)
def test_sma_sweep_rows_equal_single_runs(bars, execution, fractional, extra):
    grid = [dict(fast=f, slow=s, **extra) for f in (3, 8, 15) for s in (20, 40)]
    kw = {"initial_cash": 5000, "fees": 0.001, "slippage": 0.0005, "execution": execution,
          "fractional": fractional}  # fmt: skip
    rows = run_sweep(bars, "sma_cross", grid, **kw)
    for params, row in zip(grid, rows, strict=True):
        single = run_backtest(bars, "sma_cross", params, **kw)
        assert {k: row[k] for k in single.metrics} == single.metrics
        assert {k: row[k] for k in params} == params


@pytest.mark.parametrize(
    ("name", "grid"),
    [
        ("ema_cross", [{"fast": f, "slow": s} for f in (5, 10) for s in (20, 30)]),
        ("rsi_reversion", [{"window": w, "lower": lo} for w in (7, 14) for lo in (25, 35)]),
        (
            "bollinger_reversion",
            [{"window": w, "k": k, "direction": "long_short"} for w in (10, 20) for k in (1.5, 2)],
        ),
        ("macd_cross", [{"fast": 12, "slow": 26, "signal": s} for s in (5, 9)]),
        (
            "donchian_breakout",
            [{"entry_window": e, "exit_window": x} for e in (20, 55) for x in (10, 20)],
        ),
        ("buy_and_hold", [{}, {"stop_loss": 0.1}]),
    ],
)
def test_generic_sweep_rows_equal_single_runs(bars, name, grid):
    rows = run_sweep(bars, name, grid, fees=0.002)
    for params, row in zip(grid, rows, strict=True):
        single = run_backtest(bars, name, params, fees=0.002)
        assert {k: row[k] for k in single.metrics} == single.metrics


def test_invalid_combinations_raise_or_are_skipped(bars):
    grid = [{"fast": 10, "slow": 20}, {"fast": 30, "slow": 20}]
    with pytest.raises(ParamsError, match="fast \\(30\\) must be less than slow \\(20\\)"):
        run_sweep(bars, "sma_cross", grid)
    rows = run_sweep(bars, "sma_cross", grid, skip_invalid=True)
    assert [(r["fast"], r["slow"]) for r in rows] == [(10, 20)]
    assert run_sweep(bars, "sma_cross", []) == []

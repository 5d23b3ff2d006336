"""The simulator agrees with vectorbt's own from_signals on the cases both can express."""

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt

from strategy_engine import get_strategy, run_backtest


@pytest.fixture(scope="module")
def bars():
    rng = np.random.default_rng(3)
    n = 1500
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.012, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * 1.005
    low = np.minimum(open_, close) * 0.995
    idx = pd.date_range("2018-01-01", periods=n, freq="B", tz="UTC")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1.0}, index=idx
    )


@pytest.mark.parametrize("execution", ["next_open", "close"])
@pytest.mark.parametrize("fractional", [True, False])
def test_matches_vectorbt_from_signals(bars, execution, fractional):
    params = {"fast": 10, "slow": 30}
    sig = get_strategy("sma_cross").signal_frame(bars, params)
    entries, exits, price = sig.entries, sig.exits, bars.Close
    if execution == "next_open":
        # vectorbt fills on the signal's own bar: move the signal to the fill bar.
        entries, exits, price = (
            entries.shift(1, fill_value=False),
            exits.shift(1, fill_value=False),
            bars.Open,
        )
    pf = vbt.Portfolio.from_signals(
        bars.Close, entries, exits, price=price, fees=0.001, size=np.inf,
        size_granularity=None if fractional else 1.0, init_cash=10_000, direction="longonly",
        freq="1D",
    )  # fmt: skip
    ours = run_backtest(bars, "sma_cross", params, initial_cash=10_000, fees=0.001,
                        execution=execution, fractional=fractional)  # fmt: skip
    np.testing.assert_allclose(ours.equity.to_numpy(), pf.value().to_numpy(), rtol=1e-9)
    rec = pf.trades.records_readable
    assert len(rec) == len(ours.trades)
    np.testing.assert_allclose(rec["Size"].to_numpy(), ours.trades["size"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        rec["Avg Entry Price"].to_numpy(), ours.trades.entry_price, rtol=1e-12
    )
    closed = ours.trades.exit_bar >= 0
    np.testing.assert_allclose(
        rec["PnL"].to_numpy()[closed.to_numpy()], ours.trades.pnl[closed].to_numpy(), rtol=1e-9
    )
    # vectorbt reports the drawdown magnitude; ours is a signed fraction <= 0.
    assert ours.metrics["max_drawdown"] == pytest.approx(-abs(pf.max_drawdown()), rel=1e-9)
    assert ours.metrics["trades"] == pf.trades.closed.count()

"""Cross-engine reference tests: strategy_engine vs backtesting.py and backtrader.

GOOG daily (2004-2013, shipped with backtesting.py), SMA cross, 10,000 cash, 0.2% fees per
fill, whole shares. Each reference engine runs its own strategy code and SMAs; only the
signal rule and the order/sizing settings are configured to express API.md's conventions:

- The cross is a change of sign of (fast - slow), the sign carrying through equal bars. Both
  references track the last non-zero sign themselves (``backtesting.lib.crossover`` only
  compares the previous bar, and backtesting.py starts calling ``next`` after the warm-up,
  so the sign before the first call is read from the indicator history).
- ``next_open``: backtesting.py market orders with ``trade_on_close=False`` fill at the next
  open; its default relative size (just under 1) takes
  ``floor(margin_available / (price * (1 + commission)))`` whole shares at fill time.
  backtrader runs with ``cheat_on_open`` so the order is sized in ``next_open`` against the
  very open it fills at, ``floor(cash / (open * (1 + fees)))``; ``checksubmit`` is off since
  backtrader would otherwise check the cash against the bar's close.
- ``close``: backtesting.py ``trade_on_close=True`` and backtrader ``set_coc(True)`` fill at
  the signal bar's close, but neither fills an order placed on the data's last bar, while
  the convention fills it at that close. The reference data therefore get one copy of the
  last bar appended (same prices, one day later): it only lets the last bar's order fill at
  the last close, and the references' equity on it equals ours on the last bar.
- Commission is a rate on each fill's notional in all three engines; an open position at
  the end stays open (``finalize_trades=False``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import backtesting
import backtrader as bt
import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG
from strategy_engine import run_backtest, run_sweep

CASH = 10_000.0
FEES = 0.002
EXECUTIONS = ("next_open", "close")

Trade = tuple[int, int, int]  # entry bar, exit bar (-1 when open), size


def _sma(values: Any, n: int) -> pd.Series:
    return pd.Series(values).rolling(n).mean()


def _sign(x: float) -> int:
    return 1 if x > 0 else (-1 if x < 0 else 0)


def _with_copy_of_last_bar(df: pd.DataFrame) -> pd.DataFrame:
    extra = df.iloc[[-1]].copy()
    extra.index = extra.index + pd.Timedelta(days=1)
    return pd.concat([df, extra])


# backtesting.py ------------------------------------------------------------------------


class BtpySmaCross(backtesting.Strategy):
    fast = 10
    slow = 20

    def init(self) -> None:
        self.f = self.I(_sma, self.data.Close, self.fast)
        self.s = self.I(_sma, self.data.Close, self.slow)
        self.last_sign: int | None = None

    def next(self) -> None:
        if self.last_sign is None:
            # First call comes after the warm-up: recover the sign carried so far.
            hist = np.asarray(self.f[:-1]) - np.asarray(self.s[:-1])
            nz = hist[~np.isnan(hist) & (hist != 0)]
            self.last_sign = _sign(nz[-1]) if nz.size else 0
        sign = _sign(self.f[-1] - self.s[-1])  # NaN -> 0: no sign yet
        if sign == 0:
            return
        prev, self.last_sign = self.last_sign, sign
        if prev == -1 and sign == 1 and not self.position:
            self.buy()
        elif prev == 1 and sign == -1 and self.position:
            self.position.close()


def run_backtesting_py(fast: int, slow: int, execution: str) -> tuple[float, list[Trade]]:
    on_close = execution == "close"
    data = _with_copy_of_last_bar(GOOG) if on_close else GOOG
    engine = backtesting.Backtest(
        data,
        BtpySmaCross,
        cash=CASH,
        commission=FEES,
        trade_on_close=on_close,
        exclusive_orders=False,
        finalize_trades=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = engine.run(fast=fast, slow=slow)
    closed = [(int(t.EntryBar), int(t.ExitBar), int(t.Size)) for t in stats._trades.itertuples()]
    still_open = [(int(t.entry_bar), -1, int(t.size)) for t in stats._strategy._broker.trades]
    return float(stats._equity_curve["Equity"].iloc[-1]), closed + still_open


# backtrader ----------------------------------------------------------------------------


class BtrSmaCross(bt.Strategy):  # type: ignore[misc]
    params = (("fast", 10), ("slow", 20), ("on_close", False), ("fees", FEES))

    def __init__(self) -> None:
        self.f = bt.indicators.SMA(self.data.close, period=self.p.fast)
        self.s = bt.indicators.SMA(self.data.close, period=self.p.slow)
        self.last_sign = 0
        self.pending = 0
        self.fills: list[tuple[int, float]] = []  # (bar, signed size)

    def notify_order(self, order: Any) -> None:
        if order.status == order.Completed:
            bar = len(self.data) - 1
            if self.p.on_close:
                bar -= 1  # cheat-on-close fills are notified on the following bar
            self.fills.append((bar, order.executed.size))

    def _whole_shares(self, price: float) -> int:
        return math.floor(self.broker.getcash() / (price * (1 + self.p.fees)))

    def next_open(self) -> None:
        if self.pending == 1 and not self.position:
            self.buy(size=self._whole_shares(self.data.open[0]))
        elif self.pending == -1 and self.position:
            self.close()
        self.pending = 0

    def next(self) -> None:
        sign = _sign(self.f[0] - self.s[0])
        if sign == 0:
            return
        prev, self.last_sign = self.last_sign, sign
        signal = 1 if (prev, sign) == (-1, 1) else (-1 if (prev, sign) == (1, -1) else 0)
        if not signal:
            return
        if not self.p.on_close:
            self.pending = signal
        elif signal == 1 and not self.position:
            self.buy(size=self._whole_shares(self.data.close[0]))
        elif signal == -1 and self.position:
            self.close()


def run_backtrader(fast: int, slow: int, execution: str) -> tuple[float, list[Trade]]:
    on_close = execution == "close"
    data = _with_copy_of_last_bar(GOOG) if on_close else GOOG
    cerebro = bt.Cerebro(stdstats=False, cheat_on_open=not on_close)
    cerebro.adddata(bt.feeds.PandasData(dataname=data))
    cerebro.addstrategy(BtrSmaCross, fast=fast, slow=slow, on_close=on_close)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=FEES)
    cerebro.broker.set_checksubmit(False)
    if on_close:
        cerebro.broker.set_coc(True)
    else:
        cerebro.broker.set_coo(True)
    (strat,) = cerebro.run()
    trades: list[Trade] = []
    for bar, size in strat.fills:
        if size > 0:
            trades.append((bar, -1, int(size)))
        else:
            entry, _, held = trades[-1]
            assert held == -size
            trades[-1] = (entry, bar, held)
    return float(cerebro.broker.getvalue()), trades


# ours ----------------------------------------------------------------------------------


def run_ours(fast: int, slow: int, execution: str) -> tuple[float, list[Trade]]:
    r = run_backtest(
        GOOG, "sma_cross", {"fast": fast, "slow": slow}, initial_cash=CASH, fees=FEES,
        execution=execution, fractional=False,  # type: ignore[arg-type]
    )  # fmt: skip
    trades = [
        (int(e), int(x), int(s))
        for e, x, s in zip(r.trades.entry_bar, r.trades.exit_bar, r.trades["size"], strict=True)
    ]
    assert all(float(s).is_integer() for s in r.trades["size"])
    final = r.metrics["final_equity"]
    assert isinstance(final, float)
    return final, trades


@pytest.mark.parametrize("execution", EXECUTIONS)
def test_sma_cross_10_20_matches_backtesting_py(execution: str) -> None:
    ours, our_trades = run_ours(10, 20, execution)
    ref, ref_trades = run_backtesting_py(10, 20, execution)
    assert ours == pytest.approx(ref, rel=1e-6, abs=0)
    assert our_trades == ref_trades
    assert len(our_trades) > 40


@pytest.mark.parametrize("execution", EXECUTIONS)
def test_sma_cross_10_20_matches_backtrader(execution: str) -> None:
    ours, our_trades = run_ours(10, 20, execution)
    ref, ref_trades = run_backtrader(10, 20, execution)
    assert ours == pytest.approx(ref, rel=1e-6, abs=0)
    assert our_trades == ref_trades


def _grid_subset() -> list[dict[str, int]]:
    full = [{"fast": f, "slow": s} for f in range(5, 51) for s in range(10, 201, 5) if f < s]
    assert len(full) == 1605
    picked = full[::55]  # 30 pairs spread over the grid
    # 12/20 crosses on the first bar after backtesting.py's warm-up: a sharp edge case.
    return [*picked, {"fast": 12, "slow": 20}]


@pytest.mark.parametrize("execution", EXECUTIONS)
def test_sweep_matches_backtesting_py_for_every_pair(execution: str) -> None:
    grid = _grid_subset()
    rows = run_sweep(
        GOOG, "sma_cross", grid, initial_cash=CASH, fees=FEES, execution=execution,  # type: ignore[arg-type]
        fractional=False,
    )  # fmt: skip
    mismatches = []
    for params, row in zip(grid, rows, strict=True):
        ref, ref_trades = run_backtesting_py(params["fast"], params["slow"], execution)
        closed = sum(1 for t in ref_trades if t[1] >= 0)
        if row["final_equity"] != pytest.approx(ref, rel=1e-6, abs=0) or row["trades"] != closed:
            mismatches.append((params, row["final_equity"], ref, row["trades"], closed))
    assert not mismatches

"""Backtest engine benchmark: strategy_engine vs backtesting.py and vectorbt, side by side.

Measures, in one run:
- single: SMA cross 10/20 on GOOG daily (2,148 bars) with every metric (target < 10 ms),
  next to backtesting.py's ``Backtest.run`` and vectorbt's ``from_signals`` + ``stats()``;
- sweep: the 1,605 SMA pairs (fast 5..50 step 1, slow 10..200 step 5, fast < slow) with all
  metrics per pair (target < 0.5 s and >= 75x faster than ``Backtest.optimize`` over the same
  grid, measured here too; its per-pair final equity is checked against ours);
- large: one backtest on 1,000,000 synthetic 1-minute bars (target < 300 ms).

Numba is warmed before timing; the JIT figures are reported separately: ``jit_cold_compile_s``
compiles from scratch in a subprocess with an empty cache, ``jit_warmup_s`` is this process's
first call (a cache load when the on-disk cache is warm).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import backtesting
import numpy as np
import pandas as pd

GRID = [{"fast": f, "slow": s} for f in range(5, 51) for s in range(10, 201, 5) if f < s]
CASH = 10_000.0
FEES = 0.002


def _best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Return (median, min) wall seconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def _cold_compile_s() -> float:
    code = (
        "import time; t=time.perf_counter();"
        "from backtesting.test import GOOG;"
        "from strategy_engine import run_backtest, run_sweep;"
        "run_backtest(GOOG, 'sma_cross', {}, fees=0.002);"
        "run_sweep(GOOG, 'sma_cross', [{'fast': 5, 'slow': 10}], fees=0.002);"
        "run_sweep(GOOG, 'ema_cross', [{'fast': 5, 'slow': 10}], fees=0.002);"
        "print(time.perf_counter()-t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return float(out.stdout.strip().splitlines()[-1])


def _synthetic_minutes(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.r_[close[0], close[:-1]]
    wiggle = np.abs(rng.normal(0, 0.0004, n))
    idx = pd.date_range("2022-01-01", periods=n, freq="min", tz="UTC")
    return pd.DataFrame(
        {
            "Open": open_,
            "High": np.maximum(open_, close) * (1 + wiggle),
            "Low": np.minimum(open_, close) * (1 - wiggle),
            "Close": close,
            "Volume": rng.integers(1, 100, n).astype(float),
        },
        index=idx,
    )


def _sma(values: Any, n: int) -> pd.Series:
    return pd.Series(values).rolling(n).mean()


class BtpySmaCross(backtesting.Strategy):
    """backtesting.py SMA cross with the API's cross (the sign carries through equal bars).

    Module level so ``Backtest.optimize`` can pickle it into its worker processes.
    """

    fast = 10
    slow = 20

    def init(self) -> None:
        self.f = self.I(_sma, self.data.Close, self.fast)
        self.s = self.I(_sma, self.data.Close, self.slow)
        self.last: int | None = None

    def next(self) -> None:
        if self.last is None:
            hist = np.asarray(self.f[:-1]) - np.asarray(self.s[:-1])
            nz = hist[~np.isnan(hist) & (hist != 0)]
            self.last = int(np.sign(nz[-1])) if nz.size else 0
        d = self.f[-1] - self.s[-1]
        if not d or np.isnan(d):
            return
        sign = 1 if d > 0 else -1
        prev, self.last = self.last, sign
        if (prev, sign) == (-1, 1) and not self.position:
            self.buy()
        elif (prev, sign) == (1, -1) and self.position:
            self.position.close()


def run() -> dict[str, Any]:
    import vectorbt as vbt
    from backtesting.test import GOOG
    from strategy_engine import get_strategy, run_backtest, run_sweep

    out: dict[str, Any] = {"bars_goog": len(GOOG), "pairs": len(GRID)}
    out["jit_cold_compile_s"] = round(_cold_compile_s(), 2)

    t0 = time.perf_counter()
    run_backtest(GOOG, "sma_cross", {"fast": 10, "slow": 20}, fees=FEES, fractional=False)
    run_sweep(GOOG, "sma_cross", GRID[:3], fees=FEES, fractional=False)
    out["jit_warmup_s"] = round(time.perf_counter() - t0, 3)

    # --- single backtest -----------------------------------------------------------------
    def ours_single() -> Any:
        return run_backtest(
            GOOG, "sma_cross", {"fast": 10, "slow": 20}, initial_cash=CASH, fees=FEES,
            execution="next_open", fractional=False,
        )  # fmt: skip

    med, best = _best_of(ours_single, 50)
    res = ours_single()
    out["single_engine_ms"] = round(med * 1e3, 3)
    out["single_engine_min_ms"] = round(best * 1e3, 3)
    out["single_final_equity"] = res.metrics["final_equity"]
    out["single_metrics_count"] = len(res.metrics)

    bt = backtesting.Backtest(GOOG, BtpySmaCross, cash=CASH, commission=FEES, finalize_trades=False)

    def btpy_single() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bt.run(fast=10, slow=20)

    btpy_single()
    med_bt, _ = _best_of(btpy_single, 5)
    out["single_backtesting_py_ms"] = round(med_bt * 1e3, 2)
    stats = btpy_single()
    out["single_backtesting_py_final_equity"] = float(stats["Equity Final [$]"])

    sig = get_strategy("sma_cross").signal_frame(GOOG, {"fast": 10, "slow": 20})

    def vbt_single() -> Any:
        pf = vbt.Portfolio.from_signals(
            GOOG.Close, sig.entries.shift(1, fill_value=False).to_numpy(),
            sig.exits.shift(1, fill_value=False).to_numpy(), price=GOOG.Open, fees=FEES,
            size=np.inf, size_granularity=1.0, init_cash=CASH, freq="1D",
        )  # fmt: skip
        return pf.stats()

    vbt_single()
    med_vbt, _ = _best_of(vbt_single, 5)
    out["single_vectorbt_with_stats_ms"] = round(med_vbt * 1e3, 2)
    out["single_vectorbt_final_equity"] = float(vbt_single()["End Value"])

    # --- sweep ---------------------------------------------------------------------------
    def ours_sweep() -> list[dict[str, Any]]:
        return run_sweep(
            GOOG, "sma_cross", GRID, initial_cash=CASH, fees=FEES, execution="next_open",
            fractional=False,
        )  # fmt: skip

    med_sw, best_sw = _best_of(ours_sweep, 5)
    rows = ours_sweep()
    out["sweep_engine_s"] = round(med_sw, 4)
    out["sweep_engine_min_s"] = round(best_sw, 4)
    out["sweep_per_pair_us"] = round(med_sw / len(GRID) * 1e6, 1)

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, heatmap = bt.optimize(
            fast=range(5, 51),
            slow=range(10, 201, 5),
            constraint=lambda p: p.fast < p.slow,
            maximize="Equity Final [$]",
            return_heatmap=True,
        )
    opt_s = time.perf_counter() - t0
    out["sweep_backtesting_py_optimize_s"] = round(opt_s, 2)
    out["sweep_backtesting_py_pairs"] = len(heatmap)
    out["sweep_speedup_vs_backtesting_py"] = round(opt_s / med_sw, 1)
    ours_eq = {(r["fast"], r["slow"]): r["final_equity"] for r in rows}
    rel = [abs(ours_eq[key] / float(v) - 1) for key, v in heatmap.items()]
    out["sweep_max_rel_diff_vs_backtesting_py"] = max(rel)
    out["sweep_pairs_differing_vs_backtesting_py"] = sum(r > 1e-6 for r in rel)

    # --- one million 1-minute bars -------------------------------------------------------
    minutes = _synthetic_minutes(1_000_000)

    def ours_large() -> Any:
        return run_backtest(minutes, "sma_cross", {"fast": 10, "slow": 20}, fees=0.0005)

    med_l, best_l = _best_of(ours_large, 3)
    large = ours_large()
    out["large_bars"] = len(minutes)
    out["large_engine_ms"] = round(med_l * 1e3, 1)
    out["large_engine_min_ms"] = round(best_l * 1e3, 1)
    out["large_trades"] = large.metrics["trades"]

    out["targets"] = {
        "single_engine_ms": "< 10",
        "sweep_engine_s": "< 0.5",
        "sweep_speedup_vs_backtesting_py": ">= 75",
        "large_engine_ms": "< 300",
    }
    out["targets_met"] = {
        "single": out["single_engine_ms"] < 10,
        "sweep": out["sweep_engine_s"] < 0.5,
        "speedup": out["sweep_speedup_vs_backtesting_py"] >= 75,
        "large": out["large_engine_ms"] < 300,
    }
    return out

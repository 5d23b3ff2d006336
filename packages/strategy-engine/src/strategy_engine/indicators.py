"""Indicators on float64 arrays; NaN until the window is full.

Each function is pure. ``Bars.cached`` memoizes them per (name, window) so a sweep computes
every distinct window once. Moving averages use pandas' rolling/ewm kernels so they match
the reference engines' pandas-based indicators bit for bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from strategy_engine._kernels import cross_nb
from strategy_engine.base import Bars, BoolArray, FloatArray


def sma(x: FloatArray, window: int) -> FloatArray:
    """Return the simple moving average over ``window`` bars."""
    return pd.Series(x).rolling(window).mean().to_numpy(dtype=np.float64)


def ema(x: FloatArray, span: int) -> FloatArray:
    """Return the EMA with alpha = 2 / (span + 1), seeded at the first bar, NaN before bar span-1."""
    return pd.Series(x).ewm(span=span, adjust=False, min_periods=span).mean().to_numpy(np.float64)


def rolling_std(x: FloatArray, window: int) -> FloatArray:
    """Return the population (ddof=0) standard deviation over ``window`` bars."""
    return pd.Series(x).rolling(window).std(ddof=0).to_numpy(dtype=np.float64)


def rolling_max(x: FloatArray, window: int) -> FloatArray:
    """Return the highest value of the ``window`` bars up to and including each bar."""
    return pd.Series(x).rolling(window).max().to_numpy(dtype=np.float64)


def rolling_min(x: FloatArray, window: int) -> FloatArray:
    """Return the lowest value of the ``window`` bars up to and including each bar."""
    return pd.Series(x).rolling(window).min().to_numpy(dtype=np.float64)


def shift(x: FloatArray, n: int = 1) -> FloatArray:
    """Return ``x`` delayed by ``n`` bars, NaN-filled."""
    out = np.full_like(x, np.nan)
    if n < len(x):
        out[n:] = x[: len(x) - n]
    return out


def rsi(x: FloatArray, window: int) -> FloatArray:
    """Return Wilder's RSI (0..100): averages of gains and losses with alpha = 1 / window."""
    delta = pd.Series(x).diff()
    gain = delta.clip(lower=0.0)
    loss = -delta.clip(upper=0.0)
    avg_gain = gain.ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    avg_loss = loss.ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()
    g = avg_gain.to_numpy(dtype=np.float64)
    lo = avg_loss.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = 100.0 - 100.0 / (1.0 + g / lo)
    out[(lo == 0.0) & (g > 0.0)] = 100.0
    out[(lo == 0.0) & (g == 0.0)] = 50.0
    return out


def crosses(a: FloatArray, b: FloatArray) -> tuple[BoolArray, BoolArray]:
    """Return (up, down): bars where ``a - b`` changes sign, zeros carrying the last sign."""
    up: BoolArray
    down: BoolArray
    up, down = cross_nb(np.ascontiguousarray(a - b))
    return up, down


def cached_sma(bars: Bars, window: int) -> FloatArray:
    """Return ``sma(bars.close, window)``, computed once per ``bars``."""
    return bars.cached(("sma", window), lambda: sma(bars.close, window))


def cached_ema(bars: Bars, span: int) -> FloatArray:
    """Return ``ema(bars.close, span)``, computed once per ``bars``."""
    return bars.cached(("ema", span), lambda: ema(bars.close, span))

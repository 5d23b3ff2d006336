"""Performance metrics of a backtest. All ratios are fractions (0.12 = 12%), never percent.

Notation: ``E_0..E_{n-1}`` is the equity at each of the ``n`` bars' close, ``C`` the initial
cash, ``P`` the periods per year (see below), ``r_i`` the per-bar returns with
``r_0 = E_0 / C - 1`` and ``r_i = E_i / E_{i-1} - 1``; the backtest spans ``n`` periods.

- ``final_equity``: ``E_{n-1}`` (cash + units * last close; an open position stays open).
- ``total_return``: ``E_{n-1} / C - 1``.
- ``cagr``: ``(E_{n-1} / C) ** (P / n) - 1`` (``-1`` if equity ended at or below zero).
- ``volatility``: annualised, ``std(r, ddof=1) * sqrt(P)``.
- ``sharpe``: ``mean(r) / std(r, ddof=1) * sqrt(P)``, risk-free rate 0.
- ``sortino``: ``mean(r) / sqrt(mean(min(r, 0) ** 2)) * sqrt(P)``: downside deviation
  against a 0 target over all bars.
- ``max_drawdown``: ``min(E_i / max(E_0..E_i) - 1)``, a fraction <= 0 (-0.25 = 25% down).
- ``calmar``: ``cagr / -max_drawdown``.
- ``max_drawdown_duration_bars`` / ``_days``: the longest time from a running peak of equity
  to the first bar that regains it (or to the last bar if it never does), in bars and in
  calendar days.
- ``trades``: closed round trips; ``open_trades``: 1 if a position is open at the end.
- ``win_rate``: closed trades with ``pnl > 0`` / closed trades.
- ``profit_factor``: sum of winning P&L / -sum of losing P&L (trades with pnl <= 0 count as
  losing); infinite when nothing lost.
- ``expectancy``: mean P&L per closed trade, in cash (fees included).
- ``avg_holding_bars`` / ``avg_holding_days``: mean of exit bar - entry bar (bars) and of
  exit time - entry time (calendar days) over closed trades.
- ``exposure``: fraction of bars that end with a position open.
- ``benchmark_return``: buy and hold of the instrument without costs,
  ``close_{n-1} / close_0 - 1``.

A trade's P&L includes both fees; see ``strategy_engine.simulate`` for fills and costs.

Periods per year ``P`` annualise per-bar figures: 252 for daily equities (trading days),
365 for daily crypto (every day trades), times the bars per trading day for intraday bars
(390 one-minute bars per US equity session, 1440 for 24/7 markets), 52 for weekly, 12 for
monthly. ``infer_periods_per_year`` guesses it from the index; pass it explicitly when the
calendar is known.

Metrics that are undefined (no trades, zero volatility, ...) are ``None`` in ``to_jsonable``
output (NaN/inf in the raw vector).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

METRIC_NAMES: tuple[str, ...] = (
    "final_equity",
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration_bars",
    "max_drawdown_duration_days",
    "trades",
    "win_rate",
    "profit_factor",
    "expectancy",
    "avg_holding_bars",
    "avg_holding_days",
    "exposure",
    "benchmark_return",
    "open_trades",
)
_INT_METRICS = frozenset({"max_drawdown_duration_bars", "trades", "open_trades"})

TRADING_DAYS = 252
CALENDAR_DAYS = 365


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Guess bars per year from the bar spacing and whether weekends trade.

    Bars on Saturdays or Sundays mean a 365-day calendar (crypto), otherwise 252 trading
    days. Daily-or-longer bars give ``days_per_year / bar_days`` (252 daily, 52 weekly,
    12 monthly); intraday bars give ``days_per_year * median bars per active day``.
    """
    if len(index) < 2:
        return float(TRADING_DAYS)
    ns = index.as_unit("ns").asi8
    step = float(np.median(np.diff(ns))) / 1e9  # seconds
    days = ns // 86_400_000_000_000
    # 1970-01-01 was a Thursday (Monday = 0): Saturday and Sunday are 5 and 6.
    trades_weekends = bool(((days + 3) % 7 >= 5).any())
    days_per_year = CALENDAR_DAYS if trades_weekends else TRADING_DAYS
    if step >= 86_400 * 0.99:
        bar_days = step / 86_400
        if days_per_year == TRADING_DAYS:
            # 7 calendar days hold 5 trading days: weekly equity bars are 5 trading days.
            if bar_days >= 6:
                return 52.0 if bar_days < 20 else (12.0 if bar_days < 80 else 4.0)
            return float(TRADING_DAYS)
        return days_per_year / bar_days
    # Bars per active day: lengths of the runs of equal day numbers (the index is sorted).
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    per_day = np.diff(np.r_[starts, len(days)])
    return float(days_per_year * float(np.median(per_day)))


def to_jsonable(vector: npt.NDArray[np.float64]) -> dict[str, float | int | None]:
    """Map a raw metric vector to ``{name: value}``, non-finite values as ``None``."""
    out: dict[str, float | int | None] = {}
    for name, v in zip(METRIC_NAMES, vector.tolist(), strict=True):
        if not math.isfinite(v):
            out[name] = None
        elif name in _INT_METRICS:
            out[name] = int(v)
        else:
            out[name] = float(v)
    return out


def drawdown(equity: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return ``E_i / max(E_0..E_i) - 1`` for each bar."""
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, equity / peak - 1.0, 0.0)

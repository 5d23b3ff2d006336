"""Numba kernels: signal crosses, the bar-by-bar simulator and the metrics.

The rules implemented here are documented in ``simulate`` and ``metrics``; this module
only has to be fast. Everything takes and returns plain NumPy arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Trade record columns (one float64 row per trade).
T_DIR = 0
T_ENTRY_BAR = 1
T_ENTRY_PRICE = 2
T_SIZE = 3
T_ENTRY_FEE = 4
T_EXIT_BAR = 5
T_EXIT_PRICE = 6
T_EXIT_FEE = 7
T_PNL = 8
T_RETURN = 9
T_EXIT_REASON = 10
T_FIELDS = 11

EXIT_OPEN = -1
EXIT_SIGNAL = 0
EXIT_STOP_LOSS = 1
EXIT_TAKE_PROFIT = 2
EXIT_TRAILING_STOP = 3

# Metric slots returned by ``metrics_nb``; names live in ``metrics.METRIC_NAMES``.
N_METRICS = 19


@njit(cache=True)
def cross_nb(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (up, down): bars where the sign of ``diff`` changes.

    NaN bars have no sign. A zero keeps the last non-zero sign, so equal bars never
    start nor end a cross; the first sign seen is not a cross.
    """
    n = diff.shape[0]
    up = np.zeros(n, dtype=np.bool_)
    down = np.zeros(n, dtype=np.bool_)
    last = 0
    for i in range(n):
        d = diff[i]
        if d > 0.0:
            if last < 0:
                up[i] = True
            last = 1
        elif d < 0.0:
            if last > 0:
                down[i] = True
            last = -1
    return up, down


@njit(cache=True)
def _grow(trades: np.ndarray) -> np.ndarray:
    out = np.empty((trades.shape[0] * 2, T_FIELDS), dtype=np.float64)
    out[: trades.shape[0]] = trades
    return out


@njit(cache=True)
def _exit(
    trades: np.ndarray,
    k: int,
    bar: int,
    p: float,
    pos: float,
    cash: float,
    fees: float,
    slippage: float,
    reason: int,
) -> float:
    """Close the open trade ``k - 1`` at reference price ``p``; return the new cash."""
    size = abs(pos)
    fee = fees * size * p
    entry = trades[k - 1, T_ENTRY_PRICE]
    if pos > 0.0:
        fill = p * (1.0 - slippage)
        cash += size * fill - fee
        pnl = size * (fill - entry)
    else:
        fill = p * (1.0 + slippage)
        cash -= size * fill + fee
        pnl = size * (entry - fill)
    pnl -= trades[k - 1, T_ENTRY_FEE] + fee
    trades[k - 1, T_EXIT_BAR] = bar
    trades[k - 1, T_EXIT_PRICE] = fill
    trades[k - 1, T_EXIT_FEE] = fee
    trades[k - 1, T_PNL] = pnl
    trades[k - 1, T_RETURN] = pnl / (size * entry)
    trades[k - 1, T_EXIT_REASON] = reason
    return cash


@njit(cache=True)
def _entry_size(cash: float, p: float, unit: float, fractional: bool) -> float:
    size = cash / (p * unit)
    if not fractional:
        size = math.floor(size)
    return size


@njit(cache=True)
def _enter(
    trades: np.ndarray,
    k: int,
    bar: int,
    p: float,
    side: int,
    size: float,
    cash: float,
    fees: float,
    slippage: float,
) -> float:
    """Record trade ``k`` entering ``size`` units on ``side`` at ``p``; return the new cash."""
    fee = fees * size * p
    if side > 0:
        fill = p * (1.0 + slippage)
        cash -= size * fill + fee
    else:
        fill = p * (1.0 - slippage)
        cash += size * fill - fee
    trades[k, T_DIR] = side
    trades[k, T_ENTRY_BAR] = bar
    trades[k, T_ENTRY_PRICE] = fill
    trades[k, T_SIZE] = size
    trades[k, T_ENTRY_FEE] = fee
    trades[k, T_EXIT_BAR] = -1.0
    trades[k, T_EXIT_PRICE] = np.nan
    trades[k, T_EXIT_FEE] = 0.0
    trades[k, T_PNL] = np.nan
    trades[k, T_RETURN] = np.nan
    trades[k, T_EXIT_REASON] = EXIT_OPEN
    return cash


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    short_entries: np.ndarray,
    short_exits: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    on_close: bool,
    fractional: bool,
    stop_loss: float,
    take_profit: float,
    trailing_stop: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Simulate all-in single-position trading; return (equity, position, trades, n_trades).

    Stop params are NaN when unused.
    """
    n = close.shape[0]
    equity = np.empty(n, dtype=np.float64)
    position = np.empty(n, dtype=np.float64)
    trades = np.empty((min(max(n, 1), 256), T_FIELDS), dtype=np.float64)
    k = 0  # trades recorded
    cash = init_cash
    pos = 0.0  # signed units
    entry_ref = 0.0  # entry bar price before slippage: stops are relative to it
    entry_bar = -1
    trail = 0.0  # best price since entry (high for longs, low for shorts)
    pend_close = False
    pend_open = 0
    use_sl = not math.isnan(stop_loss)
    use_tp = not math.isnan(take_profit)
    use_tsl = not math.isnan(trailing_stop)
    use_stops = use_sl or use_tp or use_tsl
    unit = 1.0 + fees + slippage

    for i in range(n):
        # 1. next_open: do at this open what the previous close decided.
        if pend_close:
            cash = _exit(trades, k, i, open_[i], pos, cash, fees, slippage, EXIT_SIGNAL)
            pos = 0.0
        if pend_open != 0 and cash > 0.0:
            p = open_[i]
            size = _entry_size(cash, p, unit, fractional)
            if size > 0.0:
                if k == trades.shape[0]:
                    trades = _grow(trades)
                cash = _enter(trades, k, i, p, pend_open, size, cash, fees, slippage)
                k += 1
                pos = size * pend_open
                entry_ref = p
                entry_bar = i
                trail = p
        pend_close = False
        pend_open = 0

        # 2. Stops, intrabar, on bars whose whole range lies after the fill.
        if use_stops and pos != 0.0 and (i > entry_bar or not on_close):
            reason = EXIT_SIGNAL
            p = np.nan
            if pos > 0.0:
                stop = -np.inf
                if use_sl:
                    stop = entry_ref * (1.0 - stop_loss)
                    reason = EXIT_STOP_LOSS
                if use_tsl and trail * (1.0 - trailing_stop) > stop:
                    stop = trail * (1.0 - trailing_stop)
                    reason = EXIT_TRAILING_STOP
                target = entry_ref * (1.0 + take_profit) if use_tp else np.inf
                if open_[i] <= stop:
                    p = open_[i]
                elif open_[i] >= target:
                    p, reason = open_[i], EXIT_TAKE_PROFIT
                elif low[i] <= stop:
                    p = stop
                elif high[i] >= target:
                    p, reason = target, EXIT_TAKE_PROFIT
            else:
                stop = np.inf
                if use_sl:
                    stop = entry_ref * (1.0 + stop_loss)
                    reason = EXIT_STOP_LOSS
                if use_tsl and trail * (1.0 + trailing_stop) < stop:
                    stop = trail * (1.0 + trailing_stop)
                    reason = EXIT_TRAILING_STOP
                target = entry_ref * (1.0 - take_profit) if use_tp else -np.inf
                if open_[i] >= stop:
                    p = open_[i]
                elif open_[i] <= target:
                    p, reason = open_[i], EXIT_TAKE_PROFIT
                elif high[i] >= stop:
                    p = stop
                elif low[i] <= target:
                    p, reason = target, EXIT_TAKE_PROFIT
            if not math.isnan(p):
                cash = _exit(trades, k, i, p, pos, cash, fees, slippage, reason)
                pos = 0.0
            elif pos > 0.0:
                # The trail moves only after the bar was checked: no look-ahead inside it.
                trail = max(trail, high[i])
            else:
                trail = min(trail, low[i])

        # 3. Decide on this bar's close.
        le = entries[i]
        lx = exits[i]
        se = short_entries[i]
        sx = short_exits[i]
        want_close = False
        want_open = 0
        if pos > 0.0:
            if lx or se:
                want_close = True
                if se and not sx:
                    want_open = -1
        elif pos < 0.0:
            if sx or le:
                want_close = True
                if le and not lx:
                    want_open = 1
        else:
            go_long = le and not lx
            go_short = se and not sx
            if go_long and not go_short:
                want_open = 1
            elif go_short and not go_long:
                want_open = -1

        if not on_close:
            if i + 1 < n:  # a signal on the last bar is dropped
                pend_close = want_close
                pend_open = want_open
        else:
            p = close[i]
            if want_close:
                cash = _exit(trades, k, i, p, pos, cash, fees, slippage, EXIT_SIGNAL)
                pos = 0.0
            if want_open != 0 and cash > 0.0:
                size = _entry_size(cash, p, unit, fractional)
                if size > 0.0:
                    if k == trades.shape[0]:
                        trades = _grow(trades)
                    cash = _enter(trades, k, i, p, want_open, size, cash, fees, slippage)
                    k += 1
                    pos = size * want_open
                    entry_ref = p
                    entry_bar = i
                    trail = p

        equity[i] = cash + pos * close[i]
        position[i] = pos

    # An open position is not closed: mark its P&L to the last close (no exit fee).
    if pos != 0.0:
        size = abs(pos)
        entry = trades[k - 1, T_ENTRY_PRICE]
        pnl = (close[n - 1] - entry) * size if pos > 0.0 else (entry - close[n - 1]) * size
        pnl -= trades[k - 1, T_ENTRY_FEE]
        trades[k - 1, T_PNL] = pnl
        trades[k - 1, T_RETURN] = pnl / (size * entry)
    return equity, position, trades, k


@njit(cache=True)
def metrics_nb(
    equity: np.ndarray,
    position: np.ndarray,
    trades: np.ndarray,
    n_trades: int,
    init_cash: float,
    close: np.ndarray,
    times_ns: np.ndarray,
    periods_per_year: float,
) -> np.ndarray:
    """Compute the metric vector (order: ``metrics.METRIC_NAMES``)."""
    out = np.full(N_METRICS, np.nan)
    n = equity.shape[0]
    day_ns = 86_400e9
    final = equity[n - 1]
    out[0] = final
    total_return = final / init_cash - 1.0
    out[1] = total_return
    cagr = np.nan
    if final > 0.0:
        cagr = (final / init_cash) ** (periods_per_year / n) - 1.0
    elif n > 0:
        cagr = -1.0
    out[2] = cagr

    # Per-bar returns, the first against the initial cash.
    s = 0.0
    prev = init_cash
    rets = np.empty(n, dtype=np.float64)
    for i in range(n):
        r = equity[i] / prev - 1.0 if prev > 0.0 else np.nan
        rets[i] = r
        s += r
        prev = equity[i]
    mean = s / n
    ss = 0.0
    down = 0.0
    for i in range(n):
        d = rets[i] - mean
        ss += d * d
        if rets[i] < 0.0:
            down += rets[i] * rets[i]
    if n > 1:
        std = math.sqrt(ss / (n - 1))
        out[3] = std * math.sqrt(periods_per_year)
        if std > 0.0:
            out[4] = mean / std * math.sqrt(periods_per_year)
    dd_dev = math.sqrt(down / n)
    if dd_dev > 0.0:
        out[5] = mean / dd_dev * math.sqrt(periods_per_year)

    # Drawdown against the running peak of the equity curve.
    peak = equity[0]
    peak_i = 0
    mdd = 0.0
    dur_bars = 0
    dur_ns = 0
    in_dd = False
    for i in range(n):
        e = equity[i]
        if e >= peak:
            if in_dd:
                if i - peak_i > dur_bars:
                    dur_bars = i - peak_i
                if times_ns[i] - times_ns[peak_i] > dur_ns:
                    dur_ns = times_ns[i] - times_ns[peak_i]
                in_dd = False
            peak = e
            peak_i = i
        else:
            in_dd = True
            dd = e / peak - 1.0
            if dd < mdd:
                mdd = dd
    if in_dd:
        if n - 1 - peak_i > dur_bars:
            dur_bars = n - 1 - peak_i
        if times_ns[n - 1] - times_ns[peak_i] > dur_ns:
            dur_ns = times_ns[n - 1] - times_ns[peak_i]
    out[7] = mdd
    if mdd < 0.0:
        out[6] = cagr / -mdd
    out[8] = dur_bars
    out[9] = dur_ns / day_ns

    # Closed trades.
    closed = 0
    wins = 0
    gross_win = 0.0
    gross_loss = 0.0
    pnl_sum = 0.0
    hold_bars = 0.0
    hold_ns = 0.0
    open_trades = 0
    for j in range(n_trades):
        xb = trades[j, T_EXIT_BAR]
        if xb < 0.0:
            open_trades += 1
            continue
        closed += 1
        pnl = trades[j, T_PNL]
        pnl_sum += pnl
        if pnl > 0.0:
            wins += 1
            gross_win += pnl
        else:
            gross_loss -= pnl
        eb = int(trades[j, T_ENTRY_BAR])
        hold_bars += xb - eb
        hold_ns += times_ns[int(xb)] - times_ns[eb]
    out[10] = closed
    if closed > 0:
        out[11] = wins / closed
        if gross_loss > 0.0:
            out[12] = gross_win / gross_loss
        elif gross_win > 0.0:
            out[12] = np.inf
        out[13] = pnl_sum / closed
        out[14] = hold_bars / closed
        out[15] = hold_ns / closed / day_ns
    held = 0
    for i in range(n):
        if position[i] != 0.0:
            held += 1
    out[16] = held / n
    out[17] = close[n - 1] / close[0] - 1.0
    out[18] = open_trades
    return out


@njit(cache=True)
def backtest_metrics_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    short_entries: np.ndarray,
    short_exits: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    on_close: bool,
    fractional: bool,
    stop_loss: float,
    take_profit: float,
    trailing_stop: float,
    times_ns: np.ndarray,
    periods_per_year: float,
) -> np.ndarray:
    """Simulate and return only the metric vector (the sweep's inner call)."""
    equity, position, trades, k = simulate_nb(
        open_,
        high,
        low,
        close,
        entries,
        exits,
        short_entries,
        short_exits,
        init_cash,
        fees,
        slippage,
        on_close,
        fractional,
        stop_loss,
        take_profit,
        trailing_stop,
    )
    return metrics_nb(equity, position, trades, k, init_cash, close, times_ns, periods_per_year)


@njit(cache=True)
def sma_cross_sweep_nb(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    fast_ma: np.ndarray,
    slow_ma: np.ndarray,
    fast_idx: np.ndarray,
    slow_idx: np.ndarray,
    long_short: bool,
    init_cash: float,
    fees: float,
    slippage: float,
    on_close: bool,
    fractional: bool,
    stop_loss: float,
    take_profit: float,
    trailing_stop: float,
    times_ns: np.ndarray,
    periods_per_year: float,
) -> np.ndarray:
    """Run every (fast, slow) moving-average pair; rows of ``fast_ma``/``slow_ma`` are MAs.

    Returns an (n_pairs, N_METRICS) matrix.
    """
    n_pairs = fast_idx.shape[0]
    n = close.shape[0]
    out = np.empty((n_pairs, N_METRICS), dtype=np.float64)
    diff = np.empty(n, dtype=np.float64)
    no = np.zeros(n, dtype=np.bool_)
    for j in range(n_pairs):
        f = fast_ma[fast_idx[j]]
        s = slow_ma[slow_idx[j]]
        for i in range(n):
            diff[i] = f[i] - s[i]
        up, down = cross_nb(diff)
        if long_short:
            res = backtest_metrics_nb(
                open_, high, low, close, up, down, down, up, init_cash, fees, slippage,
                on_close, fractional, stop_loss, take_profit, trailing_stop, times_ns,
                periods_per_year,
            )  # fmt: skip
        else:
            res = backtest_metrics_nb(
                open_, high, low, close, up, down, no, no, init_cash, fees, slippage,
                on_close, fractional, stop_loss, take_profit, trailing_stop, times_ns,
                periods_per_year,
            )  # fmt: skip
        out[j] = res
    return out

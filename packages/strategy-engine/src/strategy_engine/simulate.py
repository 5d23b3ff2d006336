"""Backtests: one run (``run_backtest``) or a parameter grid (``run_sweep``).

Conventions (API.md, "Strategies and backtests"), exactly as the kernel implements them:

- Signals are computed on each bar's close.
- ``execution="next_open"``: a signal on bar t fills at bar t+1's open; a signal on the last
  bar is dropped. ``"close"``: it fills at bar t's close.
- One position at a time, all-in. Entering at reference price ``p`` (the open or close above)
  takes ``size = cash / (p * (1 + fees + slippage))`` units, floored to whole units when
  ``fractional=False``. Shorts (strategies with ``direction="long_short"``) are sized the
  same way. A signal that reverses the position closes it, then opens the other side with
  all the cash.
- Slippage is a fraction of ``p`` that moves every fill against the trader: buys fill at
  ``p * (1 + slippage)``, sells at ``p * (1 - slippage)``. Fees are ``fees * size * p`` on
  entry and on exit, charged on the reference price ``p``. A buy therefore costs exactly
  ``size * p * (1 + fees + slippage)``, which is why the sizing rule above never overdraws.
- Stops (``stop_loss``, ``take_profit``, ``trailing_stop``: fractions of the entry
  reference price) are checked on every bar whose whole range follows the fill (from the
  entry bar itself with ``next_open``, from the next bar with ``close``). A stop that the
  open gaps through fills at the open, otherwise at the stop level; when a protective stop
  and the take-profit are both inside one bar the stop wins (pessimistic). The trailing
  stop trails the best high (longs) or low (shorts) of fully completed bars since entry.
  Stop fills pay slippage and fees like any other fill.
- A position open at the end is not closed; equity at every bar is
  ``cash + units * close`` (units negative when short).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from strategy_engine import _kernels as k
from strategy_engine.base import Bars, ParamsError, Strategy, StrategyParams
from strategy_engine.indicators import cached_sma
from strategy_engine.metrics import (
    METRIC_NAMES,
    drawdown,
    infer_periods_per_year,
    to_jsonable,
)
from strategy_engine.registry import get_strategy
from strategy_engine.strategies.sma_cross import SmaCross, SmaCrossParams

Execution = Literal["next_open", "close"]

_EXIT_REASONS = {
    k.EXIT_OPEN: "open",
    k.EXIT_SIGNAL: "signal",
    k.EXIT_STOP_LOSS: "stop_loss",
    k.EXIT_TAKE_PROFIT: "take_profit",
    k.EXIT_TRAILING_STOP: "trailing_stop",
}

TRADE_COLUMNS = (
    "direction",
    "entry_time",
    "entry_bar",
    "entry_price",
    "size",
    "entry_fee",
    "exit_time",
    "exit_bar",
    "exit_price",
    "exit_fee",
    "fees",
    "pnl",
    "return",
    "exit_reason",
)


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of one backtest.

    ``equity`` (cash + units * close), ``drawdown`` (fraction <= 0), ``position`` (signed
    units) and ``cash`` are indexed by bar time. ``trades`` has one row per round trip
    (``TRADE_COLUMNS``); an open trade at the end has no exit and its ``pnl`` is marked to
    the last close. ``metrics`` maps ``metrics.METRIC_NAMES`` to JSON-safe values.
    """

    equity: pd.Series
    drawdown: pd.Series
    position: pd.Series
    cash: pd.Series
    trades: pd.DataFrame
    metrics: dict[str, float | int | None]
    config: dict[str, Any]

    def equity_records(self) -> list[dict[str, Any]]:
        """Return ``[{"t","equity","drawdown"}]``, ``t`` an ISO-8601 UTC string."""
        times = pd.DatetimeIndex(self.equity.index).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            {"t": t, "equity": e, "drawdown": d}
            for t, e, d in zip(
                times,
                self.equity.to_numpy().tolist(),
                self.drawdown.to_numpy().tolist(),
                strict=True,
            )
        ]

    def trade_records(self) -> list[dict[str, Any]]:
        """Return the trades as JSON-safe dicts (times ISO-8601, missing values ``None``)."""
        out = []
        for row in self.trades.to_dict("records"):
            rec: dict[str, Any] = {}
            for key, v in row.items():
                if isinstance(v, pd.Timestamp):
                    rec[str(key)] = v.isoformat()
                elif v is None or v is pd.NaT or (isinstance(v, float) and not math.isfinite(v)):
                    rec[str(key)] = None
                elif isinstance(v, np.generic):
                    rec[str(key)] = v.item()
                else:
                    rec[str(key)] = v
            out.append(rec)
        return out


def _resolve(
    strategy: str | Strategy[Any] | type[Strategy[Any]],
) -> Strategy[Any]:
    if isinstance(strategy, str):
        return get_strategy(strategy)
    if isinstance(strategy, type):
        return strategy()
    return strategy


def _costs(
    initial_cash: float, fees: float, slippage: float, execution: str
) -> tuple[float, float, float, bool]:
    initial_cash, fees, slippage = float(initial_cash), float(fees), float(slippage)
    if not initial_cash > 0 or not math.isfinite(initial_cash):
        raise ValueError(f"initial_cash must be positive, got {initial_cash}")
    if not 0 <= fees < 1:
        raise ValueError(f"fees must be a fraction in [0, 1), got {fees}")
    if not 0 <= slippage < 1:
        raise ValueError(f"slippage must be a fraction in [0, 1), got {slippage}")
    if execution not in ("next_open", "close"):
        raise ValueError(f"execution must be 'next_open' or 'close', got {execution!r}")
    return initial_cash, fees, slippage, execution == "close"


def _stop(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _as_bars(bars: pd.DataFrame | Bars) -> Bars:
    return bars if isinstance(bars, Bars) else Bars(bars)


def run_backtest(
    bars: pd.DataFrame | Bars,
    strategy: str | Strategy[Any] | type[Strategy[Any]],
    params: Mapping[str, Any] | StrategyParams | None = None,
    *,
    initial_cash: float = 10_000.0,
    fees: float = 0.0,
    slippage: float = 0.0,
    execution: Execution = "next_open",
    fractional: bool = True,
    periods_per_year: float | None = None,
) -> BacktestResult:
    """Backtest ``strategy`` with ``params`` on OHLCV ``bars``.

    Args:
        bars: DataFrame with Open, High, Low, Close, Volume and a (UTC) DatetimeIndex, or a
            prepared ``Bars`` (reuses its indicator cache).
        strategy: a registered name, a ``Strategy`` instance or class.
        params: the strategy's params (validated; ``ParamsError`` names each bad field).
        initial_cash: starting cash.
        fees: fee rate per fill, a fraction of notional (0.002 = 0.2%).
        slippage: adverse fill-price move, a fraction of the reference price.
        execution: ``"next_open"`` or ``"close"``; see the module docstring.
        fractional: allow fractional units; ``False`` floors every entry to whole units.
        periods_per_year: annualisation factor; inferred from the index when omitted.

    Returns:
        The equity curve, drawdown, trades and metrics.
    """
    cash0, fee, slip, on_close = _costs(initial_cash, fees, slippage, execution)
    strat = _resolve(strategy)
    p = strat.parse_params(params)
    b = _as_bars(bars)
    ppy = float(periods_per_year) if periods_per_year else infer_periods_per_year(b.index)
    sig = strat.signals(b, p).normalized(len(b))
    equity, position, trades, n_trades = k.simulate_nb(
        b.open,
        b.high,
        b.low,
        b.close,
        sig.entries,
        sig.exits,
        sig.short_entries,
        sig.short_exits,
        cash0,
        fee,
        slip,
        on_close,
        bool(fractional),
        _stop(p.stop_loss),
        _stop(p.take_profit),
        _stop(p.trailing_stop),
    )
    vector = k.metrics_nb(equity, position, trades, n_trades, cash0, b.close, b.times_ns, ppy)
    trades = trades[:n_trades]
    index = b.index
    cash = equity - position * b.close
    return BacktestResult(
        equity=pd.Series(equity, index=index, name="equity"),
        drawdown=pd.Series(drawdown(equity), index=index, name="drawdown"),
        position=pd.Series(position, index=index, name="position"),
        cash=pd.Series(cash, index=index, name="cash"),
        trades=_trade_frame(trades, index),
        metrics=to_jsonable(vector),
        config={
            "strategy": strat.name,
            "params": p.model_dump(mode="json"),
            "initial_cash": cash0,
            "fees": fee,
            "slippage": slip,
            "execution": execution,
            "fractional": bool(fractional),
            "periods_per_year": ppy,
            "interface_version": strat.INTERFACE_VERSION,
        },
    )


def _trade_frame(trades: npt.NDArray[np.float64], index: pd.DatetimeIndex) -> pd.DataFrame:
    entry_bar = trades[:, k.T_ENTRY_BAR].astype(np.int64)
    exit_bar = trades[:, k.T_EXIT_BAR].astype(np.int64)
    is_open = exit_bar < 0
    exit_time = index.take(np.where(is_open, 0, exit_bar)).where(~is_open)
    reasons = trades[:, k.T_EXIT_REASON].astype(np.int64)
    return pd.DataFrame(
        {
            "direction": np.where(trades[:, k.T_DIR] > 0, "long", "short"),
            "entry_time": index.take(entry_bar),
            "entry_bar": entry_bar,
            "entry_price": trades[:, k.T_ENTRY_PRICE],
            "size": trades[:, k.T_SIZE],
            "entry_fee": trades[:, k.T_ENTRY_FEE],
            "exit_time": exit_time,
            "exit_bar": np.where(is_open, -1, exit_bar),
            "exit_price": trades[:, k.T_EXIT_PRICE],
            "exit_fee": trades[:, k.T_EXIT_FEE],
            "fees": trades[:, k.T_ENTRY_FEE] + trades[:, k.T_EXIT_FEE],
            "pnl": trades[:, k.T_PNL],
            "return": trades[:, k.T_RETURN],
            "exit_reason": [_EXIT_REASONS[r] for r in reasons.tolist()],
        },
        columns=list(TRADE_COLUMNS),
    )


def expand_grid(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Expand an API sweep spec into every combination, in key order.

    Each value is a scalar, a list, or ``{"start","stop","step"}`` (``stop`` inclusive).
    """
    axes: list[list[Any]] = []
    for name, v in spec.items():
        if isinstance(v, Mapping):
            start, stop, step = v["start"], v["stop"], v.get("step", 1)
            if not step or (stop - start) / step < 0:
                raise ValueError(f"{name}: bad range {dict(v)}")
            count = math.floor((stop - start) / step + 1e-9) + 1
            values = [start + i * step for i in range(count)]
            if all(isinstance(x, int) for x in (start, stop, step)):
                values = [int(x) for x in values]
            axes.append(values)
        elif isinstance(v, list | tuple):
            axes.append(list(v))
        else:
            axes.append([v])
    return [dict(zip(spec, combo, strict=True)) for combo in itertools.product(*axes)]


def run_sweep(
    bars: pd.DataFrame | Bars,
    strategy: str | Strategy[Any] | type[Strategy[Any]],
    grid: Iterable[Mapping[str, Any]],
    *,
    initial_cash: float = 10_000.0,
    fees: float = 0.0,
    slippage: float = 0.0,
    execution: Execution = "next_open",
    fractional: bool = True,
    periods_per_year: float | None = None,
    skip_invalid: bool = False,
) -> list[dict[str, Any]]:
    """Backtest every params dict in ``grid``; return one ``{**params, **metrics}`` row each.

    Rows follow ``grid``'s order and hold the params as given. Indicators are computed once
    per distinct window, and each run happens inside one numba call without building
    trades or series. Pairs of ``sma_cross`` without stops run in a single batched kernel.
    Invalid combinations raise ``ParamsError`` unless ``skip_invalid`` (then they are left
    out). Metrics match ``run_backtest``'s exactly.
    """
    cash0, fee, slip, on_close = _costs(initial_cash, fees, slippage, execution)
    strat = _resolve(strategy)
    b = _as_bars(bars)
    ppy = float(periods_per_year) if periods_per_year else infer_periods_per_year(b.index)
    combos: list[Mapping[str, Any]] = []
    parsed: list[Any] = []
    for raw in grid:
        try:
            parsed.append(strat.parse_params(raw))
        except ParamsError:
            if skip_invalid:
                continue
            raise
        combos.append(raw)
    if not combos:
        return []
    if isinstance(strat, SmaCross):
        matrix = _sma_cross_batch(b, parsed, cash0, fee, slip, on_close, fractional, ppy)
    else:
        matrix = np.empty((len(parsed), k.N_METRICS), dtype=np.float64)
        for j, p in enumerate(parsed):
            sig = strat.signals(b, p).normalized(len(b))
            matrix[j] = k.backtest_metrics_nb(
                b.open, b.high, b.low, b.close, sig.entries, sig.exits, sig.short_entries,
                sig.short_exits, cash0, fee, slip, on_close, bool(fractional),
                _stop(p.stop_loss), _stop(p.take_profit), _stop(p.trailing_stop),
                b.times_ns, ppy,
            )  # fmt: skip
    return [{**dict(raw), **to_jsonable(row)} for raw, row in zip(combos, matrix, strict=True)]


def _sma_cross_batch(
    b: Bars,
    parsed: Sequence[SmaCrossParams],
    cash0: float,
    fee: float,
    slip: float,
    on_close: bool,
    fractional: bool,
    ppy: float,
) -> npt.NDArray[np.float64]:
    # Group by (direction, stops) so each group is one kernel call over its pairs.
    out = np.empty((len(parsed), k.N_METRICS), dtype=np.float64)
    windows = sorted({w for p in parsed for w in (p.fast, p.slow)})
    row = {w: i for i, w in enumerate(windows)}
    mas = np.vstack([cached_sma(b, w) for w in windows])
    groups: dict[tuple[Any, ...], list[int]] = {}
    for j, p in enumerate(parsed):
        key = (p.direction, p.stop_loss, p.take_profit, p.trailing_stop)
        groups.setdefault(key, []).append(j)
    for (direction, sl, tp, tsl), members in groups.items():
        idx = np.asarray(members, dtype=np.int64)
        fast_idx = np.asarray([row[parsed[j].fast] for j in members], dtype=np.int64)
        slow_idx = np.asarray([row[parsed[j].slow] for j in members], dtype=np.int64)
        out[idx] = k.sma_cross_sweep_nb(
            b.open, b.high, b.low, b.close, mas, mas, fast_idx, slow_idx,
            direction == "long_short", cash0, fee, slip, on_close, bool(fractional),
            _stop(sl), _stop(tp), _stop(tsl), b.times_ns, ppy,
        )  # fmt: skip
    return out


__all__ = [
    "METRIC_NAMES",
    "TRADE_COLUMNS",
    "BacktestResult",
    "Execution",
    "expand_grid",
    "run_backtest",
    "run_sweep",
]

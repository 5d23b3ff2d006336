"""PaperDesk strategy engine: pure strategies, vectorized backtests and metrics.

No I/O: give it an OHLCV DataFrame and a config, get results back.
"""

from strategy_engine.base import (
    INTERFACE_VERSION,
    Bars,
    Direction,
    DirectionalParams,
    ParamsError,
    Signals,
    Strategy,
    StrategyParams,
)
from strategy_engine.metrics import METRIC_NAMES, infer_periods_per_year
from strategy_engine.registry import (
    STRATEGIES,
    UnknownStrategyError,
    get_strategy,
    list_strategies,
    register,
)
from strategy_engine.simulate import BacktestResult, expand_grid, run_backtest, run_sweep

__all__ = [
    "INTERFACE_VERSION",
    "METRIC_NAMES",
    "STRATEGIES",
    "BacktestResult",
    "Bars",
    "Direction",
    "DirectionalParams",
    "ParamsError",
    "Signals",
    "Strategy",
    "StrategyParams",
    "UnknownStrategyError",
    "expand_grid",
    "get_strategy",
    "infer_periods_per_year",
    "list_strategies",
    "register",
    "run_backtest",
    "run_sweep",
]

"""Real historical bars shipped inside the ``backtesting`` package (used by the replay feed).

GOOG daily 2004-2013, EURUSD hourly 2017-2018 and BTCUSD monthly 2012-2024. The CSV files
are read straight from the package directory so that importing this module does not import
``backtesting`` itself (which pulls in bokeh).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

COLUMNS = ["Open", "High", "Low", "Close", "Volume"]


@dataclass(frozen=True)
class ShippedSeries:
    symbol: str
    filename: str
    timeframe: str  # native bar size: 1h | 1d | 1mo
    seconds: int  # nominal bar length, to compare with requested timeframes
    decimals: int  # price precision


SHIPPED: dict[str, ShippedSeries] = {
    "GOOG": ShippedSeries("GOOG", "GOOG.csv", "1d", 86_400, 2),
    "EURUSD": ShippedSeries("EURUSD", "EURUSD.csv", "1h", 3_600, 5),
    "BTCUSD": ShippedSeries("BTCUSD", "BTCUSD.csv", "1mo", 30 * 86_400, 2),
}


def _data_dir() -> Path:
    spec = importlib.util.find_spec("backtesting")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the backtesting package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "test"


@lru_cache(maxsize=8)
def load_shipped(symbol: str) -> pd.DataFrame:
    """Bars of a shipped series with a UTC index and float OHLCV columns.

    Raises:
        KeyError: the symbol has no shipped series.
    """
    series = SHIPPED[symbol.upper()]
    df = pd.read_csv(_data_dir() / series.filename, index_col=0, parse_dates=True)
    df = df[COLUMNS].astype("float64")
    index = pd.DatetimeIndex(df.index)
    df.index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    df.index.name = None
    return df.sort_index()

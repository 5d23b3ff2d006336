"""Hand-written stubs shared by the engine tests."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from strategy_engine import Bars, Signals, Strategy, StrategyParams


def make_bars(
    close: list[float],
    open_: list[float] | None = None,
    high: list[float] | None = None,
    low: list[float] | None = None,
    start: str = "2024-01-01",
    freq: str = "B",
) -> pd.DataFrame:
    """Build a tiny OHLCV frame; open/high/low default to the close."""
    n = len(close)
    o = open_ if open_ is not None else close
    h = high if high is not None else [max(a, b) for a, b in zip(o, close, strict=True)]
    lo = low if low is not None else [min(a, b) for a, b in zip(o, close, strict=True)]
    idx = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    return pd.DataFrame(
        {"Open": o, "High": h, "Low": lo, "Close": close, "Volume": [1000.0] * n}, index=idx
    )


class FixedParams(StrategyParams):
    pass


class FixedSignals(Strategy[FixedParams]):
    """Replays the signal arrays it was built with."""

    name: ClassVar[str] = "fixed_signals"
    title: ClassVar[str] = "Fixed signals (test stub)"
    description: ClassVar[str] = "Replays given arrays."
    params_model = FixedParams

    def __init__(
        self,
        entries: list[int],
        exits: list[int],
        short_entries: list[int] | None = None,
        short_exits: list[int] | None = None,
    ) -> None:
        self._sig = Signals(
            np.asarray(entries, dtype=bool),
            np.asarray(exits, dtype=bool),
            np.asarray(short_entries or [], dtype=bool),
            np.asarray(short_exits or [], dtype=bool),
        )

    def signals(self, bars: Bars, params: FixedParams) -> Signals:
        return self._sig

"""Buy and hold: the benchmark."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from strategy_engine.base import Bars, Signals, Strategy, StrategyParams


class BuyAndHoldParams(StrategyParams):
    """Only the optional stops."""


class BuyAndHold(Strategy[BuyAndHoldParams]):
    name: ClassVar[str] = "buy_and_hold"
    title: ClassVar[str] = "Buy and hold"
    description: ClassVar[str] = (
        "Enters long on the first bar's signal and holds to the end: the benchmark."
    )
    params_model = BuyAndHoldParams

    def signals(self, bars: Bars, params: BuyAndHoldParams) -> Signals:
        """Signal an entry on the first bar only."""
        entries = np.zeros(len(bars), dtype=np.bool_)
        entries[0] = True
        return Signals(entries, np.zeros(len(bars), dtype=np.bool_))

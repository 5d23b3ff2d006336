"""Donchian channel breakout (turtle style)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from strategy_engine.base import Bars, Direction, DirectionalParams, FloatArray, Signals, Strategy
from strategy_engine.indicators import rolling_max, rolling_min, shift


class DonchianBreakoutParams(DirectionalParams):
    entry_window: int = Field(default=20, ge=1, le=10_000, description="Breakout channel (bars).")
    exit_window: int = Field(default=10, ge=1, le=10_000, description="Exit channel (bars).")


class DonchianBreakout(Strategy[DonchianBreakoutParams]):
    name: ClassVar[str] = "donchian_breakout"
    title: ClassVar[str] = "Donchian breakout"
    description: ClassVar[str] = (
        "Enters long when the close exceeds the highest high of the previous entry_window "
        "bars and exits when it falls below the lowest low of the previous exit_window bars; "
        "'long_short' mirrors it for shorts."
    )
    params_model = DonchianBreakoutParams

    def signals(self, bars: Bars, params: DonchianBreakoutParams) -> Signals:
        """Signal on breakouts of the previous bars' channel."""

        def hi(w: int) -> FloatArray:
            return bars.cached(("prev_max_high", w), lambda: shift(rolling_max(bars.high, w)))

        def lo(w: int) -> FloatArray:
            return bars.cached(("prev_min_low", w), lambda: shift(rolling_min(bars.low, w)))

        close = bars.close
        entries = close > hi(params.entry_window)
        exits = close < lo(params.exit_window)
        if params.direction == Direction.LONG_SHORT:
            short_entries = close < lo(params.entry_window)
            return Signals(entries, exits, short_entries, close > hi(params.exit_window))
        return Signals(entries, exits)

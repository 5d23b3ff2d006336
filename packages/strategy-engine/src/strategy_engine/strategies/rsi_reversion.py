"""RSI mean reversion."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from strategy_engine.base import Bars, Direction, DirectionalParams, Signals, Strategy
from strategy_engine.indicators import rsi


class RsiReversionParams(DirectionalParams):
    window: int = Field(default=14, ge=2, le=10_000, description="RSI window (Wilder).")
    lower: float = Field(default=30.0, gt=0, lt=100, description="Oversold level.")
    upper: float = Field(default=70.0, gt=0, lt=100, description="Overbought level.")

    @model_validator(mode="after")
    def _lower_below_upper(self) -> Self:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be less than upper ({self.upper})")
        return self


class RsiReversion(Strategy[RsiReversionParams]):
    name: ClassVar[str] = "rsi_reversion"
    title: ClassVar[str] = "RSI mean reversion"
    description: ClassVar[str] = (
        "Enters long while RSI(window) is below lower and exits once it rises above upper; "
        "with direction 'long_short' also shorts above upper and covers below lower."
    )
    params_model = RsiReversionParams

    def signals(self, bars: Bars, params: RsiReversionParams) -> Signals:
        """Signal on RSI levels."""
        r = bars.cached(("rsi", params.window), lambda: rsi(bars.close, params.window))
        low = r < params.lower
        high = r > params.upper
        if params.direction == Direction.LONG_SHORT:
            return Signals(low, high, high, low)
        return Signals(low, high)

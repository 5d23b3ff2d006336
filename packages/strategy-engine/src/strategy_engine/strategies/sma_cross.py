"""Simple moving average crossover."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from strategy_engine.base import Bars, DirectionalParams, Signals, Strategy
from strategy_engine.indicators import cached_sma, crosses
from strategy_engine.strategies._common import directional


class SmaCrossParams(DirectionalParams):
    fast: int = Field(default=10, ge=1, le=10_000, description="Fast SMA window (bars).")
    slow: int = Field(default=20, ge=2, le=10_000, description="Slow SMA window (bars).")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")
        return self


class SmaCross(Strategy[SmaCrossParams]):
    name: ClassVar[str] = "sma_cross"
    title: ClassVar[str] = "SMA crossover"
    description: ClassVar[str] = (
        "Enters when the fast SMA of the close crosses above the slow SMA and exits when it "
        "crosses below; a cross is a change of sign of (fast - slow), the sign carrying "
        "through bars where they are equal."
    )
    params_model = SmaCrossParams

    def signals(self, bars: Bars, params: SmaCrossParams) -> Signals:
        """Signal on crosses of SMA(fast) and SMA(slow)."""
        up, down = crosses(cached_sma(bars, params.fast), cached_sma(bars, params.slow))
        return directional(params, up, down)

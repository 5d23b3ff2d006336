"""Exponential moving average crossover."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from strategy_engine.base import Bars, DirectionalParams, Signals, Strategy
from strategy_engine.indicators import cached_ema, crosses
from strategy_engine.strategies._common import directional


class EmaCrossParams(DirectionalParams):
    fast: int = Field(default=12, ge=1, le=10_000, description="Fast EMA span (bars).")
    slow: int = Field(default=26, ge=2, le=10_000, description="Slow EMA span (bars).")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")
        return self


class EmaCross(Strategy[EmaCrossParams]):
    name: ClassVar[str] = "ema_cross"
    title: ClassVar[str] = "EMA crossover"
    description: ClassVar[str] = (
        "Like sma_cross with exponential averages (alpha = 2 / (span + 1), no values before "
        "bar span - 1)."
    )
    params_model = EmaCrossParams

    def signals(self, bars: Bars, params: EmaCrossParams) -> Signals:
        """Signal on crosses of EMA(fast) and EMA(slow)."""
        up, down = crosses(cached_ema(bars, params.fast), cached_ema(bars, params.slow))
        return directional(params, up, down)

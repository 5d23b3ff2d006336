"""MACD line / signal line crossover."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from strategy_engine.base import Bars, DirectionalParams, Signals, Strategy
from strategy_engine.indicators import cached_ema, crosses, ema
from strategy_engine.strategies._common import directional


class MacdCrossParams(DirectionalParams):
    fast: int = Field(default=12, ge=1, le=10_000, description="Fast EMA span.")
    slow: int = Field(default=26, ge=2, le=10_000, description="Slow EMA span.")
    signal: int = Field(default=9, ge=1, le=10_000, description="Signal-line EMA span.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")
        return self


class MacdCross(Strategy[MacdCrossParams]):
    name: ClassVar[str] = "macd_cross"
    title: ClassVar[str] = "MACD crossover"
    description: ClassVar[str] = (
        "MACD = EMA(fast) - EMA(slow) of the close; enters when MACD crosses above its "
        "EMA(signal) line and exits when it crosses below."
    )
    params_model = MacdCrossParams

    def signals(self, bars: Bars, params: MacdCrossParams) -> Signals:
        """Signal on crosses of the MACD line and its signal line."""
        macd = cached_ema(bars, params.fast) - cached_ema(bars, params.slow)
        # ewm skips the leading NaNs, so the signal line starts once MACD has `signal` values.
        up, down = crosses(macd, ema(macd, params.signal))
        return directional(params, up, down)

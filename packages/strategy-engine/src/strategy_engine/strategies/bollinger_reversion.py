"""Bollinger band mean reversion."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from strategy_engine.base import Bars, Direction, DirectionalParams, Signals, Strategy
from strategy_engine.indicators import cached_sma, rolling_std


class BollingerReversionParams(DirectionalParams):
    window: int = Field(default=20, ge=2, le=10_000, description="Band window (bars).")
    k: float = Field(default=2.0, gt=0, le=10, description="Band width in standard deviations.")


class BollingerReversion(Strategy[BollingerReversionParams]):
    name: ClassVar[str] = "bollinger_reversion"
    title: ClassVar[str] = "Bollinger band reversion"
    description: ClassVar[str] = (
        "Bands are SMA(window) +/- k population standard deviations of the close. Enters long "
        "when the close is below the lower band and exits when it reaches the middle; with "
        "'long_short' also shorts above the upper band and covers at the middle."
    )
    params_model = BollingerReversionParams

    def signals(self, bars: Bars, params: BollingerReversionParams) -> Signals:
        """Signal on closes outside the bands, exit at the middle band."""
        mid = cached_sma(bars, params.window)
        sd = bars.cached(("std", params.window), lambda: rolling_std(bars.close, params.window))
        close = bars.close
        entries = close < mid - params.k * sd
        exits = close >= mid
        if params.direction == Direction.LONG_SHORT:
            return Signals(entries, exits, close > mid + params.k * sd, close <= mid)
        return Signals(entries, exits)

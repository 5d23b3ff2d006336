"""One interface for every market-data source; sources differ by a capability dict.

A *tick source* (sim, replay, finnhub) is an async iterator of :class:`TickBatch` until
asked to stop. A *history source* (sim, yahoo, alphavantage) returns OHLCV frames. Callers
branch on ``source.has[...]``, never on the source's name.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypedDict

import pandas as pd

from paperdesk_ingestion.batch import TickBatch


class Capabilities(TypedDict, total=False):
    streaming: bool  # yields live ticks
    history: bool  # returns OHLCV frames
    history_timeframes: list[str]  # 1m, 1d, ...
    quotes: bool  # one-off REST quote
    synthetic: bool  # generated data, labelled as such
    needs_api_key: bool
    needs_network: bool
    any_symbol: bool  # not limited to a fixed universe
    cached: bool  # history is cached to Parquet


DEFAULT_CAPABILITIES: Capabilities = {
    "streaming": False,
    "history": False,
    "history_timeframes": [],
    "quotes": False,
    "synthetic": False,
    "needs_api_key": False,
    "needs_network": False,
    "any_symbol": False,
    "cached": False,
}


class Source(abc.ABC):
    """Base of all sources: a name and capabilities merged over the defaults."""

    name: ClassVar[str]
    _has: ClassVar[Capabilities] = {}

    @property
    def has(self) -> Capabilities:
        merged: dict[str, Any] = {**DEFAULT_CAPABILITIES, **self._has}
        return merged  # type: ignore[return-value]


class TickSource(Source):
    """Live (or live-like) ticks."""

    @abc.abstractmethod
    def stream(self, stop: asyncio.Event) -> AsyncIterator[TickBatch]:
        """Yield batches of ticks until ``stop`` is set."""

    def symbols(self) -> list[str]:
        """Symbols this source publishes."""
        return []

    def prev_closes(self) -> dict[str, Decimal]:
        """Previous session closes to publish at start (may be empty)."""
        return {}

    async def aclose(self) -> None:
        """Release connections."""


class HistorySource(Source):
    """OHLCV history (frames with a UTC index and ``Open High Low Close Volume``)."""

    @abc.abstractmethod
    def history(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> pd.DataFrame:
        """Bars of ``symbol`` in ``[start, end)``."""

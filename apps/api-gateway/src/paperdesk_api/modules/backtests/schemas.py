"""Backtest request and response shapes (API.md, "Strategies and backtests")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from paperdesk_api.kit.schemas import Schema, Symbol

Timeframe = Literal["1m", "5m", "1h", "1d"]
Execution = Literal["next_open", "close"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]


class Strategy(Schema):
    name: str
    title: str
    description: str
    params_schema: dict[str, Any]


class BacktestCreate(Schema):
    """A backtest; any param given as a list or ``{"start","stop","step"}`` makes a sweep."""

    strategy: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    symbol: Symbol
    start: date | datetime | None = None
    end: date | datetime | None = None
    timeframe: Timeframe = "1d"
    initial_cash: Decimal = Field(default=Decimal(10000), gt=0, le=Decimal("1e15"))
    fees: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    slippage: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    execution: Execution = "next_open"
    fractional: bool = True
    objective: str = Field(default="sharpe", description="Sweep metric that picks `best`.")


class BacktestQueued(Schema):
    id: uuid.UUID
    status: RunStatus
    cached: bool = False


class Backtest(Schema):
    id: uuid.UUID
    kind: str
    status: RunStatus
    progress: float
    config: dict[str, Any]
    metrics: dict[str, Any] | None
    error: str | None
    grid: list[dict[str, Any]] | None = None
    best: dict[str, Any] | None = None
    chunks: list[dict[str, Any]] | None = None  # sweeps: which process ran each slice
    attempts: int = 0
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class BacktestSummary(Schema):
    """A run in a list: no grid."""

    id: uuid.UUID
    kind: str
    status: RunStatus
    progress: float
    config: dict[str, Any]
    metrics: dict[str, Any] | None
    error: str | None
    best: dict[str, Any] | None = None
    created_at: datetime
    finished_at: datetime | None


class EquityPoint(Schema):
    t: str
    equity: float | None
    drawdown: float | None
    benchmark: float | None = None

"""Strategies and backtests (API.md, "Strategies and backtests")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from paperdesk_core.db.models import BacktestRun

from paperdesk_api.deps import CurrentUser, ReadSessionDep, RedisDep, SessionDep
from paperdesk_api.modules.backtests import schemas
from paperdesk_api.modules.backtests.service import backtest as backtest_service

router = APIRouter(tags=["backtests"])


@router.get("/strategies", response_model=list[schemas.Strategy])
def list_strategies(_user: CurrentUser) -> list[dict[str, Any]]:
    """Every registered strategy with its params' JSON Schema."""
    return backtest_service.strategies()


@router.post(
    "/backtests", response_model=schemas.BacktestQueued, status_code=status.HTTP_202_ACCEPTED
)
def create_backtest(
    payload: schemas.BacktestCreate, user: CurrentUser, session: SessionDep
) -> schemas.BacktestQueued:
    """Validate and queue a backtest or sweep (an identical finished run is reused)."""
    run, cached = backtest_service.create(session, user, payload)
    return schemas.BacktestQueued(id=run.id, status=run.status, cached=cached)


@router.get("/backtests", response_model=list[schemas.BacktestSummary])
def list_backtests(
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Sequence[BacktestRun]:
    """The caller's runs, newest first."""
    return backtest_service.list_for_user(session, redis, user, limit)


@router.get("/backtests/{run_id}", response_model=schemas.Backtest)
def get_backtest(
    run_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> BacktestRun:
    """A run's status, progress, config and results."""
    return backtest_service.get(session, redis, user, run_id)


@router.get("/backtests/{run_id}/equity", response_model=list[schemas.EquityPoint])
def get_equity(run_id: uuid.UUID, user: CurrentUser, session: ReadSessionDep) -> list[Any]:
    """The equity curve with drawdown and a buy-and-hold benchmark."""
    return backtest_service.equity(session, user, run_id)


@router.get("/backtests/{run_id}/trades")
def get_trades(run_id: uuid.UUID, user: CurrentUser, session: ReadSessionDep) -> list[Any]:
    """The run's round trips."""
    return backtest_service.trades(session, user, run_id)


@router.post("/backtests/{run_id}/cancel", response_model=schemas.Backtest)
def cancel_backtest(
    run_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> BacktestRun:
    """Cancel a queued or running run."""
    return backtest_service.cancel(session, redis, user, run_id)


@router.delete("/backtests/{run_id}", response_model=schemas.Backtest)
def delete_backtest(
    run_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> BacktestRun:
    """Cancel a run (same as ``POST /backtests/{id}/cancel``)."""
    return backtest_service.cancel(session, redis, user, run_id)

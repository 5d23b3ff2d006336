"""Account, positions and activities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from paperdesk_api.deps import CurrentUser, RedisDep, SessionDep
from paperdesk_api.errors import error_body
from paperdesk_api.modules.accounts import schemas
from paperdesk_api.modules.accounts.service import account as account_service
from paperdesk_api.modules.orders import schemas as order_schemas
from paperdesk_api.modules.orders.service import order as order_service

router = APIRouter(tags=["account"])


@router.get("/account", response_model=schemas.Account)
def get_account(user: CurrentUser, session: SessionDep, redis: RedisDep) -> schemas.Account:
    """Balances; equity and buying power use the live quotes."""
    return account_service.render(session, account_service.view(session, redis, user))


@router.post("/account/reset", response_model=schemas.Account)
def reset_account(user: CurrentUser, session: SessionDep, redis: RedisDep) -> schemas.Account:
    """Cancel open orders, close positions without trading, restore the starting cash."""
    canceled = account_service.reset(session, user)
    session.commit()
    for o in canceled:
        order_service.publish_canceled(redis, o)
    return account_service.render(session, account_service.view(session, redis, user))


@router.get("/positions", response_model=list[schemas.Position])
def list_positions(
    user: CurrentUser, session: SessionDep, redis: RedisDep
) -> list[schemas.Position]:
    """Open positions marked at the live quotes."""
    return account_service.positions(account_service.view(session, redis, user))


@router.delete(
    "/positions/{symbol}",
    response_model=order_schemas.Order,
    status_code=status.HTTP_201_CREATED,
)
def close_position(
    symbol: str, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> order_schemas.Order | JSONResponse:
    """Close a position with a market order (answers that order)."""
    placed, _ = account_service.close_position(session, redis, user, symbol)
    if placed.status == "rejected":
        return JSONResponse(
            status_code=422, content=error_body("risk_rejected", placed.reject_reason or "")
        )
    session.commit()
    order_service.publish_accepted(redis, placed)
    return order_schemas.Order.model_validate(placed)


@router.get("/activities", response_model=list[schemas.Activity])
def list_activities(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.Activity]:
    """Fills and cash events, newest first."""
    return account_service.activities(session, user, limit)

"""Risk limits, state, halt/resume and flatten."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from paperdesk_api.deps import CurrentUser, RedisDep, SessionDep
from paperdesk_api.modules.orders import schemas as order_schemas
from paperdesk_api.modules.orders.service import order as order_service
from paperdesk_api.modules.risk import schemas
from paperdesk_api.modules.risk.service import risk as risk_service

router = APIRouter(prefix="/risk", tags=["risk"])


@router.get("/limits", response_model=schemas.RiskLimits)
def get_limits(user: CurrentUser, session: SessionDep) -> schemas.RiskLimits:
    """The account's risk limits."""
    return schemas.RiskLimits.model_validate(risk_service.limits(session, user))


@router.put("/limits", response_model=schemas.RiskLimits)
def put_limits(
    payload: schemas.RiskLimitsUpdate, user: CurrentUser, session: SessionDep
) -> schemas.RiskLimits:
    """Change some or all limits."""
    return schemas.RiskLimits.model_validate(risk_service.update(session, user, payload))


@router.get("/state", response_model=schemas.RiskState)
def get_state(user: CurrentUser, session: SessionDep, redis: RedisDep) -> schemas.RiskState:
    """``NORMAL``, ``DEFENSIVE`` or ``HALTED`` and why."""
    return risk_service.state(session, redis, user)


@router.post("/halt", response_model=schemas.RiskState)
def halt(
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    payload: schemas.HaltRequest | None = None,
) -> schemas.RiskState:
    """Halt trading: only orders that reduce a position are accepted."""
    risk_service.set_halted(session, user, True, payload.reason if payload else "")
    return risk_service.state(session, redis, user)


@router.post("/resume", response_model=schemas.RiskState)
def resume(user: CurrentUser, session: SessionDep, redis: RedisDep) -> schemas.RiskState:
    """Resume trading."""
    risk_service.set_halted(session, user, False)
    return risk_service.state(session, redis, user)


@router.post("/flatten")
def flatten(user: CurrentUser, session: SessionDep, redis: RedisDep) -> dict[str, Any]:
    """Cancel all open orders and close all positions with market orders."""
    canceled, placed = risk_service.flatten(session, redis, user)
    session.commit()
    for o in canceled:
        order_service.publish_canceled(redis, o)
    for o in placed:
        if o.status == "new":
            order_service.publish_accepted(redis, o)
    return {
        "canceled": len(canceled),
        "orders": [order_schemas.Order.model_validate(o).model_dump(mode="json") for o in placed],
    }

"""Orders: place (through the risk gate), list, read, cancel."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from paperdesk_core.db.models import Order

from paperdesk_api.deps import (
    AsyncRedisDep,
    CurrentUser,
    PgPoolDep,
    RedisDep,
    SessionDep,
    TokenUserId,
)
from paperdesk_api.errors import error_body
from paperdesk_api.modules.orders import schemas
from paperdesk_api.modules.orders.service import order as order_service

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "",
    response_model=schemas.Order,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": schemas.Order}, 422: {"description": "risk_rejected"}},
)
async def place_order(
    payload: schemas.OrderCreate,
    user_id: TokenUserId,
    redis: AsyncRedisDep,
    pg: PgPoolDep,
) -> Response:
    """Place an order; a repeated ``client_order_id`` answers the original with 200.

    Committed before the answer (a rejected order too, with its audit row). On
    PostgreSQL the gate runs on the event loop; elsewhere in the thread pool.
    """
    if pg is not None:
        placed, created = await order_service.place_pg(pg, redis, user_id, payload)
    else:
        placed, created = await run_in_threadpool(order_service.place_sync, user_id, payload)
    if not created:
        return _order_json(placed, status.HTTP_200_OK)
    if placed.status == "rejected":
        body = error_body("risk_rejected", placed.reject_reason or "rejected")
        body["detail"]["order_id"] = str(placed.id)
        return JSONResponse(status_code=422, content=body)
    await order_service.apublish_accepted(redis, placed)
    return _order_json(placed, status.HTTP_201_CREATED)


def _order_json(order: Order, code: int) -> Response:
    # Serialized once here: a returned model would be validated again against the
    # response model (the schema still documents the route).
    body = schemas.Order.model_validate(order).model_dump_json()
    return Response(content=body, status_code=code, media_type="application/json")


@router.get("", response_model=list[schemas.Order])
def list_orders(
    user: CurrentUser,
    session: SessionDep,
    status_: Annotated[schemas.OrderStatusFilter, Query(alias="status")] = "open",
    symbol: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[schemas.Order]:
    """The caller's orders, newest first."""
    rows = order_service.list_orders(session, user, status=status_, symbol=symbol, limit=limit)
    return [schemas.Order.model_validate(o) for o in rows]


@router.get("/{order_id}", response_model=schemas.Order)
def get_order(order_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> schemas.Order:
    """One order."""
    return schemas.Order.model_validate(order_service.get(session, user, order_id))


@router.delete("/{order_id}", response_model=schemas.Order)
def cancel_order(
    order_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> schemas.Order:
    """Cancel a working order (409 ``not_cancelable`` once it is final)."""
    canceled = order_service.cancel(session, user, order_id)
    session.commit()
    order_service.publish_canceled(redis, canceled)
    return schemas.Order.model_validate(canceled)

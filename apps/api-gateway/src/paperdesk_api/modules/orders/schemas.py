"""Order schemas (decimals travel as strings, accepted as strings or numbers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, StringConstraints

from paperdesk_api.kit.schemas import Schema, Symbol


def dec_str(value: Decimal) -> str:
    """Format a Decimal without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def iso_utc(value: datetime) -> str:
    """Format a datetime as ISO-8601 UTC (SQLite hands back naive UTC values)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Utc = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]
Dec = Annotated[Decimal, PlainSerializer(dec_str, return_type=str)]
InDec = Annotated[Decimal, Field(allow_inf_nan=False)]

ClientOrderId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]


class OrderCreate(Schema):
    symbol: Symbol
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit"] = "market"
    qty: InDec
    limit_price: InDec | None = None
    stop_price: InDec | None = None
    time_in_force: Literal["day", "gtc", "ioc", "fok"] = "day"
    client_order_id: ClientOrderId | None = None


class Order(Schema):
    id: uuid.UUID
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: Dec
    limit_price: Dec | None
    stop_price: Dec | None
    status: str
    filled_qty: Dec
    filled_avg_price: Dec | None
    reject_reason: str | None
    created_at: Utc
    updated_at: Utc
    filled_at: Utc | None
    canceled_at: Utc | None


OrderStatusFilter = Literal["open", "closed", "rejected", "all"]

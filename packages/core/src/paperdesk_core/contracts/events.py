"""Payload models per event type and the registry that validates them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from paperdesk_core.contracts.streams import EventType


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class MarketTick(Payload):
    """One trade or quote from a market-data source. Times are int ns since the epoch."""

    symbol: str = Field(min_length=1, max_length=32)
    price: Decimal = Field(gt=0)
    size: Decimal = Field(ge=0)
    bid: Decimal | None = None
    ask: Decimal | None = None
    ts_event: int
    ts_init: int
    source: str


class MarketTicks(Payload):
    """A batch of ticks in columns (ingestion batches for throughput)."""

    source: str
    symbol: list[str]
    price: list[Decimal]
    size: list[Decimal]
    ts_event: list[int]
    ts_init: list[int]

    def ticks(self) -> list[MarketTick]:
        """Expand the batch into single ticks."""
        return [
            MarketTick(symbol=s, price=p, size=q, ts_event=te, ts_init=ti, source=self.source)
            for s, p, q, te, ti in zip(
                self.symbol, self.price, self.size, self.ts_event, self.ts_init, strict=True
            )
        ]


class OrderAccepted(Payload):
    order_id: uuid.UUID
    account_id: uuid.UUID
    symbol: str


class OrderUpdated(Payload):
    order_id: uuid.UUID
    account_id: uuid.UUID
    status: str
    data: dict[str, object] = Field(default_factory=dict)


class OrderFilled(Payload):
    fill_id: uuid.UUID
    order_id: uuid.UUID
    account_id: uuid.UUID
    symbol: str
    side: str
    last_qty: Decimal
    last_px: Decimal
    commission: Decimal


class AccountUpdated(Payload):
    account_id: uuid.UUID
    cash: Decimal


PAYLOADS: dict[str, type[Payload]] = {
    EventType.MARKET_TICK: MarketTick,
    EventType.MARKET_TICKS: MarketTicks,
    EventType.ORDER_ACCEPTED: OrderAccepted,
    EventType.ORDER_UPDATED: OrderUpdated,
    EventType.ORDER_FILLED: OrderFilled,
    EventType.ACCOUNT_UPDATED: AccountUpdated,
}

"""Account, position and activity schemas (money as decimal strings)."""

from __future__ import annotations

import uuid

from paperdesk_api.kit.schemas import Schema
from paperdesk_api.modules.orders.schemas import Dec, Utc


class Account(Schema):
    id: uuid.UUID
    currency: str
    cash: Dec
    equity: Dec
    buying_power: Dec
    starting_cash: Dec
    realized_pnl: Dec
    unrealized_pnl: Dec
    day_pnl: Dec
    trading_status: str


class Position(Schema):
    symbol: str
    qty: Dec
    side: str
    avg_entry_price: Dec
    market_price: Dec
    market_value: Dec
    cost_basis: Dec
    unrealized_pnl: Dec
    realized_pnl: Dec


class Activity(Schema):
    id: uuid.UUID
    activity_type: str
    ts: Utc
    symbol: str | None = None
    side: str | None = None
    qty: Dec | None = None
    price: Dec | None = None
    commission: Dec | None = None
    order_id: uuid.UUID | None = None
    amount: Dec | None = None
    note: str | None = None

"""Journal schemas: trades with their journal fields, tags, analytics rows."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from paperdesk_api.kit.schemas import Schema, Text
from paperdesk_api.modules.orders.schemas import Dec, InDec, Utc


def _tag(value: str) -> str:
    if any(c in value for c in ";\x00\r\n\t"):
        raise ValueError("a tag must not contain ';' or control characters")
    return value


TagName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_tag),
]


def _markdown(value: str) -> str:
    # Newlines and tabs are Markdown; other control characters (NUL above all) are not.
    if any((ord(c) < 32 and c not in "\n\r\t") or c == "\x7f" for c in value):
        raise ValueError("must not contain control characters")
    return value


Notes = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_markdown)]
Setup = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=100)]
Day = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]

Sort = Literal["entry_time", "-entry_time", "pnl", "-pnl", "symbol"]
Outcome = Literal["win", "loss", "open"]
GroupBy = Literal["tag", "symbol", "side", "weekday", "hour", "holding"]


class Trade(Schema):
    id: uuid.UUID
    symbol: str
    side: str
    status: str
    qty: Dec
    entry_time: Utc
    entry_price: Dec
    exit_time: Utc | None
    exit_price: Dec | None
    pnl: Dec
    gross_pnl: Dec
    fees: Dec
    pnl_pct: Dec | None
    holding_seconds: int | None
    mae: Dec | None
    mfe: Dec | None
    unrealized_pnl: Dec | None
    realized_pnl: Dec
    open_qty: Dec
    tags: list[str]
    notes: str
    rating: int | None
    planned_stop: Dec | None
    r_multiple: Dec | None
    setup: str | None
    source: str


class TradeUpdate(Schema):
    tags: list[TagName] | None = Field(default=None, max_length=50)
    notes: Notes | None = None
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    planned_stop: Annotated[InDec, Field(gt=0)] | None = None
    setup: Setup | None = None


class BulkTag(Schema):
    trade_ids: list[uuid.UUID] = Field(min_length=1, max_length=5000)
    add: list[TagName] = Field(default_factory=list, max_length=50)
    remove: list[TagName] = Field(default_factory=list, max_length=50)


class BulkTagResult(Schema):
    updated: int


class Tag(Schema):
    name: str
    count: int


class TagRename(Schema):
    name: TagName


class AnalyticsRow(Schema):
    key: str
    trades: int
    win_rate: Dec | None
    pnl: Dec
    avg_pnl: Dec | None
    avg_win: Dec | None
    avg_loss: Dec | None
    profit_factor: Dec | None
    expectancy: Dec | None
    largest_win: Dec | None
    largest_loss: Dec | None
    max_consecutive_losses: int


class Summary(AnalyticsRow):
    open_trades: int
    unrealized_pnl: Dec
    fees: Dec


class DailyPnl(Schema):
    date: Day
    pnl: Dec
    trades: int
    cumulative_pnl: Dec


class ImportResult(Schema):
    created: int
    updated: int


ZERO = Decimal(0)

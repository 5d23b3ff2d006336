"""Watchlist schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from paperdesk_api.kit.schemas import Name, Schema, Symbol
from paperdesk_api.modules.market.schemas import Quote

MAX_ITEMS = 200


class WatchlistItem(Schema):
    symbol: str
    name: str
    position: int
    quote: Quote | None = None
    spark: list[str] = Field(default_factory=list, description="recent prices, oldest first")


class Watchlist(Schema):
    id: uuid.UUID
    name: str
    created_at: datetime
    updated_at: datetime
    items: list[WatchlistItem]


class WatchlistCreate(Schema):
    name: Name
    symbols: Annotated[list[Symbol], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)


class WatchlistUpdate(Schema):
    """Rename and/or replace the symbols (their order becomes the item order)."""

    name: Name | None = None
    symbols: Annotated[list[Symbol], Field(max_length=MAX_ITEMS)] | None = None


class WatchlistItemCreate(Schema):
    symbol: Symbol

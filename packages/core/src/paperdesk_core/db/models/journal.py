from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperdesk_core.clock import utc_now
from paperdesk_core.db.base import Base, TimestampMixin


class Trade(Base):
    """A round trip, materialised from the fills (or imported from CSV).

    Rows with ``source="fills"`` are a pure function of the fill log (``state`` keeps the
    builder's exact state of an open trip); the journal tables below key on the
    deterministic trade id, so a rebuild that deletes and re-inserts them loses nothing.
    """

    __tablename__ = "trades"
    __table_args__ = (
        Index("ix_trades_account_status_exit", "account_id", "status", "exit_time"),
        Index("ix_trades_account_entry", "account_id", "entry_time"),
        Index("ix_trades_account_symbol_status", "account_id", "symbol", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(5))  # long | short
    status: Mapped[str] = mapped_column(String(6))  # open | closed
    source: Mapped[str] = mapped_column(String(8), default="fills")  # fills | import
    qty: Mapped[Decimal]
    open_qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    entry_time: Mapped[datetime]
    entry_price: Mapped[Decimal]
    exit_time: Mapped[datetime | None] = mapped_column(default=None)
    exit_price: Mapped[Decimal | None] = mapped_column(default=None)
    gross_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fees: Mapped[Decimal] = mapped_column(default=Decimal(0))
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))
    pnl_pct: Mapped[Decimal | None] = mapped_column(default=None)
    holding_seconds: Mapped[int | None] = mapped_column(default=None)
    fill_count: Mapped[int] = mapped_column(default=0)
    opening_fill_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    mae: Mapped[Decimal | None] = mapped_column(default=None)
    mfe: Mapped[Decimal | None] = mapped_column(default=None)
    # When MAE/MFE were last looked for (closed trades are measured once).
    excursions_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class TradeJournal(TimestampMixin, Base):
    """Notes, rating, planned stop and setup of a trade (keyed by the trade id)."""

    __tablename__ = "trade_journal"

    trade_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(default=None)
    planned_stop: Mapped[Decimal | None] = mapped_column(default=None)
    setup: Mapped[str | None] = mapped_column(String(100), default=None)


class TradeTag(Base):
    """One tag on one trade (keyed by the trade id, so tags survive rebuilds)."""

    __tablename__ = "trade_tags"
    __table_args__ = (Index("ix_trade_tags_account_tag", "account_id", "tag"),)

    trade_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))

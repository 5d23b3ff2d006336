from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Row, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from paperdesk_core.clock import as_utc
from paperdesk_core.db.base import Base, IdMixin, TimestampMixin
from paperdesk_core.trading.orders import (
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    WorkingOrder,
)

OPEN_SQL = "status IN ('new', 'partially_filled')"


class Order(IdMixin, TimestampMixin, Base):
    """A paper order; statuses and fields follow API.md."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id"),
        Index("ix_orders_account_status", "account_id", "status"),
        # The fill engine's poll for open orders it does not work yet.
        Index(
            "ix_orders_open_created",
            "created_at",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    client_order_id: Mapped[str | None] = mapped_column(String(64), default=None)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal]
    limit_price: Mapped[Decimal | None] = mapped_column(default=None)
    stop_price: Mapped[Decimal | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="new")
    filled_qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    filled_avg_price: Mapped[Decimal | None] = mapped_column(default=None)
    reserved_cash: Mapped[Decimal] = mapped_column(default=Decimal(0))
    reject_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    source: Mapped[str] = mapped_column(String(16), default="api")
    filled_at: Mapped[datetime | None] = mapped_column(default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)
    expired_at: Mapped[datetime | None] = mapped_column(default=None)

    def working(self) -> WorkingOrder:
        """The matching engine's and risk gate's view of this (open) order."""
        return working_order(self)


# The columns ``working_order`` reads, for a Core select that skips the ORM.
WORKING_COLUMNS = tuple(
    Order.__table__.c[name]
    for name in (
        "id", "account_id", "symbol", "side", "type", "time_in_force", "qty", "created_at",
        "limit_price", "stop_price", "filled_qty", "filled_avg_price", "status",
    )
)  # fmt: skip


def working_order(row: Order | Row[Any]) -> WorkingOrder:
    """The matching engine's view of an order: an ``Order`` or a row of ``WORKING_COLUMNS``."""
    return WorkingOrder(
        id=row.id,
        account_id=row.account_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        type=OrderType(row.type),
        tif=TimeInForce(row.time_in_force),
        qty=row.qty,
        created_at=as_utc(row.created_at),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        filled_qty=row.filled_qty,
        avg_fill_price=row.filled_avg_price,
        status=OrderStatus(row.status),
    )


class Fill(Base):
    """One execution; its id is deterministic so that replays are idempotent."""

    __tablename__ = "fills"
    __table_args__ = (Index("ix_fills_account_ts", "account_id", "ts"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    last_qty: Mapped[Decimal]
    last_px: Mapped[Decimal]
    commission: Mapped[Decimal] = mapped_column(default=Decimal(0))
    ts: Mapped[datetime]
    # The account's journal epoch when the fill was written (a reset starts a new one).
    journal_epoch: Mapped[int] = mapped_column(default=0, server_default="0")


class Position(TimestampMixin, Base):
    """Materialised position per account and symbol (a pure function of the fills)."""

    __tablename__ = "positions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(default=Decimal(0))
    avg_entry_price: Mapped[Decimal] = mapped_column(default=Decimal(0))
    realized_pnl: Mapped[Decimal] = mapped_column(default=Decimal(0))


class CashActivity(IdMixin, Base):
    """Cash events that are not fills (account resets, deposits)."""

    __tablename__ = "cash_activities"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class RiskDecision(IdMixin, Base):
    """Audit of every pre-trade decision with its reason."""

    __tablename__ = "risk_decisions"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), default=None, index=True
    )
    approved: Mapped[bool]
    code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class RiskLimits(TimestampMixin, Base):
    """Per-account risk limits and the halt switch."""

    __tablename__ = "risk_limits"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    max_order_notional: Mapped[Decimal] = mapped_column(default=Decimal("250000"))
    max_position_pct: Mapped[Decimal] = mapped_column(default=Decimal("1.0"))
    max_daily_loss_pct: Mapped[Decimal] = mapped_column(default=Decimal("0.5"))
    max_drawdown_pct: Mapped[Decimal] = mapped_column(default=Decimal("0.9"))
    halted: Mapped[bool] = mapped_column(default=False)
    halt_reason: Mapped[str] = mapped_column(String(200), default="")

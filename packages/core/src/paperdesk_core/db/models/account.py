from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from paperdesk_core.db.base import Base, IdMixin, TimestampMixin

STARTING_CASH = Decimal("100000.00")


class Account(IdMixin, TimestampMixin, Base):
    """A paper trading account; cash and positions derive from its fills."""

    __tablename__ = "accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    starting_cash: Mapped[Decimal] = mapped_column(default=STARTING_CASH)
    cash: Mapped[Decimal] = mapped_column(default=STARTING_CASH)
    trading_status: Mapped[str] = mapped_column(String(16), default="active")
    # Resets so far: the journal follows only the fills of the current epoch.
    journal_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Bumped by every change the order gate decides on (accepted orders, fills, resets,
    # halts): PostgreSQL's gate reads without a lock and writes only if it is unchanged.
    gate_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # PostgreSQL only: the cash reserved by the open orders, kept by a trigger on orders
    # (migration 0010) for the order gate. Elsewhere it stays 0; read the orders instead.
    reserved_open: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")

    def gate_inputs_changed(self) -> None:
        """Record (in this locked row's next flush) that the gate must read it again."""
        self.gate_version += 1

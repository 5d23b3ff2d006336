from __future__ import annotations

from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from paperdesk_core.db.base import Base, TimestampMixin
from paperdesk_core.trading.instruments import Instrument as DomainInstrument


class Instrument(TimestampMixin, Base):
    """A tradable symbol; seeded from the market-data universe."""

    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    asset_class: Mapped[str] = mapped_column(String(16))
    exchange: Mapped[str] = mapped_column(String(32), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    source: Mapped[str] = mapped_column(String(16), default="sim")
    tick_size: Mapped[Decimal] = mapped_column(default=Decimal("0.01"))
    lot_size: Mapped[Decimal] = mapped_column(default=Decimal("1"))
    calendar: Mapped[str] = mapped_column(String(16), default="XNYS")
    tradable: Mapped[bool] = mapped_column(default=True)

    def domain(self) -> DomainInstrument:
        """The trading rules of this symbol (risk gate, order validation, matching)."""
        return DomainInstrument(
            symbol=self.symbol,
            tick_size=self.tick_size,
            lot_size=self.lot_size,
            calendar=self.calendar,
            asset_class=self.asset_class,
            tradable=self.tradable,
        )

"""Order, account, position, fill and risk queries, always scoped to one account."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from paperdesk_core.clock import utc_now
from paperdesk_core.db.models import (
    Account,
    CashActivity,
    Fill,
    Instrument,
    Order,
    Position,
    RiskDecision,
    RiskLimits,
)
from sqlalchemy import delete, func, select, update

from paperdesk_api.kit.repository import RepositoryBase

OPEN = ("new", "partially_filled")
CLOSED = ("filled", "canceled", "expired")


class AccountRepository(RepositoryBase[Account]):
    model = Account

    def for_user(self, user_id: uuid.UUID, *, lock: bool = False) -> Account | None:
        """The user's paper account; ``lock`` serialises writers of this account.

        PostgreSQL: ``SELECT ... FOR UPDATE`` on the row. SQLite ignores FOR UPDATE, so a
        no-op UPDATE first takes the database write lock (held until commit) and the read
        that follows sees the newest committed state.
        """
        if lock and self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(
                update(Account).where(Account.user_id == user_id).values(updated_at=utc_now())
            )
        stmt = select(Account).where(Account.user_id == user_id).order_by(Account.created_at)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()


class OrderRepository(RepositoryBase[Order]):
    model = Order

    def get(self, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
        stmt = select(Order).where(Order.id == order_id, Order.account_id == account_id)
        return self.session.scalar(stmt)

    def by_client_id(self, account_id: uuid.UUID, client_order_id: str) -> Order | None:
        stmt = select(Order).where(
            Order.account_id == account_id, Order.client_order_id == client_order_id
        )
        return self.session.scalar(stmt)

    def list(
        self,
        account_id: uuid.UUID,
        *,
        statuses: Sequence[str] | None,
        symbol: str | None,
        limit: int,
    ) -> Sequence[Order]:
        stmt = select(Order).where(Order.account_id == account_id)
        if statuses is not None:
            stmt = stmt.where(Order.status.in_(statuses))
        if symbol:
            stmt = stmt.where(Order.symbol == symbol.upper())
        stmt = stmt.order_by(Order.created_at.desc(), Order.id).limit(limit)
        return self.session.scalars(stmt).all()

    def open_orders(self, account_id: uuid.UUID, symbol: str | None = None) -> Sequence[Order]:
        stmt = (
            select(Order)
            .where(Order.account_id == account_id, Order.status.in_(OPEN))
            .order_by(Order.created_at, Order.id)
        )
        if symbol is not None:
            stmt = stmt.where(Order.symbol == symbol)
        return self.session.scalars(stmt).all()

    def reserved(self, account_id: uuid.UUID, *, exclude_symbol: str | None = None) -> Decimal:
        """Buying power held by the open orders (optionally not counting one symbol's)."""
        stmt = select(func.coalesce(func.sum(Order.reserved_cash), 0)).where(
            Order.account_id == account_id, Order.status.in_(OPEN)
        )
        if exclude_symbol is not None:
            stmt = stmt.where(Order.symbol != exclude_symbol)
        return Decimal(self.session.scalar(stmt) or 0)


class PositionRepository(RepositoryBase[Position]):
    model = Position

    def list(self, account_id: uuid.UUID) -> Sequence[Position]:
        stmt = (
            select(Position)
            .where(Position.account_id == account_id, Position.qty != 0)
            .order_by(Position.symbol)
        )
        return self.session.scalars(stmt).all()

    def get(self, account_id: uuid.UUID, symbol: str) -> Position | None:
        return self.session.get(Position, (account_id, symbol))

    def delete_all(self, account_id: uuid.UUID) -> None:
        self.session.execute(delete(Position).where(Position.account_id == account_id))


class FillRepository(RepositoryBase[Fill]):
    model = Fill

    def list(self, account_id: uuid.UUID, limit: int) -> Sequence[Fill]:
        stmt = (
            select(Fill)
            .where(Fill.account_id == account_id)
            .order_by(Fill.ts.desc(), Fill.id)
            .limit(limit)
        )
        return self.session.scalars(stmt).all()


class CashActivityRepository(RepositoryBase[CashActivity]):
    model = CashActivity

    def list(self, account_id: uuid.UUID, limit: int) -> Sequence[CashActivity]:
        stmt = (
            select(CashActivity)
            .where(CashActivity.account_id == account_id)
            .order_by(CashActivity.created_at.desc())
            .limit(limit)
        )
        return self.session.scalars(stmt).all()


class RiskRepository(RepositoryBase[RiskLimits]):
    model = RiskLimits

    def limits(self, account_id: uuid.UUID, *, create: bool = False) -> RiskLimits | None:
        row = self.session.get(RiskLimits, account_id)
        if row is None and create:
            row = RiskLimits(
                account_id=account_id,
                max_order_notional=Decimal("250000"),
                max_position_pct=Decimal("1.0"),
                max_daily_loss_pct=Decimal("0.5"),
                max_drawdown_pct=Decimal("0.9"),
                halted=False,
                halt_reason="",
            )
            self.session.add(row)
            self.session.flush()
        return row

    def record(
        self,
        account_id: uuid.UUID,
        order_id: uuid.UUID | None,
        *,
        approved: bool,
        code: str,
        reason: str,
    ) -> None:
        self.session.add(
            RiskDecision(
                account_id=account_id,
                order_id=order_id,
                approved=approved,
                code=code,
                reason=reason[:500],
                created_at=utc_now(),
            )
        )


class InstrumentRowRepository(RepositoryBase[Instrument]):
    model = Instrument

    def get(self, symbol: str) -> Instrument | None:
        return self.session.get(Instrument, symbol.upper())

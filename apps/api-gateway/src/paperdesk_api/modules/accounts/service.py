"""The paper account: balances from cash and live marks, positions, activities, reset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paperdesk_core.clock import as_utc, utc_now
from paperdesk_core.db.models import CashActivity, Order, User
from paperdesk_core.journal.store import reset_journal
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperdesk_api.errors import NotFound
from paperdesk_api.modules.accounts import schemas
from paperdesk_api.modules.orders import schemas as order_schemas
from paperdesk_api.modules.orders.repository import (
    CashActivityRepository,
    FillRepository,
    PositionRepository,
)
from paperdesk_api.modules.orders.service import AccountView, load_view
from paperdesk_api.modules.orders.service import order as order_service

ZERO = Decimal(0)


def _realized(view: AccountView, session: Session) -> Decimal:
    """Realized P&L since the last reset: the positions' realized P&L less commissions."""
    from paperdesk_core.db.models import Fill

    paid = session.scalar(
        select(func.coalesce(func.sum(Fill.commission), 0)).where(
            Fill.account_id == view.account.id,
            Fill.journal_epoch == view.account.journal_epoch,  # fills since the last reset
        )
    )
    gross = sum((p.realized_pnl for p in view.positions), ZERO)
    return gross - Decimal(paid or 0)


class AccountService:
    def view(self, session: Session, redis: Any, user: User) -> AccountView:
        return load_view(session, redis, order_service.account(session, user))

    def render(self, session: Session, view: AccountView) -> schemas.Account:
        unrealized = ZERO
        day = ZERO
        for p in view.positions:
            px = view.prices[p.symbol]
            unrealized += p.qty * (px - p.avg_entry_price)
            # Day P&L of held positions: move since the previous close (entry if none).
            ref = view.prev_close.get(p.symbol, p.avg_entry_price)
            day += p.qty * (px - ref)
        trading = (
            "halted"
            if view.limits_row is not None and view.limits_row.halted
            else (view.account.trading_status)
        )
        return schemas.Account(
            id=view.account.id,
            currency=view.account.currency,
            cash=view.account.cash,
            equity=view.equity,
            buying_power=view.buying_power,
            starting_cash=view.account.starting_cash,
            realized_pnl=_realized(view, session),
            unrealized_pnl=unrealized,
            day_pnl=day,
            trading_status=trading,
        )

    def positions(self, view: AccountView) -> list[schemas.Position]:
        out = []
        for p in view.positions:
            px = view.prices[p.symbol]
            mv = p.qty * px
            cost = p.qty * p.avg_entry_price
            out.append(
                schemas.Position(
                    symbol=p.symbol,
                    qty=p.qty,
                    side="long" if p.qty > 0 else "short",
                    avg_entry_price=p.avg_entry_price,
                    market_price=px,
                    market_value=mv,
                    cost_basis=cost,
                    unrealized_pnl=mv - cost,
                    realized_pnl=p.realized_pnl,
                )
            )
        return out

    def activities(self, session: Session, user: User, limit: int) -> list[schemas.Activity]:
        account = order_service.account(session, user)
        rows: list[schemas.Activity] = [
            schemas.Activity(
                id=f.id,
                activity_type="fill",
                ts=as_utc(f.ts),
                symbol=f.symbol,
                side=f.side,
                qty=f.last_qty,
                price=f.last_px,
                commission=f.commission,
                order_id=f.order_id,
                amount=(-1 if f.side == "buy" else 1) * f.last_qty * f.last_px - f.commission,
            )
            for f in FillRepository.from_session(session).list(account.id, limit)
        ]
        rows += [
            schemas.Activity(
                id=c.id, activity_type=c.type, ts=as_utc(c.created_at), amount=c.amount, note=c.note
            )
            for c in CashActivityRepository.from_session(session).list(account.id, limit)
        ]
        rows.sort(key=lambda a: a.ts, reverse=True)
        return rows[:limit]

    def reset(self, session: Session, user: User) -> list[Order]:
        """Cancel open orders, drop positions, put the cash back (a cash activity).

        The journal starts afresh: trades built from earlier fills (and their notes and
        tags) go, and rebuilds follow only the fills after the reset.
        """
        account = order_service.account(session, user, lock=True)
        canceled = order_service.cancel_all(session, account)
        PositionRepository.from_session(session).delete_all(account.id)
        reset_journal(session, account)
        delta = account.starting_cash - account.cash
        account.cash = account.starting_cash
        account.trading_status = "active"
        account.gate_inputs_changed()
        CashActivityRepository.from_session(session).add(
            CashActivity(
                account_id=account.id,
                type="reset",
                amount=delta,
                note="account reset to starting cash",
                created_at=utc_now(),
            )
        )
        session.flush()
        return canceled

    def close_position(
        self, session: Session, redis: Any, user: User, symbol: str
    ) -> tuple[Order, bool]:
        account = order_service.account(session, user)
        pos = PositionRepository.from_session(session).get(account.id, symbol.upper())
        if pos is None or pos.qty == 0:
            raise NotFound(f"no open position in {symbol.upper()[:32]}", code="position_not_found")
        payload = order_schemas.OrderCreate(
            symbol=pos.symbol,
            side="sell" if pos.qty > 0 else "buy",
            type="market",
            qty=abs(pos.qty),
            time_in_force="day",
        )
        return order_service.submit(session, redis, user.id, payload)


account = AccountService()

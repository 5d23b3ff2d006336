"""Risk controls: limits, state, halt/resume and flatten."""

from __future__ import annotations

from typing import Any

from paperdesk_core.db.models import Order, User
from paperdesk_core.db.models import RiskLimits as RiskLimitsRow
from sqlalchemy.orm import Session

from paperdesk_api.modules.orders import schemas as order_schemas
from paperdesk_api.modules.orders.repository import PositionRepository, RiskRepository
from paperdesk_api.modules.orders.service import load_view
from paperdesk_api.modules.orders.service import order as order_service
from paperdesk_api.modules.risk import schemas


class RiskService:
    def limits(self, session: Session, user: User) -> RiskLimitsRow:
        account = order_service.account(session, user)
        row = RiskRepository.from_session(session).limits(account.id, create=True)
        assert row is not None
        return row

    def update(
        self, session: Session, user: User, payload: schemas.RiskLimitsUpdate
    ) -> RiskLimitsRow:
        row = self.limits(session, user)
        for name, value in payload.model_dump(exclude_none=True).items():
            setattr(row, name, value)
        session.flush()
        return row

    def state(self, session: Session, redis: Any, user: User) -> schemas.RiskState:
        view = load_view(session, redis, order_service.account(session, user))
        halted = view.limits_row is not None and view.limits_row.halted
        return schemas.RiskState(
            state=view.status.state.value, reason=view.status.reason, halted=halted
        )

    def set_halted(self, session: Session, user: User, halted: bool, reason: str = "") -> None:
        account = order_service.account(session, user, lock=True)
        row = RiskRepository.from_session(session).limits(account.id, create=True)
        assert row is not None
        row.halted = halted
        row.halt_reason = (reason or "halted by the user") if halted else ""
        account.trading_status = "halted" if halted else "active"
        account.gate_inputs_changed()
        session.flush()

    def flatten(self, session: Session, redis: Any, user: User) -> tuple[list[Order], list[Order]]:
        """Cancel every open order, then close every position with a market order."""
        account = order_service.account(session, user, lock=True)
        canceled = order_service.cancel_all(session, account)
        placed: list[Order] = []
        for pos in PositionRepository.from_session(session).list(account.id):
            payload = order_schemas.OrderCreate(
                symbol=pos.symbol,
                side="sell" if pos.qty > 0 else "buy",
                type="market",
                qty=abs(pos.qty),
            )
            o, _ = order_service.submit(session, redis, user.id, payload)
            placed.append(o)
        return canceled, placed


risk = RiskService()

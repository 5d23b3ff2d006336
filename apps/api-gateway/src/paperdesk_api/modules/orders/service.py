"""Order placement through the pre-trade risk gate, listing and cancel."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import asyncpg
from fastapi.concurrency import run_in_threadpool
from paperdesk_core.bus import EventBus
from paperdesk_core.clock import utc_now
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import OrderAccepted, OrderUpdated
from paperdesk_core.contracts.streams import (
    ORDERS_ACCEPTED,
    ORDERS_CANCELED,
    ORDERS_EVENTS,
    EventType,
)
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Account, Order, Position, User
from paperdesk_core.db.models import RiskLimits as RiskLimitsRow
from paperdesk_core.marketdata.quotes import Quote, read_quotes
from paperdesk_core.trading import (
    AccountSnapshot,
    Instrument,
    OrderRequest,
    OrderSide,
    OrderType,
    OrderValidationError,
    RiskLimits,
    RiskState,
    RiskStatus,
    TimeInForce,
    buying_power,
    check_order,
    evaluate_risk_state,
    fill_model_from_settings,
    validate_order,
)
from paperdesk_core.trading import (
    RiskDecision as RiskDecisionResult,
)
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from paperdesk_api.deps import active_user, get_redis
from paperdesk_api.errors import AppError, Conflict, Invalid, NotFound, Unavailable
from paperdesk_api.kit import pg_pool
from paperdesk_api.modules.market.service import aread_quotes
from paperdesk_api.modules.orders import pg_gate, schemas
from paperdesk_api.modules.orders.repository import (
    CLOSED,
    OPEN,
    AccountRepository,
    InstrumentRowRepository,
    OrderRepository,
    PositionRepository,
    RiskRepository,
)

log = logging.getLogger(__name__)

PRODUCER = "api"
ZERO = Decimal(0)
# Optimistic attempts of the PostgreSQL gate before it locks the account.
OPTIMISTIC_TRIES = 3

STATUS_FILTERS: dict[str, Sequence[str] | None] = {
    "open": OPEN,
    "closed": CLOSED,
    "rejected": ("rejected",),
    "all": None,
}


# Parametrised once: pydantic looks the generic up again on every subscription.
AcceptedEnvelope = Envelope[OrderAccepted]


class RiskRejected(AppError):
    status_code = 422
    code = "risk_rejected"


def domain_limits(row: RiskLimitsRow | None) -> RiskLimits:
    """Domain limits from the account's stored limits (defaults for the rest)."""
    if row is None:
        return RiskLimits(
            max_order_notional=Decimal("250000"),
            max_position_pct=Decimal("1.0"),
            max_daily_loss_pct=Decimal("0.5"),
            max_drawdown_pct=Decimal("0.9"),
        )
    return RiskLimits(
        max_order_notional=row.max_order_notional,
        max_position_pct=row.max_position_pct,
        max_daily_loss_pct=row.max_daily_loss_pct,
        max_drawdown_pct=row.max_drawdown_pct,
    )


@dataclass
class AccountView:
    """An account with its positions, marks and risk settings.

    ``snapshot`` is what the risk checks see: when the account holds ``symbol``, that
    symbol's open orders as working orders (closing quantity nets out); and the cash less
    what the other open orders reserved when they were accepted (``Order.reserved_cash``),
    so a check costs one sum, not a load of every open order.
    """

    account: Account
    positions: Sequence[Position]
    open_orders: Sequence[Order]
    prices: dict[str, Decimal]
    prev_close: dict[str, Decimal]
    limits_row: RiskLimitsRow | None
    limits: RiskLimits
    status: RiskStatus
    equity: Decimal
    snapshot: AccountSnapshot

    @property
    def buying_power(self) -> Decimal:
        return buying_power(self.snapshot, fill_model_from_settings(), self.limits)


def load_view(
    session: Session, redis: Any, account: Account, symbol: str | None = None
) -> AccountView:
    """Read positions, live marks and reservations of an account (one Redis round trip)."""
    positions = PositionRepository.from_session(session).list(account.id)
    orders = OrderRepository.from_session(session)
    # Working orders matter only where a position exists (closing quantity nets out);
    # elsewhere every open order is opening and its stored reservation is exact.
    netting = symbol is not None and any(p.symbol == symbol for p in positions)
    open_orders = orders.open_orders(account.id, symbol) if netting else []
    other_reserved = orders.reserved(account.id, exclude_symbol=symbol if netting else None)
    limits_row = RiskRepository.from_session(session).limits(account.id)
    symbols = view_symbols(positions, symbol)
    quotes = read_quotes(redis, symbols) if symbols else {}
    return build_view(account, positions, open_orders, other_reserved, limits_row, quotes)


def view_symbols(positions: Sequence[Position], symbol: str | None) -> list[str]:
    """The symbols whose quotes a view needs: the positions' and the order's."""
    symbols = list(dict.fromkeys([p.symbol for p in positions]))
    if symbol is not None and symbol not in symbols:
        symbols.append(symbol)
    return symbols


def build_view(
    account: Account,
    positions: Sequence[Position],
    open_orders: Sequence[Order],
    other_reserved: Decimal,
    limits_row: RiskLimitsRow | None,
    quotes: Mapping[str, Quote | None],
) -> AccountView:
    """The account view from its rows and the live quotes of its symbols."""
    prices: dict[str, Decimal] = {}
    prev: dict[str, Decimal] = {}
    for sym, q in quotes.items():
        if q is not None:
            prices[sym] = q.price
            if q.prev_close is not None:
                prev[sym] = q.prev_close
    for p in positions:  # no quote yet: mark at the entry price
        prices.setdefault(p.symbol, p.avg_entry_price)
    limits = domain_limits(limits_row)
    held = {p.symbol: p.qty for p in positions}
    equity = account.cash + sum((q * prices[s] for s, q in held.items()), ZERO)
    if limits_row is not None and limits_row.halted:
        status = RiskStatus(RiskState.HALTED, limits_row.halt_reason or "halted by the user")
    else:
        status = evaluate_risk_state(
            equity,
            day_start_equity=account.starting_cash,
            peak_equity=max(account.starting_cash, equity),
            limits=limits,
        )
    snapshot = AccountSnapshot(
        cash=account.cash - other_reserved,
        positions=held,
        prices=prices,
        open_orders=[o.working() for o in open_orders],
        state=status.state,
    )
    return AccountView(
        account,
        positions,
        open_orders,
        prices,
        prev,
        limits_row,
        limits,
        status,
        equity,
        snapshot,
    )


def _request(payload: schemas.OrderCreate, instrument: Instrument | None) -> OrderRequest:
    """The domain request, rounded and checked against the instrument (422 when invalid)."""
    request = OrderRequest(
        symbol=payload.symbol,
        side=OrderSide(payload.side),
        type=OrderType(payload.type),
        qty=payload.qty,
        time_in_force=TimeInForce(payload.time_in_force),
        limit_price=payload.limit_price,
        stop_price=payload.stop_price,
    )
    if instrument is None:
        return request
    try:
        return validate_order(request, instrument)
    except OrderValidationError as exc:
        raise Invalid(exc.message, code=exc.code) from exc


def _decide(
    request: OrderRequest, instrument: Instrument | None, view: AccountView
) -> RiskDecisionResult:
    return check_order(
        request,
        instrument=instrument,
        account=view.snapshot,
        last_price=view.prices.get(request.symbol) if instrument else None,
        limits=view.limits,
        fill_model=fill_model_from_settings(),
    )


def _order_values(
    account_id: uuid.UUID,
    payload: schemas.OrderCreate,
    request: OrderRequest,
    decision: RiskDecisionResult,
) -> dict[str, Any]:
    now = utc_now()
    return {
        "id": uuid.uuid4(),
        "account_id": account_id,
        "client_order_id": payload.client_order_id,
        "symbol": request.symbol,
        "side": request.side.value,
        "type": request.type.value,
        "time_in_force": request.time_in_force.value,
        "qty": request.qty,
        "limit_price": request.limit_price,
        "stop_price": request.stop_price,
        "status": "new" if decision.approved else "rejected",
        "reserved_cash": decision.reserved,
        "reject_reason": None if decision.approved else decision.reason,
        "source": "api",
        "created_at": now,
    }


def order_data(order: Order) -> dict[str, Any]:
    """The API's JSON form of an order (for events and the WebSocket)."""
    return schemas.Order.model_validate(order).model_dump(mode="json")


class OrderService:
    def account(self, session: Session, user: User | uuid.UUID, *, lock: bool = False) -> Account:
        user_id = user if isinstance(user, uuid.UUID) else user.id
        account = AccountRepository.from_session(session).for_user(user_id, lock=lock)
        if account is None:
            raise NotFound("no paper account", code="no_account")
        return account

    def submit(
        self, session: Session, redis: Any, user_id: uuid.UUID, payload: schemas.OrderCreate
    ) -> tuple[Order, bool]:
        """Run the risk gate and record the order; return it and whether it is new.

        The account row is locked first, so concurrent orders of one account are checked
        one after the other against the buying power the previous ones reserved. The
        caller commits. (``place_pg`` is the same gate in two statements.)
        """
        active_user(session, user_id)
        account = self.account(session, user_id, lock=True)
        repo = OrderRepository.from_session(session)
        if payload.client_order_id is not None:
            existing = repo.by_client_id(account.id, payload.client_order_id)
            if existing is not None:
                return existing, False
        row = InstrumentRowRepository.from_session(session).get(payload.symbol)
        instrument = row.domain() if row is not None else None
        request = _request(payload, instrument)
        view = load_view(session, redis, account, request.symbol)
        decision = _decide(request, instrument, view)
        values = _order_values(account.id, payload, request, decision)
        order = Order(**values, filled_qty=ZERO, updated_at=values["created_at"])
        repo.add(order, flush=True)
        RiskRepository.from_session(session).record(
            account.id,
            order.id,
            approved=decision.approved,
            code=decision.code.value if decision.code else "approved",
            reason=decision.reason,
        )
        if decision.approved:
            account.gate_inputs_changed()  # it reserves buying power
        session.flush()
        return order, True

    def place_sync(self, user_id: uuid.UUID, payload: schemas.OrderCreate) -> tuple[Order, bool]:
        """``submit`` in a session of its own, committed (rejected orders too: audit)."""
        with session_scope() as session:
            return self.submit(session, get_redis(), user_id, payload)

    async def place_pg(
        self, pool: asyncpg.Pool, aredis: Any, user_id: uuid.UUID, payload: schemas.OrderCreate
    ) -> tuple[Order, bool]:
        """``submit`` on PostgreSQL from the event loop, committed: see ``pg_gate``.

        Optimistic first (read, decide, write if the account did not change meanwhile),
        ``OPTIMISTIC_TRIES`` times, then under the account's lock.
        """
        for attempt in range(OPTIMISTIC_TRIES + 2):
            try:
                placed = await self._attempt_pg(
                    pool, aredis, user_id, payload, locked=attempt >= OPTIMISTIC_TRIES
                )
            except asyncpg.UniqueViolationError:
                continue  # the same client_order_id was placed meanwhile: read it
            if placed is False:
                # No active user or no account: the ORM path answers with the right error.
                return await run_in_threadpool(self.place_sync, user_id, payload)
            if placed is not None:
                return placed
        raise Unavailable("the account kept changing while the order was placed; try again")

    async def _attempt_pg(
        self,
        pool: asyncpg.Pool,
        aredis: Any,
        user_id: uuid.UUID,
        payload: schemas.OrderCreate,
        *,
        locked: bool,
    ) -> tuple[Order, bool] | Literal[False] | None:
        """One pass of the gate: None when the account changed, False without an account.

        A connection found broken before the gate read anything is replaced once.
        """
        coid = payload.client_order_id
        for connection in (1, 2):
            loaded = False
            async with pool.acquire() as conn:
                try:
                    if not locked:
                        rows = await pg_gate.load(conn, user_id, payload.symbol, coid)
                        loaded = True
                        if rows is None:
                            return False
                        return await self._gate_pg(conn, aredis, rows, payload, locked=False)
                    async with conn.transaction():
                        if not await pg_gate.lock(conn, user_id):
                            return False
                        rows = await pg_gate.load(conn, user_id, payload.symbol, coid)
                        loaded = True
                        if rows is None:
                            return False
                        return await self._gate_pg(conn, aredis, rows, payload, locked=True)
                except pg_pool.LOST as exc:
                    conn.terminate()  # never back into the pool
                    if loaded or connection == 2:
                        log.warning("database connection lost placing an order: %r", exc)
                        raise Unavailable("database unavailable") from exc
        raise AssertionError("unreachable")

    async def _gate_pg(
        self,
        conn: asyncpg.Connection,
        aredis: Any,
        rows: pg_gate.GateRows,
        payload: schemas.OrderCreate,
        *,
        locked: bool,
    ) -> tuple[Order, bool] | None:
        """Decide and write; None when the account changed since ``rows`` were read."""
        account = rows.account
        if rows.existing_order_id is not None:
            found = await pg_gate.orders(conn, account.id, order_id=rows.existing_order_id)
            if found:
                return found[0], False
        instrument = rows.instrument
        request = _request(payload, instrument)
        netting = any(p.symbol == request.symbol for p in rows.positions)
        open_orders: Sequence[Order] = []
        other_reserved = rows.reserved_total
        if netting:
            open_orders = await pg_gate.orders(conn, account.id, open_in=request.symbol)
            other_reserved -= sum((o.reserved_cash for o in open_orders), ZERO)
        quotes = await aread_quotes(aredis, view_symbols(rows.positions, request.symbol))
        view = build_view(
            account, rows.positions, open_orders, other_reserved, rows.limits_row, quotes
        )
        decision = _decide(request, instrument, view)
        values = _order_values(account.id, payload, request, decision)
        written = await pg_gate.insert(
            conn,
            values,
            decision_id=uuid.uuid4(),
            approved=decision.approved,
            code=decision.code.value if decision.code else "approved",
            reason=decision.reason,
            gate_version=None if locked else rows.gate_version,
        )
        if not written:
            return None
        return Order(**values, filled_qty=ZERO, updated_at=values["created_at"]), True

    @staticmethod
    def _accepted(order: Order) -> Envelope[OrderAccepted]:
        return AcceptedEnvelope(
            event_type=EventType.ORDER_ACCEPTED,
            producer=PRODUCER,
            key=str(order.account_id),
            correlation_id=order.id,
            payload=OrderAccepted(
                order_id=order.id, account_id=order.account_id, symbol=order.symbol
            ),
        )

    def publish_accepted(self, redis: Any, order: Order) -> None:
        """Hand an accepted (committed) order to the fill engine.

        A failed publish is logged, not raised: the engine also polls the database for
        ``new`` orders it has not loaded.
        """
        try:
            EventBus(redis).publish(ORDERS_ACCEPTED, self._accepted(order))
        except RedisError as exc:
            log.warning("could not publish order %s (the engine polls for it): %s", order.id, exc)

    async def apublish_accepted(self, aredis: Any, order: Order) -> None:
        """``publish_accepted`` on the asyncio Redis client."""
        try:
            await EventBus(aredis).apublish(ORDERS_ACCEPTED, self._accepted(order))
        except RedisError as exc:
            log.warning("could not publish order %s (the engine polls for it): %s", order.id, exc)

    def publish_canceled(self, redis: Any, order: Order) -> None:
        """Tell the fill engine and the account's WebSockets that an order was canceled."""
        env = Envelope[OrderUpdated](
            event_type=EventType.ORDER_UPDATED,
            producer=PRODUCER,
            key=str(order.account_id),
            correlation_id=order.id,
            payload=OrderUpdated(
                order_id=order.id,
                account_id=order.account_id,
                status=order.status,
                data=order_data(order),
            ),
        )
        try:
            bus = EventBus(redis)
            bus.publish(ORDERS_CANCELED, env)
            bus.publish(ORDERS_EVENTS, env)
        except RedisError as exc:
            log.warning("could not publish the cancel of %s: %s", order.id, exc)

    def list_orders(
        self,
        session: Session,
        user: User,
        *,
        status: schemas.OrderStatusFilter,
        symbol: str | None,
        limit: int,
    ) -> Sequence[Order]:
        account = self.account(session, user)
        return OrderRepository.from_session(session).list(
            account.id, statuses=STATUS_FILTERS[status], symbol=symbol, limit=limit
        )

    def get(self, session: Session, user: User, order_id: uuid.UUID) -> Order:
        account = self.account(session, user)
        order = OrderRepository.from_session(session).get(account.id, order_id)
        if order is None:
            raise NotFound("order not found")
        return order

    def cancel_locked(self, session: Session, account: Account, order: Order) -> None:
        """Cancel an open order of a locked account (releases its reservation)."""
        if order.status not in OPEN:
            raise Conflict(
                f"order is {order.status} and can no longer be canceled", code="not_cancelable"
            )
        now = utc_now()
        order.status = "canceled"
        order.canceled_at = now
        order.updated_at = now
        order.reserved_cash = ZERO

    def cancel(self, session: Session, user: User, order_id: uuid.UUID) -> Order:
        account = self.account(session, user, lock=True)
        repo = OrderRepository.from_session(session)
        order = repo.get(account.id, order_id)
        if order is None:
            raise NotFound("order not found")
        session.refresh(order, with_for_update=True)
        self.cancel_locked(session, account, order)
        session.flush()
        return order

    def cancel_all(self, session: Session, account: Account) -> list[Order]:
        """Cancel every open order of a locked account."""
        orders = list(OrderRepository.from_session(session).open_orders(account.id))
        for o in orders:
            session.refresh(o, with_for_update=True)
            if o.status in OPEN:
                self.cancel_locked(session, account, o)
        session.flush()
        return [o for o in orders if o.status == "canceled"]


order = OrderService()

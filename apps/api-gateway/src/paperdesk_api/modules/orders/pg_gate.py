"""The order gate's reads and writes on PostgreSQL in two round trips, from the event loop.

The ORM path (``service.OrderService.submit``) costs about ten round trips, their Python
and a thread hop per order; on PostgreSQL ``POST /orders`` locks the account and reads
the same inputs (user, limits, instrument, reservations, positions, an earlier order with
the same ``client_order_id``) in one pipelined round trip, and writes the order and its
audit row with one ``INSERT``, over an asyncio psycopg connection
(``kit.pg_pool``). The risk decision is the same code on both paths.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from paperdesk_core.db.models import Account, Order, Position
from paperdesk_core.db.models import Instrument as InstrumentRow
from paperdesk_core.db.models import RiskLimits as RiskLimitsRow
from psycopg.rows import dict_row

from paperdesk_api.kit.pg_pool import Conn

# The lock is its own statement: a later statement's snapshot then sees every order the
# previous holder of the lock committed (a subquery of the locking statement would not).
_LOCK = """
SELECT a.id FROM users u JOIN accounts a ON a.user_id = u.id
 WHERE u.id = %(uid)s AND u.is_active
 ORDER BY a.created_at LIMIT 1
   FOR UPDATE OF a
"""

# One row per (user, account): NULL columns where the joined row does not exist.
_LOAD = """
SELECT a.id, a.cash::text, a.starting_cash::text,
       (SELECT o.id FROM orders o
         WHERE o.account_id = a.id AND o.client_order_id = %(coid)s) AS existing,
       (SELECT coalesce(sum(o.reserved_cash), 0)::text || ' '
               || coalesce(sum(o.reserved_cash) FILTER (WHERE o.symbol = %(sym)s), 0)::text
          FROM orders o
         WHERE o.account_id = a.id AND o.status IN ('new', 'partially_filled')) AS reserved,
       (SELECT json_agg(json_build_array(p.symbol, p.qty::text, p.avg_entry_price::text))::text
          FROM positions p WHERE p.account_id = a.id AND p.qty <> 0) AS positions,
       r.account_id IS NOT NULL, r.max_order_notional::text, r.max_position_pct::text,
       r.max_daily_loss_pct::text, r.max_drawdown_pct::text, r.halted, r.halt_reason,
       i.symbol, i.tick_size::text, i.lot_size::text, i.calendar, i.asset_class, i.tradable
  FROM users u
  JOIN accounts a ON a.user_id = u.id
  LEFT JOIN risk_limits r ON r.account_id = a.id
  LEFT JOIN instruments i ON i.symbol = %(sym)s
 WHERE u.id = %(uid)s AND u.is_active
 ORDER BY a.created_at
 LIMIT 1
"""

_ORDERS = """
SELECT * FROM orders WHERE account_id = %(aid)s AND (id = %(oid)s OR (
       %(sym)s::text IS NOT NULL AND symbol = %(sym)s AND status IN ('new', 'partially_filled')))
 ORDER BY created_at, id
"""

_INSERT = """
WITH o AS (
  INSERT INTO orders (id, account_id, client_order_id, symbol, side, type, time_in_force,
                      qty, limit_price, stop_price, status, filled_qty, reserved_cash,
                      reject_reason, source, created_at, updated_at)
  VALUES (%(id)s, %(account_id)s, %(client_order_id)s, %(symbol)s, %(side)s, %(type)s,
          %(time_in_force)s, %(qty)s, %(limit_price)s, %(stop_price)s, %(status)s, 0,
          %(reserved_cash)s, %(reject_reason)s, %(source)s, %(created_at)s, %(created_at)s)
  RETURNING id
)
INSERT INTO risk_decisions (id, account_id, order_id, approved, code, reason, created_at)
SELECT %(decision_id)s, %(account_id)s, o.id, %(approved)s, %(code)s, %(reason)s,
       %(created_at)s
  FROM o
"""


@dataclass
class GateRows:
    """What the gate reads, as transient (never added) ORM objects."""

    account: Account
    existing_order_id: uuid.UUID | None
    reserved_total: Decimal
    reserved_symbol: Decimal
    positions: list[Position]
    limits_row: RiskLimitsRow | None
    instrument: InstrumentRow | None


async def load(
    conn: Conn, user_id: uuid.UUID, symbol: str, client_order_id: str | None
) -> GateRows | None:
    """Lock the user's account and read the gate's inputs; None: no active user/account.

    Both statements go in one round trip (pipeline); the second runs after the lock.
    """
    params = {"uid": user_id, "sym": symbol, "coid": client_order_id}
    async with conn.pipeline():
        await conn.execute(_LOCK, params)
        cur = await conn.execute(_LOAD, params)
    row = await cur.fetchone()
    if row is None:
        return None
    (acc_id, cash, starting, existing, reserved, positions, has_limits, mon, mpp, mdl, mdd,
     halted, halt_reason, i_sym, tick, lot, calendar, asset_class, tradable) = row  # fmt: skip
    total, in_symbol = str(reserved).split(" ")
    account = Account(
        id=acc_id, user_id=user_id, cash=Decimal(str(cash)), starting_cash=Decimal(str(starting))
    )
    held = [
        Position(account_id=acc_id, symbol=s, qty=Decimal(q), avg_entry_price=Decimal(p))
        for s, q, p in json.loads(str(positions or "[]"))
    ]
    limits = None
    if has_limits:
        limits = RiskLimitsRow(
            account_id=acc_id,
            max_order_notional=Decimal(str(mon)),
            max_position_pct=Decimal(str(mpp)),
            max_daily_loss_pct=Decimal(str(mdl)),
            max_drawdown_pct=Decimal(str(mdd)),
            halted=halted,
            halt_reason=halt_reason,
        )
    instrument = None
    if i_sym is not None:
        instrument = InstrumentRow(
            symbol=i_sym,
            tick_size=Decimal(str(tick)),
            lot_size=Decimal(str(lot)),
            calendar=calendar,
            asset_class=asset_class,
            tradable=tradable,
        )
    return GateRows(
        account,
        existing if isinstance(existing, uuid.UUID) else None,
        Decimal(total),
        Decimal(in_symbol),
        held,
        limits,
        instrument,
    )


async def orders(
    conn: Conn, account_id: uuid.UUID, *, order_id: uuid.UUID | None = None,
    open_in: str | None = None,
) -> list[Order]:  # fmt: skip
    """One order by id and/or the open orders of a symbol, as transient ORM objects."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_ORDERS, {"aid": account_id, "oid": order_id, "sym": open_in})
        return [Order(**r) for r in await cur.fetchall()]


async def insert(conn: Conn, values: dict[str, Any], *, decision_id: uuid.UUID, code: str,
                 approved: bool, reason: str, created_at: datetime) -> None:  # fmt: skip
    """Insert the order and its risk decision in one statement."""
    params = dict(values)
    params.update(
        decision_id=decision_id,
        code=code,
        approved=approved,
        reason=reason[:500],
        created_at=created_at,
    )
    await conn.execute(_INSERT, params)

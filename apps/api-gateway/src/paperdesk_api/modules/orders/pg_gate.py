"""The order gate's reads and writes on PostgreSQL in three statements, from the event loop.

The ORM path (``service.OrderService.submit``) costs about ten round trips, their Python
and a thread hop per order; on PostgreSQL ``POST /orders`` locks the account and reads
the same inputs (user, limits, instrument, reservations, positions, an earlier order with
the same ``client_order_id``) with two statements, and writes the order and its
audit row with one ``INSERT``, over an asyncio psycopg connection
(``kit.pg_pool``). The risk decision is the same code on both paths.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asyncpg import Connection
from paperdesk_core.db.models import Account, Order, Position
from paperdesk_core.db.models import RiskLimits as RiskLimitsRow
from paperdesk_core.trading import Instrument

# The lock is its own statement: a later statement's snapshot then sees every order the
# previous holder of the lock committed (a subquery of the locking statement would not).
_LOCK = """
SELECT a.id FROM users u JOIN accounts a ON a.user_id = u.id
 WHERE u.id = $1 AND u.is_active
 ORDER BY a.created_at LIMIT 1
   FOR UPDATE OF a
"""

# One row per (user, account): NULL columns where the joined row does not exist.
_LOAD = """
SELECT a.id, a.cash, a.starting_cash,
       (SELECT o.id FROM orders o WHERE o.account_id = a.id AND o.client_order_id = $3),
       res.total, res.in_symbol,
       (SELECT json_agg(json_build_array(p.symbol, p.qty::text, p.avg_entry_price::text))
          FROM positions p WHERE p.account_id = a.id AND p.qty <> 0),
       r.account_id IS NOT NULL, r.max_order_notional, r.max_position_pct,
       r.max_daily_loss_pct, r.max_drawdown_pct, r.halted, r.halt_reason,
       i.symbol, i.tick_size, i.lot_size, i.calendar, i.asset_class, i.tradable
  FROM users u
  JOIN accounts a ON a.user_id = u.id
  LEFT JOIN LATERAL (
       SELECT coalesce(sum(o.reserved_cash), 0) AS total,
              coalesce(sum(o.reserved_cash) FILTER (WHERE o.symbol = $2), 0) AS in_symbol
         FROM orders o
        WHERE o.account_id = a.id AND o.status IN ('new', 'partially_filled')) res ON true
  LEFT JOIN risk_limits r ON r.account_id = a.id
  LEFT JOIN instruments i ON i.symbol = $2
 WHERE u.id = $1 AND u.is_active
 ORDER BY a.created_at
 LIMIT 1
"""

_ORDERS = """
SELECT * FROM orders WHERE account_id = $1 AND (id = $2 OR (
       $3::text IS NOT NULL AND symbol = $3 AND status IN ('new', 'partially_filled')))
 ORDER BY created_at, id
"""

_ORDER_COLUMNS = (
    "id", "account_id", "client_order_id", "symbol", "side", "type", "time_in_force", "qty",
    "limit_price", "stop_price", "status", "reserved_cash", "reject_reason", "source",
    "created_at",
)  # fmt: skip

_INSERT = """
WITH o AS (
  INSERT INTO orders (id, account_id, client_order_id, symbol, side, type, time_in_force,
                      qty, limit_price, stop_price, status, reserved_cash, reject_reason,
                      source, created_at, filled_qty, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $15)
  RETURNING id, account_id, created_at
)
INSERT INTO risk_decisions (id, account_id, order_id, approved, code, reason, created_at)
SELECT $16, o.account_id, o.id, $17, $18, $19, o.created_at FROM o
"""


@dataclass
class GateRows:
    """What the gate reads: transient (never added) ORM rows and the instrument's rules."""

    account: Account
    existing_order_id: uuid.UUID | None
    reserved_total: Decimal
    reserved_symbol: Decimal
    positions: list[Position]
    limits_row: RiskLimitsRow | None
    instrument: Instrument | None


async def load(
    conn: Connection, user_id: uuid.UUID, symbol: str, client_order_id: str | None
) -> GateRows | None:
    """Lock the user's account and read the gate's inputs; None: no active user/account."""
    if await conn.fetchval(_LOCK, user_id) is None:
        return None
    row = await conn.fetchrow(_LOAD, user_id, symbol, client_order_id)
    if row is None:
        return None
    (acc_id, cash, starting, existing, total, in_symbol, positions, has_limits, mon, mpp, mdl,
     mdd, halted, halt_reason, i_sym, tick, lot, calendar, asset_class, tradable) = row  # fmt: skip
    account = Account(id=acc_id, user_id=user_id, cash=cash, starting_cash=starting)
    held = [
        Position(account_id=acc_id, symbol=s, qty=Decimal(q), avg_entry_price=Decimal(p))
        for s, q, p in json.loads(positions or "[]")
    ]
    limits = None
    if has_limits:
        limits = RiskLimitsRow(
            account_id=acc_id,
            max_order_notional=mon,
            max_position_pct=mpp,
            max_daily_loss_pct=mdl,
            max_drawdown_pct=mdd,
            halted=halted,
            halt_reason=halt_reason,
        )
    instrument = None
    if i_sym is not None:
        instrument = Instrument(
            symbol=i_sym,
            tick_size=tick,
            lot_size=lot,
            calendar=calendar,
            asset_class=asset_class,
            tradable=tradable,
        )
    return GateRows(account, existing, total, in_symbol, held, limits, instrument)


async def orders(
    conn: Connection, account_id: uuid.UUID, *, order_id: uuid.UUID | None = None,
    open_in: str | None = None,
) -> list[Order]:  # fmt: skip
    """One order by id and/or the open orders of a symbol, as transient ORM objects."""
    rows = await conn.fetch(_ORDERS, account_id, order_id, open_in)
    return [Order(**dict(r)) for r in rows]


async def insert(
    conn: Connection, values: dict[str, Any], *, decision_id: uuid.UUID, code: str,
    approved: bool, reason: str,
) -> None:  # fmt: skip
    """Insert the order and its risk decision in one statement."""
    args = [values[c] for c in _ORDER_COLUMNS]
    await conn.execute(_INSERT, *args, decision_id, approved, code, reason[:500])

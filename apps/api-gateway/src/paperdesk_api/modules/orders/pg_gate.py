"""The order gate's reads and writes on PostgreSQL, from the event loop (asyncpg).

The ORM path (``service.OrderService.submit``) costs about ten round trips, their Python
and a thread hop per order. Here one statement reads the gate's inputs (user, limits,
instrument, the reserved cash a trigger keeps on the account row, positions, an earlier
order with the same ``client_order_id`` and the account's ``gate_version``) and one
writes the order with its audit row, each in its own implicit transaction: an accepted
order is written only if ``gate_version`` is still the one read, and bumps it
(optimistic concurrency; accepted orders, fills, resets and halts bump it, so anything
that could change the decision makes the write miss and the gate read again). A
rejected order reserves nothing and is written as is.
An account too contended for that takes the locking path: ``lock`` first, the same
statements in one transaction. The risk decision is the same code on every path.
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
SELECT a.id, a.cash, a.starting_cash, a.gate_version,
       (SELECT o.id FROM orders o WHERE o.account_id = a.id AND o.client_order_id = $3),
       a.reserved_open,
       (SELECT json_agg(json_build_array(p.symbol, p.qty::text, p.avg_entry_price::text))
          FROM positions p WHERE p.account_id = a.id AND p.qty <> 0),
       r.account_id IS NOT NULL, r.max_order_notional, r.max_position_pct,
       r.max_daily_loss_pct, r.max_drawdown_pct, r.halted, r.halt_reason,
       i.symbol, i.tick_size, i.lot_size, i.calendar, i.asset_class, i.tradable
  FROM users u
  JOIN accounts a ON a.user_id = u.id
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

# $17 approved: the order reserves, so it is written only while the account's
# gate_version is $20 (NULL under the account lock), and bumps it.
_INSERT = """
WITH a AS (
  UPDATE accounts SET gate_version = gate_version + 1
   WHERE $17 AND id = $2 AND ($20::bigint IS NULL OR gate_version = $20)
  RETURNING id
), o AS (
  INSERT INTO orders (id, account_id, client_order_id, symbol, side, type, time_in_force,
                      qty, limit_price, stop_price, status, reserved_cash, reject_reason,
                      source, created_at, filled_qty, updated_at)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $15
   WHERE NOT $17 OR EXISTS (SELECT FROM a)
  RETURNING id, account_id, created_at
)
INSERT INTO risk_decisions (id, account_id, order_id, approved, code, reason, created_at)
SELECT $16, o.account_id, o.id, $17, $18, $19, o.created_at FROM o
"""


@dataclass
class GateRows:
    """What the gate reads: transient (never added) ORM rows and the instrument's rules."""

    account: Account
    gate_version: int
    existing_order_id: uuid.UUID | None
    reserved_total: Decimal  # accounts.reserved_open (see migration 0010)
    positions: list[Position]
    limits_row: RiskLimitsRow | None
    instrument: Instrument | None


async def lock(conn: Connection, user_id: uuid.UUID) -> bool:
    """Lock the user's account until the transaction ends; False: no active user/account."""
    return await conn.fetchval(_LOCK, user_id) is not None


async def load(
    conn: Connection, user_id: uuid.UUID, symbol: str, client_order_id: str | None
) -> GateRows | None:
    """Read the gate's inputs; None: no active user or no account."""
    row = await conn.fetchrow(_LOAD, user_id, symbol, client_order_id)
    if row is None:
        return None
    (acc_id, cash, starting, version, existing, reserved, positions, has_limits, mon, mpp,
     mdl, mdd, halted, halt_reason, i_sym, tick, lot, calendar, asset_class,
     tradable) = row  # fmt: skip
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
    return GateRows(account, version, existing, reserved, held, limits, instrument)


async def orders(
    conn: Connection, account_id: uuid.UUID, *, order_id: uuid.UUID | None = None,
    open_in: str | None = None,
) -> list[Order]:  # fmt: skip
    """One order by id and/or the open orders of a symbol, as transient ORM objects."""
    rows = await conn.fetch(_ORDERS, account_id, order_id, open_in)
    return [Order(**dict(r)) for r in rows]


async def insert(
    conn: Connection, values: dict[str, Any], *, decision_id: uuid.UUID, code: str,
    approved: bool, reason: str, gate_version: int | None,
) -> bool:  # fmt: skip
    """Insert the order and its risk decision in one statement; False: the version moved.

    ``gate_version`` None: the caller holds the account's lock.
    """
    args = [values[c] for c in _ORDER_COLUMNS]
    status = await conn.execute(
        _INSERT, *args, decision_id, approved, code, reason[:500], gate_version
    )
    return bool(status.endswith(" 1"))

"""The materialised ``trades`` table: kept up to date fill by fill, rebuilt from the fill log.

- ``record_fill`` runs inside the fill engine's transaction, after the fill row is
  flushed: it continues the symbol's open trip from its saved state (one indexed read,
  one or two row writes). When the saved trip does not agree with the position before
  the fill (trades never built for an account, a lost update), it rebuilds that
  account+symbol from the fill log instead, so the table heals itself.
- ``rebuild_account`` replays an account's fills (ordered by ``ts``, then id) and
  replaces its ``source="fills"`` trades; imported trades and the journal tables, keyed
  by the deterministic trade ids, are left alone. MAE/MFE already measured for a trade
  that did not change are kept.
- ``measure_excursions`` fills in MAE/MFE from 1-minute bars (``marketdata.bars``);
  closed trades are measured once their bars have had time to land.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from paperdesk_core.clock import utc_now
from paperdesk_core.db.models import Account, Trade, TradeJournal, TradeTag
from paperdesk_core.db.models import Fill as FillRow
from paperdesk_core.journal.excursions import excursions
from paperdesk_core.journal.trades import (
    JournalFill,
    Trip,
    apply_fill,
    build_trips,
    bulk_build,
    figures,
)

log = logging.getLogger(__name__)

QTY_STEP = Decimal("1e-10")
FILL_ORDER = (FillRow.ts, FillRow.id)  # the journal's order of fills, here and fill by fill
SETTLE = timedelta(minutes=5)  # closed trades younger than this are measured again later


def aware(ts: datetime) -> datetime:
    """Make a datetime aware (SQLite hands back naive UTC values)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def trade_values(trip: Trip, now: datetime | None = None) -> dict[str, Any]:
    """The ``trades`` row of a trip (columns derived from its exact state)."""
    f = figures(trip)
    return {
        "id": f.id,
        "account_id": trip.account_id,
        "symbol": f.symbol,
        "side": f.side,
        "status": f.status,
        "source": "fills",
        "qty": f.qty,
        "open_qty": f.open_qty,
        "entry_time": f.entry_time,
        "entry_price": f.entry_price,
        "exit_time": f.exit_time,
        "exit_price": f.exit_price,
        "gross_pnl": f.gross_pnl,
        "fees": f.fees,
        "realized_pnl": f.realized_pnl,
        "pnl": f.pnl,
        "pnl_pct": f.pnl_pct,
        "holding_seconds": f.holding_seconds,
        "fill_count": f.fill_count,
        "opening_fill_id": f.opening_fill_id,
        "state": trip.to_state(),
        "mae": None,
        "mfe": None,
        "excursions_at": None,
        "updated_at": now or utc_now(),
    }


def _save(session: Session, trip: Trip, row: Trade | None) -> None:
    values = trade_values(trip)
    if row is None:
        row = session.get(Trade, values["id"])
    if row is None:
        session.add(Trade(**values))
        return
    for key, value in values.items():
        if key not in ("id", "mae", "mfe", "excursions_at"):
            setattr(row, key, value)
    if not trip.is_open:
        row.excursions_at = None  # measure the finished trip


def _q(value: Decimal) -> Decimal:
    return value.quantize(QTY_STEP)


def record_fill(
    session: Session, account_id: uuid.UUID, fill: JournalFill, position_before: Decimal
) -> None:
    """Update the account+symbol's trades with one new fill (in the caller's transaction).

    ``position_before`` is the signed position before the fill; the fill row must already
    be flushed (a disagreement triggers a rebuild of the symbol from the fill log).
    """
    row = session.scalars(
        select(Trade).where(
            Trade.account_id == account_id,
            Trade.symbol == fill.symbol,
            Trade.status == "open",
            Trade.source == "fills",
        )
    ).first()
    trip = None
    if row is not None and row.state is not None:
        trip = Trip.from_state(account_id, fill.symbol, row.state)
    expected = trip.open_qty * trip.direction if trip is not None else Decimal(0)
    if (row is not None and trip is None) or _q(expected) != _q(position_before):
        log.info("trades of %s/%s out of step: rebuilding", account_id, fill.symbol)
        rebuild_symbol(session, account_id, fill.symbol)
        return
    closed, current = apply_fill(account_id, trip, fill)
    if closed is not None:
        _save(session, closed, row if closed is trip else None)
    if current is not None:
        _save(session, current, row if current is trip else None)
    session.flush()


def _epoch(account_id: uuid.UUID) -> Any:
    # Fills from before the account's last reset are not part of its journal.
    return select(Account.journal_epoch).where(Account.id == account_id).scalar_subquery()


def reset_journal(session: Session, account: Account) -> None:
    """Start a fresh journal for ``account`` (an account reset), in the caller's transaction.

    Later fills carry the new epoch, rebuilds read only those; the trades built from
    fills, with their notes and tags, are deleted (imported trades stay).
    """
    account.journal_epoch += 1
    built = select(Trade.id).where(Trade.account_id == account.id, Trade.source == "fills")
    for table in (TradeJournal, TradeTag):
        session.execute(
            delete(table)
            .where(table.account_id == account.id, table.trade_id.in_(built))
            .execution_options(synchronize_session=False)
        )
    session.execute(
        delete(Trade)
        .where(Trade.account_id == account.id, Trade.source == "fills")
        .execution_options(synchronize_session=False)
    )
    session.flush()


def _stored_fills(
    session: Session, account_id: uuid.UUID, symbol: str | None = None
) -> list[JournalFill]:
    # Plain column tuples, not ORM objects: a rebuild reads the whole fill log.
    stmt = select(
        FillRow.id,
        FillRow.symbol,
        FillRow.side,
        FillRow.last_qty,
        FillRow.last_px,
        FillRow.commission,
        FillRow.ts,
    ).where(FillRow.account_id == account_id, FillRow.journal_epoch == _epoch(account_id))
    if symbol is not None:
        stmt = stmt.where(FillRow.symbol == symbol)
    rows = session.execute(stmt.order_by(*FILL_ORDER)).tuples()
    make = JournalFill._make
    if session.get_bind().dialect.name == "postgresql":  # timestamptz: already aware
        return [make(row) for row in rows]
    return [JournalFill(i, sym, side, q, p, c, aware(ts)) for i, sym, side, q, p, c, ts in rows]


TRADE_COLUMNS = tuple(c.name for c in Trade.__table__.columns)


def _copy_rows(session: Session, rows: list[dict[str, Any]]) -> bool:
    """Bulk-load ``rows`` with PostgreSQL's COPY (False when not on psycopg)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    raw: Any = conn.connection.driver_connection
    columns = ", ".join(f'"{c}"' for c in TRADE_COLUMNS)
    dumps = json.dumps
    with raw.cursor() as cur, cur.copy(f"COPY trades ({columns}) FROM STDIN") as copy:
        for row in rows:
            state = row["state"]
            row["state"] = None if state is None else dumps(state)
            copy.write_row([row[c] for c in TRADE_COLUMNS])
    return True


def _replace(
    session: Session, account_id: uuid.UUID, trips: Sequence[Trip], symbol: str | None
) -> int:
    scope = [Trade.account_id == account_id, Trade.source == "fills"]
    if symbol is not None:
        scope.append(Trade.symbol == symbol)
    # Keep MAE/MFE of closed trades that come back unchanged (same id, same fills).
    kept = {
        r.id: r
        for r in session.execute(
            select(Trade.id, Trade.fill_count, Trade.mae, Trade.mfe, Trade.excursions_at).where(
                *scope, Trade.status == "closed", Trade.excursions_at.is_not(None)
            )
        )
    }
    session.execute(delete(Trade).where(*scope).execution_options(synchronize_session=False))
    rows = []
    now = utc_now()
    for trip in trips:
        values = trade_values(trip, now)
        if kept:
            old = kept.get(values["id"])
            if old is not None and old.fill_count == values["fill_count"] and not trip.is_open:
                values.update(mae=old.mae, mfe=old.mfe, excursions_at=old.excursions_at)
        rows.append(values)
    if rows and not _copy_rows(session, rows):
        session.execute(insert(Trade), rows)
    session.expire_all()
    return len(rows)


def rebuild_symbol(session: Session, account_id: uuid.UUID, symbol: str) -> int:
    """Rebuild one account+symbol's trades from its fills; return how many there are."""
    with bulk_build():
        trips = build_trips(account_id, _stored_fills(session, account_id, symbol))
        return _replace(session, account_id, trips, symbol)


def rebuild_account(session: Session, account_id: uuid.UUID) -> int:
    """Rebuild all of an account's trades from its fill log; return how many there are."""
    with bulk_build():
        trips = build_trips(account_id, _stored_fills(session, account_id))
        return _replace(session, account_id, trips, None)


def _bars(symbol: str, start: datetime, end: datetime) -> Any:
    from paperdesk_core.marketdata.bars import load_bars_frame

    try:
        return load_bars_frame(symbol, "1m", start=start, end=end)
    except (KeyError, ValueError, OSError) as exc:  # unknown symbol, unreadable data
        log.debug("no bars for %s: %s", symbol, exc)
        return None


def measure_excursions(
    session: Session, trades: Iterable[Trade], *, now: datetime | None = None
) -> None:
    """Fill in MAE/MFE of trades not measured yet (open trades: every time)."""
    now = now or utc_now()
    todo = [
        t
        for t in trades
        if t.source == "fills"
        and t.state is not None
        and (t.status == "open" or t.excursions_at is None)
    ]
    by_symbol: dict[str, list[Trade]] = {}
    for t in todo:
        by_symbol.setdefault(t.symbol, []).append(t)
    for symbol, group in by_symbol.items():
        start = min(aware(t.entry_time) for t in group).replace(second=0, microsecond=0)
        end = max(aware(t.exit_time) if t.exit_time else now for t in group)
        bars = _bars(symbol, start, end + timedelta(minutes=1))
        for t in group:
            direction, path = Trip.path_from_state(t.state or {})
            found = None
            if bars is not None:
                found = excursions(direction, path, bars, until=now)
            t.mae, t.mfe = found if found is not None else (None, None)
            settled = t.exit_time is not None and aware(t.exit_time) + SETTLE < now
            t.excursions_at = now if settled else None

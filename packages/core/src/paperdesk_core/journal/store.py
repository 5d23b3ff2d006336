"""The materialised ``trades`` table: kept up to date fill by fill, rebuilt from the fill log.

- ``record_fill`` runs inside the fill engine's transaction, after the fill row is
  flushed: it continues the symbol's open trip from its saved state (one indexed read,
  one or two row writes). When the saved trip does not agree with the position before
  the fill (trades never built for an account, a lost update), or the fill does not sort
  after the symbol's last applied fill (same timestamp, lower id; a late fill), it
  rebuilds that account+symbol from the fill log instead, so the table heals itself and
  fill by fill always equals a rebuild.
- ``rebuild_account`` replays an account's fills (ordered by ``ts``, then id) and
  replaces its ``source="fills"`` trades; imported trades and the journal tables, keyed
  by the deterministic trade ids, are left alone. MAE/MFE already measured for a trade
  that did not change are kept. On PostgreSQL the fills are read with a raw cursor and
  the trades handed, as they close, to a sender thread that ``COPY``s them chunk by
  chunk, so the server parses, indexes and checks one chunk while the builder makes the
  next.
- ``measure_excursions`` fills in MAE/MFE from 1-minute bars (``marketdata.bars``);
  closed trades are measured once their bars have had time to land.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from queue import SimpleQueue
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from paperdesk_core.clock import as_utc, utc_now
from paperdesk_core.db.models import Account, Trade, TradeJournal, TradeTag
from paperdesk_core.db.models import Fill as FillRow
from paperdesk_core.journal.excursions import excursions
from paperdesk_core.journal.trades import (
    HUNDRED,
    JournalFill,
    Trip,
    apply_fill,
    build_trips,
    bulk_build,
    figures,
    trade_id_text,
)

log = logging.getLogger(__name__)

QTY_STEP = Decimal("1e-10")
FILL_ORDER = (FillRow.ts, FillRow.id)  # the journal's order of fills, here and fill by fill
SETTLE = timedelta(minutes=5)  # closed trades younger than this are measured again later


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
    be flushed (a disagreement triggers a rebuild of the symbol from the fill log). A fill
    that does not sort after the symbol's last applied fill in the journal's order
    (``ts``, then id: same-timestamp fills arriving out of id order, a late fill) makes
    the symbol rebuild too, so fill by fill always equals a rebuild.
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
    if (
        (row is not None and trip is None)
        or _q(expected) != _q(position_before)
        or not _in_order(session, account_id, trip, fill)
    ):
        log.info("trades of %s/%s out of step: rebuilding", account_id, fill.symbol)
        rebuild_symbol(session, account_id, fill.symbol)
        return
    closed, current = apply_fill(account_id, trip, fill)
    if closed is not None:
        _save(session, closed, row if closed is trip else None)
    if current is not None:
        _save(session, current, row if current is trip else None)
    session.flush()


def _in_order(
    session: Session, account_id: uuid.UUID, trip: Trip | None, fill: JournalFill
) -> bool:
    """Whether ``fill`` sorts after every fill of its symbol already applied."""
    ts = as_utc(fill.ts)
    if trip is not None:
        last = trip.last_key
        if last is not None:  # the open trip holds the symbol's last fill
            return (ts, fill.fill_id) > (as_utc(last[0]), last[1])
    # Flat (or a state from before last_fill_id): ask the fill log for a later fill.
    later = session.scalar(
        select(FillRow.id)
        .where(
            FillRow.account_id == account_id,
            FillRow.symbol == fill.symbol,
            FillRow.journal_epoch == _epoch(account_id),
            FillRow.ts >= ts,
            or_(FillRow.ts > ts, FillRow.id > fill.fill_id),
        )
        .limit(1)
    )
    return later is None


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
    raw = _psycopg(session)
    if raw is not None:  # a plain DBAPI cursor: tuples straight from the driver
        sql = _FILLS_SQL + (" AND symbol = %s" if symbol is not None else "") + _FILLS_ORDER
        params: tuple[Any, ...] = (account_id, account_id)
        if symbol is not None:
            params += (symbol,)
        with raw.cursor() as cur:
            # Read in UTC: psycopg hands timestamptz over in the session's zone, and a
            # ZoneInfo zone (even Etc/UTC) makes loading the log and each ``timestamp()``
            # the builder takes several times slower than ``timezone.utc``. The
            # caller's transaction gets its zone back afterwards.
            zone = cur.execute("SELECT current_setting('TimeZone')").fetchone()
            utc = zone is None or zone[0] == "UTC"
            if not utc:
                cur.execute("SELECT set_config('TimeZone', 'UTC', true)")
            cur.execute(sql, params)
            rows = cur.fetchall()
            if not utc:
                cur.execute("SELECT set_config('TimeZone', %s, true)", (zone[0],))
        make = JournalFill._make  # timestamptz: already aware
        return [make(row) for row in rows]
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
    return [JournalFill(i, sym, side, q, p, c, as_utc(ts)) for i, sym, side, q, p, c, ts in rows]


# The same query as the ORM one above, for a raw psycopg cursor (a rebuild reads the
# whole fill log: SQLAlchemy's row processing would cost more than the query).
_FILLS_SQL = (
    "SELECT id, symbol, side, last_qty, last_px, commission, ts FROM fills"
    " WHERE account_id = %s"
    " AND journal_epoch = (SELECT journal_epoch FROM accounts WHERE id = %s)"
)
_FILLS_ORDER = " ORDER BY ts, id"


def _psycopg(session: Session) -> Any:
    """The session's raw psycopg connection (None on other drivers), pending rows flushed."""
    conn = session.connection()
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    session.flush()
    return conn.connection.driver_connection


TRADE_COLUMNS = tuple(c.name for c in Trade.__table__.columns)
# The column order ``_copy_line`` writes (checked against the model at import).
_COPY_COLUMNS = (
    "id", "account_id", "symbol", "side", "status", "source", "qty", "open_qty",
    "entry_time", "entry_price", "exit_time", "exit_price", "gross_pnl", "fees",
    "realized_pnl", "pnl", "pnl_pct", "holding_seconds", "fill_count", "opening_fill_id",
    "state", "mae", "mfe", "excursions_at", "updated_at",
)  # fmt: skip
if set(_COPY_COLUMNS) != set(TRADE_COLUMNS):  # pragma: no cover - a model change
    raise RuntimeError("trades columns changed: update journal.store._copy_line")
_COPY_COLUMN_LIST = ", ".join(f'"{c}"' for c in _COPY_COLUMNS)
_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _copy_line(trip: Trip, account: str, now: str, kept: tuple[Any, Any, Any] | None = None) -> str:
    """A trip's ``trades`` row in COPY text format (``_COPY_COLUMNS`` order).

    The same values as ``trade_values`` (a test holds them equal), written straight to
    text: numbers as ``str(Decimal)``, times in ISO format.
    """
    closed = not trip.open_qty
    realized = trip.realized_gross - trip.fees
    entry_notional = trip.entry_notional
    pct = _NULL if entry_notional == 0 else str(realized / entry_notional * HUNDRED)
    exit_price = _NULL if not trip.exit_qty else str(trip.exit_notional / trip.exit_qty)
    exit_time = trip.exit_time
    if closed and exit_time is not None:
        exit_text = exit_time.isoformat()
        holding = str(int((exit_time - trip.entry_time).total_seconds()))
    else:
        exit_text = holding = _NULL
    mae = mfe = at = _NULL
    if kept is not None:
        old_mae, old_mfe, old_at = kept
        mae = _NULL if old_mae is None else str(old_mae)
        mfe = _NULL if old_mfe is None else str(old_mfe)
        at = _NULL if old_at is None else old_at.isoformat()
    state = trip.state_json()
    if "\\" in state:
        state = _copy_text(state)
    symbol = trip.symbol
    if not symbol.isalnum():
        symbol = _copy_text(symbol)
    fill_id = str(trip.opening_fill_id)
    net = str(realized)
    # !s on decimals: an f-string would call Decimal.__format__, three times slower.
    return (
        f"{trade_id_text(trip.account_id, fill_id)}\t{account}\t{symbol}\t"
        f"{'long' if trip.direction > 0 else 'short'}\t{'closed' if closed else 'open'}\t"
        f"fills\t{trip.max_qty!s}\t{trip.open_qty!s}\t{trip.entry_time.isoformat()}\t"
        f"{entry_notional / trip.entry_qty!s}\t{exit_text}\t{exit_price}\t"
        f"{trip.realized_gross!s}\t{trip.fees!s}\t{net}\t{net}\t{pct}\t{holding}\t"
        f"{trip.fill_count}\t{fill_id}\t{state}\t{mae}\t{mfe}\t{at}\t{now}\n"
    )


# The interpreter's thread switch interval while a sender thread runs (see _CopyWriter),
# shared by concurrent rebuilds: the first one in lowers it, the last one out restores it.
SENDER_SWITCH_INTERVAL = 0.0005
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


def _prompt_threads() -> None:
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, SENDER_SWITCH_INTERVAL))
        _switch_users += 1


def _restore_threads() -> None:
    global _switch_users
    with _switch_lock:
        _switch_users -= 1
        if _switch_users == 0:
            sys.setswitchinterval(_switch_saved)


class _CopyWriter:
    """Stream trips to ``COPY trades`` from a sender thread (PostgreSQL via psycopg).

    Every ``CHUNK`` trips go to the server as one ``COPY`` statement, sent by a thread
    that owns the raw connection until ``close``: the server parses, indexes and (at the
    statement's end) checks the foreign key of one chunk while the builder makes the
    next, and the builder never blocks on the socket. The caller must not use the
    connection before ``close`` returns.

    The sender wakes a few times per chunk (next chunk, socket writable, statement done)
    and each time needs the GIL from the builder, which holds it for the interpreter's
    switch interval (5 ms by default): the server would sit idle for most of those
    waits. While a writer runs the interval is 0.5 ms (``SENDER_SWITCH_INTERVAL``).
    """

    CHUNK = 2000

    def __init__(self, raw: Any, account_id: uuid.UUID, kept: dict[uuid.UUID, Any]) -> None:
        self.raw = raw
        self.account = str(account_id)
        self.now = utc_now().isoformat()
        self.kept = kept
        self.lines: list[str] = []
        self.count = 0
        self.chunks: SimpleQueue[str | None] = SimpleQueue()
        self.error: BaseException | None = None
        self.sender = threading.Thread(target=self._send, name="journal-copy", daemon=True)
        _prompt_threads()
        self.prompted = True
        try:
            self.sender.start()
        except BaseException:
            self.abort()
            raise

    def __call__(self, trip: Trip) -> None:
        old = _kept(self.kept, trip) if self.kept else None
        self.lines.append(_copy_line(trip, self.account, self.now, old))
        if len(self.lines) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.error is not None:  # the transaction is lost: stop building
            raise self.error
        if self.lines:
            self.chunks.put("".join(self.lines))
            self.count += len(self.lines)
            self.lines = []

    def close(self) -> None:
        """Send what is left, wait for the server; raise the sender's error if any."""
        try:
            self.flush()
        finally:
            self.abort()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        """Stop the sender after the chunks already handed over (idempotent)."""
        if self.sender.is_alive():
            self.chunks.put(None)
            self.sender.join()
        if self.prompted:
            self.prompted = False
            _restore_threads()

    def _send(self) -> None:
        sql = f"COPY trades ({_COPY_COLUMN_LIST}) FROM STDIN"
        try:
            with self.raw.cursor() as cur:
                while (chunk := self.chunks.get()) is not None:
                    with cur.copy(sql) as copy:
                        copy.write(chunk)
        except BaseException as exc:  # handed to the building thread
            self.error = exc
            while self.chunks.get() is not None:  # let close() and abort() finish
                pass


def _kept(kept: dict[uuid.UUID, Any], trip: Trip) -> tuple[Any, Any, Any] | None:
    # MAE/MFE of a closed trade that comes back unchanged (same id, same fill count).
    if trip.open_qty:
        return None
    old = kept.get(trip.id)
    if old is None or old.fill_count != trip.fill_count:
        return None
    return old.mae, old.mfe, old.excursions_at


def _rebuild(session: Session, account_id: uuid.UUID, symbol: str | None) -> int:
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
    raw = _psycopg(session)
    with bulk_build():
        fills = _stored_fills(session, account_id, symbol)
        if raw is not None:
            writer = _CopyWriter(raw, account_id, kept)
            try:
                for trip in build_trips(account_id, fills, on_close=writer):
                    writer(trip)
                writer.close()
            finally:
                writer.abort()  # on an error too: nothing may use the connection before
            count = writer.count
        else:
            now = utc_now()
            rows = []
            for trip in build_trips(account_id, fills):
                values = trade_values(trip, now)
                old = _kept(kept, trip) if kept else None
                if old is not None:
                    values.update(mae=old[0], mfe=old[1], excursions_at=old[2])
                rows.append(values)
            if rows:
                session.execute(insert(Trade), rows)
            count = len(rows)
    session.expire_all()
    return count


def rebuild_symbol(session: Session, account_id: uuid.UUID, symbol: str) -> int:
    """Rebuild one account+symbol's trades from its fills; return how many there are."""
    return _rebuild(session, account_id, symbol)


def rebuild_account(session: Session, account_id: uuid.UUID) -> int:
    """Rebuild all of an account's trades from its fill log; return how many there are."""
    return _rebuild(session, account_id, None)


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
        start = min(as_utc(t.entry_time) for t in group).replace(second=0, microsecond=0)
        end = max(as_utc(t.exit_time) if t.exit_time else now for t in group)
        bars = _bars(symbol, start, end + timedelta(minutes=1))
        for t in group:
            direction, path = Trip.path_from_state(t.state or {})
            found = None
            if bars is not None:
                found = excursions(direction, path, bars, until=now)
            t.mae, t.mfe = found if found is not None else (None, None)
            settled = t.exit_time is not None and as_utc(t.exit_time) + SETTLE < now
            t.excursions_at = now if settled else None

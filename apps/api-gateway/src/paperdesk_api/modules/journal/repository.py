"""Trade, journal and tag queries, always scoped to one account."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from paperdesk_core.clock import as_utc
from paperdesk_core.db.models import Trade, TradeJournal, TradeTag
from paperdesk_core.journal.analytics import (
    HOLDING_BUCKETS,
    LOSS,
    NOT_LOSS,
    accumulate,
    longest_loss_run,
)
from sqlalchemy import (
    ColumnElement,
    Date,
    Label,
    SQLColumnExpression,
    case,
    cast,
    delete,
    extract,
    func,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import Select

from paperdesk_api.kit.repository import RepositoryBase

SORTS: dict[str, tuple[Any, ...]] = {
    "entry_time": (Trade.entry_time, Trade.id),
    "-entry_time": (Trade.entry_time.desc(), Trade.id),
    "pnl": (Trade.pnl, Trade.id),
    "-pnl": (Trade.pnl.desc(), Trade.id),
    "symbol": (Trade.symbol, Trade.entry_time, Trade.id),
}


ZERO = Decimal(0)


def _sql_str(value: str) -> ColumnElement[str]:
    """A constant string inlined in the SQL (the same text wherever the key appears)."""
    return literal_column("'" + value.replace("'", "''") + "'")


class GroupSums(NamedTuple):
    """What the database sums for one group of closed trades."""

    key: Any
    trades: int
    wins: int
    losses: int
    pnl: Decimal
    gross_win: Decimal
    gross_loss: Decimal
    largest: Decimal | None  # None only without trades
    smallest: Decimal | None
    fees: Decimal
    max_consecutive_losses: int


@dataclass(frozen=True)
class TradeFilter:
    """Filters shared by the trade list, the analytics and the export.

    ``start``/``end`` bound a trade's date: its exit time when closed, else its entry time.
    """

    symbol: str | None = None
    tag: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    outcome: str | None = None


class TradeRepository(RepositoryBase[Trade]):
    model = Trade

    def get(self, account_id: uuid.UUID, trade_id: uuid.UUID) -> Trade | None:
        stmt = select(Trade).where(Trade.id == trade_id, Trade.account_id == account_id)
        return self.session.scalar(stmt)

    def exists(self, trade_id: uuid.UUID) -> bool:
        return self.session.scalar(select(Trade.id).where(Trade.id == trade_id)) is not None

    def owned_ids(self, account_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.session.scalars(select(Trade.id).where(Trade.account_id == account_id)))

    def owned(self, account_id: uuid.UUID, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        stmt = select(Trade.id).where(Trade.account_id == account_id, Trade.id.in_(list(ids)))
        return set(self.session.scalars(stmt))

    def _where(
        self, account_id: uuid.UUID, f: TradeFilter, *, closed_only: bool = False
    ) -> list[ColumnElement[bool]]:
        cond: list[ColumnElement[bool]] = [Trade.account_id == account_id]
        if closed_only or f.outcome in ("win", "loss"):
            cond.append(Trade.status == "closed")
        if f.outcome == "win":
            cond.append(Trade.pnl > 0)
        elif f.outcome == "loss":
            cond.append(Trade.pnl < 0)
        elif f.outcome == "open":
            cond.append(Trade.status == "open")
        if f.symbol:
            cond.append(Trade.symbol == f.symbol)
        if f.tag:
            tagged = select(TradeTag.trade_id).where(
                TradeTag.account_id == account_id, TradeTag.tag == f.tag
            )
            cond.append(Trade.id.in_(tagged))
        # Closed trades count on their exit (ix_trades_account_status_exit serves analytics).
        when = Trade.exit_time if closed_only else func.coalesce(Trade.exit_time, Trade.entry_time)
        if f.start is not None:
            cond.append(when >= f.start)
        if f.end is not None:
            cond.append(when < f.end)
        return cond

    def list(
        self,
        account_id: uuid.UUID,
        f: TradeFilter,
        *,
        sort: str = "-entry_time",
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Trade]:
        stmt = select(Trade).where(*self._where(account_id, f)).order_by(*SORTS[sort])
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt.offset(offset)).all()

    def _group_key(self, group_by: str | None, pg: bool) -> SQLColumnExpression[Any]:
        """The SQL key of a grouping: weekday 0 (Mon) .. 6 and hour 0 .. 23 of the UTC entry."""
        if group_by is None:
            return literal_column("'all'")
        if group_by == "tag":
            return TradeTag.tag
        if group_by in ("symbol", "side"):
            return Trade.symbol if group_by == "symbol" else Trade.side
        if group_by == "holding":
            held = func.coalesce(Trade.holding_seconds, literal_column("0"))
            *bounded, (last, _inf) = HOLDING_BUCKETS
            return case(
                *(
                    (held < literal_column(str(int(upper))), _sql_str(name))
                    for name, upper in bounded
                ),
                else_=_sql_str(last),
            )
        entry = func.timezone(literal_column("'UTC'"), Trade.entry_time) if pg else Trade.entry_time
        if group_by == "hour":
            return extract("hour", entry)
        if pg:
            return extract("isodow", entry) - literal_column("1")
        return (extract("dow", entry) + literal_column("6")) % literal_column("7")

    def group_sums(
        self, account_id: uuid.UUID, f: TradeFilter, group_by: str | None
    ) -> Sequence[GroupSums]:
        """Sums of the filtered closed trades per ``group_by`` key (None: one ``all`` group).

        On PostgreSQL one aggregate query (exact ``numeric`` sums); it also strings each
        group's outcomes together in exit-time order for the runs of losses. Elsewhere
        (SQLite sums in floating point) a lean query reads ``(key, pnl, fees)`` in exit-time
        order and the sums are made here, in Decimal.
        """
        pg = self.session.get_bind().dialect.name == "postgresql"
        key: Label[Any] = self._group_key(group_by, pg).label("k")
        pnl, fees = Trade.pnl, Trade.fees
        if not pg:
            stmt = self._closed_select(account_id, f, group_by, key, pnl, fees)
            rows = self.session.execute(stmt.order_by(Trade.exit_time, Trade.id)).tuples().all()
            fee_sums: dict[Any, Decimal] = {}
            for k, _pnl, fee in rows:
                fee_sums[k] = fee_sums.get(k, ZERO) + fee
            accs = accumulate((k, p) for k, p, _fee in rows)
            return [
                GroupSums(k, a.trades, a.wins, a.losses, a.pnl, a.gross_win, a.gross_loss,
                          a.largest_win, a.largest_loss, fee_sums[k], a.max_run)
                for k, a in accs.items()
            ]  # fmt: skip
        money = pnl.type
        win, loss = pnl > 0, pnl < 0
        outcome = case((loss, _sql_str(LOSS)), else_=_sql_str(NOT_LOSS))
        stmt = self._closed_select(
            account_id,
            f,
            group_by,
            key,
            func.count(),
            func.count(case((win, 1))),
            func.count(case((loss, 1))),
            type_coerce(func.sum(pnl), money),
            type_coerce(func.sum(case((win, pnl))), money),
            type_coerce(func.sum(case((loss, pnl))), money),
            type_coerce(func.max(pnl), money),
            type_coerce(func.min(pnl), money),
            type_coerce(func.sum(fees), money),
            func.string_agg(
                outcome, aggregate_order_by(literal_column("''"), Trade.exit_time, Trade.id)
            ),
        )
        if group_by is not None:  # else one row, counting 0 trades when there are none
            stmt = stmt.group_by(key)
        return [
            GroupSums(k, n, wins, losses, total, gw or ZERO, gl or ZERO, hi, lo, fee,
                      longest_loss_run(outcomes))
            for k, n, wins, losses, total, gw, gl, hi, lo, fee, outcomes in
            self.session.execute(stmt).tuples()
            if n
        ]  # fmt: skip

    def _closed_select(
        self, account_id: uuid.UUID, f: TradeFilter, group_by: str | None, *columns: Any
    ) -> Select[Any]:
        stmt = select(*columns).select_from(Trade)
        if group_by == "tag":  # one row per tag of a trade
            stmt = stmt.join(TradeTag, TradeTag.trade_id == Trade.id).where(
                TradeTag.account_id == account_id
            )
        return stmt.where(*self._where(account_id, f, closed_only=True))

    def daily_sums(
        self, account_id: uuid.UUID, f: TradeFilter
    ) -> Sequence[tuple[date, Decimal, int]]:
        """``(UTC exit date, net pnl, trades)`` of the filtered closed trades, by date."""
        if self.session.get_bind().dialect.name != "postgresql":  # exact sums here
            stmt = self._closed_select(account_id, f, None, Trade.exit_time, Trade.pnl)
            sums: dict[date, Decimal] = {}
            counts: dict[date, int] = {}
            for ts, pnl in self.session.execute(stmt).tuples():
                d = as_utc(ts).date()
                sums[d] = sums.get(d, ZERO) + pnl
                counts[d] = counts.get(d, 0) + 1
            return [(d, sums[d], counts[d]) for d in sorted(sums)]
        day = cast(func.timezone(literal_column("'UTC'"), Trade.exit_time), Date).label("d")
        total = type_coerce(func.sum(Trade.pnl), Trade.pnl.type)
        stmt = self._closed_select(account_id, f, None, day, total, func.count())
        return list(self.session.execute(stmt.group_by(day).order_by(day)).tuples())

    def open(self, account_id: uuid.UUID, f: TradeFilter) -> Sequence[Trade]:
        stmt = select(Trade).where(
            *self._where(account_id, TradeFilter(symbol=f.symbol, tag=f.tag, outcome="open"))
        )
        return self.session.scalars(stmt).all()


class JournalRepository(RepositoryBase[TradeJournal]):
    model = TradeJournal

    def for_trades(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, TradeJournal]:
        if not ids:
            return {}
        rows = self.session.scalars(select(TradeJournal).where(TradeJournal.trade_id.in_(ids)))
        return {r.trade_id: r for r in rows}

    def get_or_create(self, account_id: uuid.UUID, trade_id: uuid.UUID) -> TradeJournal:
        row = self.session.get(TradeJournal, trade_id)
        if row is None:
            row = TradeJournal(trade_id=trade_id, account_id=account_id, notes="")
            self.session.add(row)
        return row


class TagRepository(RepositoryBase[TradeTag]):
    model = TradeTag

    def for_trades(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        out: dict[uuid.UUID, list[str]] = {}
        if not ids:
            return out
        stmt = (
            select(TradeTag.trade_id, TradeTag.tag)
            .where(TradeTag.trade_id.in_(ids))
            .order_by(TradeTag.tag)
        )
        for trade_id, tag in self.session.execute(stmt):
            out.setdefault(trade_id, []).append(tag)
        return out

    def remove(self, trade_id: uuid.UUID, tags: Collection[str]) -> None:
        if tags:
            self.session.execute(
                delete(TradeTag).where(TradeTag.trade_id == trade_id, TradeTag.tag.in_(tags))
            )

    def counts(
        self, account_id: uuid.UUID, prefix: str | None, limit: int
    ) -> list[tuple[Any, ...]]:
        n = func.count().label("count")
        stmt = select(TradeTag.tag, n).where(TradeTag.account_id == account_id)
        if prefix:
            stmt = stmt.where(func.lower(TradeTag.tag).startswith(prefix.lower(), autoescape=True))
        stmt = stmt.group_by(TradeTag.tag).order_by(n.desc(), TradeTag.tag).limit(limit)
        return list(self.session.execute(stmt).tuples().all())

    def count(self, account_id: uuid.UUID, tag: str) -> int:
        stmt = select(func.count()).where(TradeTag.account_id == account_id, TradeTag.tag == tag)
        return int(self.session.scalar(stmt) or 0)

    def rename(self, account_id: uuid.UUID, old: str, new: str) -> None:
        """Rename a tag; trades that already carry ``new`` just lose ``old`` (a merge)."""
        both = (
            select(TradeTag.trade_id)
            .where(TradeTag.account_id == account_id, TradeTag.tag == new)
            .scalar_subquery()
        )
        mine = (TradeTag.account_id == account_id, TradeTag.tag == old)
        self.session.execute(
            delete(TradeTag)
            .where(*mine, TradeTag.trade_id.in_(both))
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(TradeTag)
            .where(*mine)
            .values(tag=new)
            .execution_options(synchronize_session=False)
        )

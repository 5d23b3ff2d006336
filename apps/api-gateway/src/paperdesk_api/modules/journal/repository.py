"""Trade, journal and tag queries, always scoped to one account."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paperdesk_core.db.models import Trade, TradeJournal, TradeTag
from sqlalchemy import ColumnElement, case, delete, func, select, type_coerce, update
from sqlalchemy.sql import Select

from paperdesk_api.kit.repository import RepositoryBase

SORTS: dict[str, tuple[Any, ...]] = {
    "entry_time": (Trade.entry_time, Trade.id),
    "-entry_time": (Trade.entry_time.desc(), Trade.id),
    "pnl": (Trade.pnl, Trade.id),
    "-pnl": (Trade.pnl.desc(), Trade.id),
    "symbol": (Trade.symbol, Trade.entry_time, Trade.id),
}


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
        # Closed trades count on their exit (the exit_time index serves analytics).
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

    def closed(
        self, account_id: uuid.UUID, f: TradeFilter, *columns: Any
    ) -> Sequence[tuple[Any, ...]]:
        """``columns`` of the filtered closed trades, in exit-time order."""
        stmt: Select[Any] = (
            select(*columns)
            .where(*self._where(account_id, f, closed_only=True))
            .order_by(Trade.exit_time, Trade.id)
        )
        return self.session.execute(stmt).tuples().all()

    def closed_by_tag(self, account_id: uuid.UUID, f: TradeFilter) -> Sequence[tuple[Any, ...]]:
        """``(tag, pnl)`` of the filtered closed trades' tags, in exit-time order."""
        stmt = (
            select(TradeTag.tag, Trade.pnl)
            .join(TradeTag, TradeTag.trade_id == Trade.id)
            .where(*self._where(account_id, f, closed_only=True))
            .where(TradeTag.account_id == account_id)
            .order_by(Trade.exit_time, Trade.id)
        )
        return self.session.execute(stmt).tuples().all()

    def group_sums(
        self, account_id: uuid.UUID, f: TradeFilter, group_by: str
    ) -> Sequence[tuple[Any, ...]]:
        """Aggregate closed trades per ``tag``/``symbol``/``side`` in SQL.

        ``(key, trades, wins, losses, pnl, gross_win, gross_loss, largest, smallest,
        max_consecutive_losses)``; runs of losses follow exit time (gaps and islands).
        """
        if group_by == "tag":
            base = (
                select(TradeTag.tag.label("k"), Trade.pnl, Trade.exit_time, Trade.id)
                .join(TradeTag, TradeTag.trade_id == Trade.id)
                .where(TradeTag.account_id == account_id)
            )
        else:
            key = Trade.symbol if group_by == "symbol" else Trade.side
            base = select(key.label("k"), Trade.pnl, Trade.exit_time, Trade.id)
        b = base.where(*self._where(account_id, f, closed_only=True)).subquery()
        loss = case((b.c.pnl < 0, 1), else_=0)
        # One sort: the running count of non-losses numbers each run of losses.
        grp = func.sum(1 - loss).over(partition_by=b.c.k, order_by=(b.c.exit_time, b.c.id))
        w = select(b.c.k, b.c.pnl, loss.label("loss"), grp.label("grp")).cte("w")
        runs = (
            select(w.c.k, func.count().label("n"))
            .where(w.c.loss == 1)
            .group_by(w.c.k, w.c.grp)
            .subquery()
        )
        longest = select(runs.c.k, func.max(runs.c.n).label("m")).group_by(runs.c.k).subquery()
        money = b.c.pnl.type
        agg = (
            select(
                w.c.k,
                func.count().label("trades"),
                func.count(case((w.c.pnl > 0, 1))).label("wins"),
                func.sum(w.c.loss).label("losses"),
                type_coerce(func.sum(w.c.pnl), money).label("pnl"),
                type_coerce(func.sum(case((w.c.pnl > 0, w.c.pnl), else_=0)), money).label("gw"),
                type_coerce(func.sum(case((w.c.pnl < 0, w.c.pnl), else_=0)), money).label("gl"),
                type_coerce(func.max(w.c.pnl), money).label("hi"),
                type_coerce(func.min(w.c.pnl), money).label("lo"),
            )
            .group_by(w.c.k)
            .subquery()
        )
        stmt = select(*agg.c, func.coalesce(longest.c.m, 0)).outerjoin(
            longest, longest.c.k == agg.c.k
        )
        return self.session.execute(stmt).tuples().all()

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

"""Journal rules: trades with live P&L, journal edits, tags, analytics, CSV in and out."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from paperdesk_core.clock import as_utc, utc_now
from paperdesk_core.db.models import Account, Trade, TradeJournal, TradeTag, User
from paperdesk_core.journal import GroupStats, Trip, pnl_pct, stats_from_sums, summarize
from paperdesk_core.journal.analytics import HOURS, KEY_ORDERS, WEEKDAYS, ordered_keys
from paperdesk_core.journal.store import measure_excursions
from paperdesk_core.marketdata.quotes import read_quotes
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from paperdesk_api.errors import Invalid, NotFound
from paperdesk_api.modules.journal import schemas
from paperdesk_api.modules.journal._csv import parse_csv, write_csv
from paperdesk_api.modules.journal.repository import (
    JournalRepository,
    TagRepository,
    TradeFilter,
    TradeRepository,
)
from paperdesk_api.modules.orders.service import order as order_service

log = logging.getLogger(__name__)

ZERO = Decimal(0)
STEP = Decimal("0.0001")
MAX_MEASURED = 200  # trades measured for MAE/MFE per request (the rest on later reads)


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(STEP)


def parse_when(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A query bound: ``YYYY-MM-DD`` (``to`` includes that day) or an ISO-8601 time."""
    if not value:
        return None
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            start = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{name} must be a date (YYYY-MM-DD) or an ISO-8601 time, not {value[:40]!r}",
            code="invalid_time",
        ) from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def r_multiple(pnl: Decimal, entry: Decimal, stop: Decimal | None, qty: Decimal) -> Decimal | None:
    """``pnl / (|entry - stop| * qty)``; None without a stop or with zero risk."""
    if stop is None:
        return None
    risk = abs(entry - stop) * qty
    return None if risk == ZERO else _q(pnl / risk)


def _norm_tags(tags: Iterable[str]) -> list[str]:
    return sorted(dict.fromkeys(t.strip() for t in tags if t.strip()))


class JournalService:
    def account(self, session: Session, user: User) -> Account:
        return order_service.account(session, user)

    def filters(
        self,
        *,
        symbol: str | None = None,
        tag: str | None = None,
        start: str | None = None,
        end: str | None = None,
        outcome: str | None = None,
    ) -> TradeFilter:
        lo = parse_when(start, "from")
        hi = parse_when(end, "to", end=True)
        if lo is not None and hi is not None and lo >= hi:
            raise Invalid("'from' must be before 'to'", code="invalid_range")
        return TradeFilter(
            symbol=symbol.strip().upper() if symbol else None,
            tag=tag.strip() if tag else None,
            start=lo,
            end=hi,
            outcome=outcome,
        )

    # -- reading ---------------------------------------------------------------------------
    def _prices(self, redis: Any, trades: Sequence[Trade]) -> dict[str, Decimal]:
        symbols = sorted({t.symbol for t in trades if t.status == "open"})
        if not symbols or redis is None:
            return {}
        try:
            quotes = read_quotes(redis, symbols)
        except RedisError as exc:  # P&L of open trades falls back to the realized part
            log.warning("no quotes for open trades: %s", exc)
            return {}
        return {s: q.price for s, q in quotes.items() if q is not None}

    def _unrealized(self, t: Trade, price: Decimal | None) -> Decimal | None:
        if t.status != "open" or price is None:
            return None
        if t.state:
            return Trip.from_state(t.account_id, t.symbol, t.state).unrealized(price)
        direction = 1 if t.side == "long" else -1
        return (price - t.entry_price) * t.open_qty * direction

    def _view(
        self,
        t: Trade,
        journal: TradeJournal | None,
        tags: list[str],
        price: Decimal | None,
    ) -> schemas.Trade:
        unrealized = self._unrealized(t, price)
        pnl, gross, pct = t.pnl, t.gross_pnl, t.pnl_pct
        if unrealized is not None:
            pnl = t.realized_pnl + unrealized
            gross = t.gross_pnl + unrealized
            cost = Decimal(t.state["entry_notional"]) if t.state else t.entry_price * t.qty
            pct = pnl_pct(pnl, cost)
        stop = journal.planned_stop if journal else None
        return schemas.Trade(
            id=t.id,
            symbol=t.symbol,
            side=t.side,
            status=t.status,
            qty=t.qty,
            entry_time=as_utc(t.entry_time),
            entry_price=t.entry_price,
            exit_time=None if t.exit_time is None else as_utc(t.exit_time),
            exit_price=t.exit_price,
            pnl=pnl,
            gross_pnl=gross,
            fees=t.fees,
            pnl_pct=_q(pct),
            holding_seconds=t.holding_seconds,
            mae=t.mae,
            mfe=t.mfe,
            unrealized_pnl=unrealized,
            realized_pnl=t.realized_pnl,
            open_qty=t.open_qty,
            tags=tags,
            notes=journal.notes if journal else "",
            rating=journal.rating if journal else None,
            planned_stop=stop,
            r_multiple=r_multiple(pnl, t.entry_price, stop, t.qty),
            setup=journal.setup if journal else None,
            source=t.source,
        )

    def render(
        self, session: Session, redis: Any, trades: Sequence[Trade], *, measure: bool = True
    ) -> list[schemas.Trade]:
        """Trades with their journal fields, live P&L and MAE/MFE."""
        if measure:
            measure_excursions(session, trades[:MAX_MEASURED])
        ids = [t.id for t in trades]
        journals = JournalRepository.from_session(session).for_trades(ids)
        tags = TagRepository.from_session(session).for_trades(ids)
        prices = self._prices(redis, trades)
        return [
            self._view(t, journals.get(t.id), tags.get(t.id, []), prices.get(t.symbol))
            for t in trades
        ]

    def list_trades(
        self,
        session: Session,
        redis: Any,
        user: User,
        f: TradeFilter,
        *,
        sort: str,
        limit: int,
        offset: int,
    ) -> list[schemas.Trade]:
        account = self.account(session, user)
        rows = TradeRepository.from_session(session).list(
            account.id, f, sort=sort, limit=limit, offset=offset
        )
        return self.render(session, redis, rows)

    def _trade(self, session: Session, account: Account, trade_id: uuid.UUID) -> Trade:
        row = TradeRepository.from_session(session).get(account.id, trade_id)
        if row is None:
            raise NotFound("trade not found", code="trade_not_found")
        return row

    def get_trade(
        self, session: Session, redis: Any, user: User, trade_id: uuid.UUID
    ) -> schemas.Trade:
        row = self._trade(session, self.account(session, user), trade_id)
        return self.render(session, redis, [row])[0]

    # -- journal edits ---------------------------------------------------------------------
    def _set_tags(
        self, session: Session, account: Account, trade_id: uuid.UUID, tags: list[str]
    ) -> None:
        repo = TagRepository.from_session(session)
        have = set(repo.for_trades([trade_id]).get(trade_id, []))
        want = set(_norm_tags(tags))
        repo.remove(trade_id, have - want)
        for tag in sorted(want - have):
            repo.add(TradeTag(trade_id=trade_id, tag=tag, account_id=account.id))

    def _apply_journal(
        self,
        session: Session,
        account: Account,
        trade_id: uuid.UUID,
        fields: dict[str, Any],
    ) -> None:
        if "tags" in fields:
            self._set_tags(session, account, trade_id, fields.pop("tags") or [])
        if not fields:
            return
        row = JournalRepository.from_session(session).get_or_create(account.id, trade_id)
        for key, value in fields.items():
            setattr(row, key, "" if key == "notes" and value is None else value)
        row.updated_at = utc_now()

    def update_trade(
        self,
        session: Session,
        redis: Any,
        user: User,
        trade_id: uuid.UUID,
        payload: schemas.TradeUpdate,
    ) -> schemas.Trade:
        account = self.account(session, user)
        row = self._trade(session, account, trade_id)
        fields = {k: getattr(payload, k) for k in payload.model_fields_set}
        self._apply_journal(session, account, trade_id, fields)
        session.flush()
        return self.render(session, redis, [row], measure=False)[0]

    def bulk_tag(self, session: Session, user: User, payload: schemas.BulkTag) -> int:
        account = self.account(session, user)
        ids = list(dict.fromkeys(payload.trade_ids))
        owned = TradeRepository.from_session(session).owned(account.id, ids)
        missing = [str(i) for i in ids if i not in owned]
        if missing:
            raise NotFound(f"trades not found: {', '.join(missing[:5])}", code="trade_not_found")
        add, remove = set(_norm_tags(payload.add)), set(_norm_tags(payload.remove))
        repo = TagRepository.from_session(session)
        current = repo.for_trades(ids)
        for trade_id in ids:
            have = set(current.get(trade_id, []))
            repo.remove(trade_id, (have & remove) - add)
            for tag in sorted(add - have):
                repo.add(TradeTag(trade_id=trade_id, tag=tag, account_id=account.id))
        session.flush()
        return len(ids)

    def tags(
        self, session: Session, user: User, prefix: str | None, limit: int
    ) -> list[schemas.Tag]:
        account = self.account(session, user)
        rows = TagRepository.from_session(session).counts(account.id, prefix, limit)
        return [schemas.Tag(name=tag, count=count) for tag, count in rows]

    def rename_tag(
        self, session: Session, user: User, name: str, payload: schemas.TagRename
    ) -> schemas.Tag:
        account = self.account(session, user)
        repo = TagRepository.from_session(session)
        if repo.count(account.id, name) == 0:
            raise NotFound(f"no trade carries the tag {name[:64]!r}", code="tag_not_found")
        if payload.name != name:
            repo.rename(account.id, name, payload.name)
            session.flush()
        return schemas.Tag(name=payload.name, count=repo.count(account.id, payload.name))

    # -- analytics -------------------------------------------------------------------------
    def _groups(
        self, session: Session, account: Account, group_by: str | None, f: TradeFilter
    ) -> tuple[list[GroupStats], Decimal]:
        """Figures per group (summed by the database) and the closed trades' fees."""
        sums = TradeRepository.from_session(session).group_sums(account.id, f, group_by)
        label: Callable[[Any], str] = {
            "weekday": lambda k: WEEKDAYS[int(k)],
            "hour": lambda k: HOURS[int(k)],
        }.get(group_by or "", str)
        stats = {
            label(g.key): stats_from_sums(
                label(g.key),
                trades=g.trades,
                wins=g.wins,
                losses=g.losses,
                pnl=g.pnl,
                gross_win=g.gross_win,
                gross_loss=g.gross_loss,
                largest_win=g.largest,
                largest_loss=g.smallest,
                max_consecutive_losses=g.max_consecutive_losses,
            )
            for g in sums
        }
        keys = ordered_keys(stats, KEY_ORDERS.get(group_by or ""))
        return [stats[k] for k in keys], sum((g.fees for g in sums), ZERO)

    def analytics(
        self, session: Session, user: User, group_by: str, f: TradeFilter
    ) -> list[schemas.AnalyticsRow]:
        groups, _fees = self._groups(session, self.account(session, user), group_by, f)
        return [schemas.AnalyticsRow.model_validate(g.as_dict()) for g in groups]

    def summary(self, session: Session, redis: Any, user: User, f: TradeFilter) -> schemas.Summary:
        account = self.account(session, user)
        groups, fees = self._groups(session, account, None, f)
        stats = groups[0] if groups else summarize(())
        open_trades = TradeRepository.from_session(session).open(account.id, f)
        prices = self._prices(redis, open_trades)
        unrealized = sum(
            (self._unrealized(t, prices.get(t.symbol)) or ZERO for t in open_trades), ZERO
        )
        fees += sum((t.fees for t in open_trades), ZERO)
        return schemas.Summary.model_validate(
            {
                **stats.as_dict(),
                "open_trades": len(open_trades),
                "unrealized_pnl": unrealized,
                "fees": fees,
            }
        )

    def daily(self, session: Session, user: User, f: TradeFilter) -> list[schemas.DailyPnl]:
        account = self.account(session, user)
        out: list[schemas.DailyPnl] = []
        running = ZERO
        for day, pnl, trades in TradeRepository.from_session(session).daily_sums(account.id, f):
            running += pnl
            out.append(schemas.DailyPnl(date=day, pnl=pnl, trades=trades, cumulative_pnl=running))
        return out

    # -- CSV -------------------------------------------------------------------------------
    def export_csv(self, session: Session, redis: Any, user: User, f: TradeFilter) -> str:
        account = self.account(session, user)
        rows = TradeRepository.from_session(session).list(account.id, f, sort="entry_time")
        return write_csv(self.render(session, redis, rows, measure=False))

    def import_csv(self, session: Session, user: User, text: str) -> schemas.ImportResult:
        """Update the journal of known trades, create the others as imported trades.

        Everything is validated before anything is written.
        """
        account = self.account(session, user)
        trades = TradeRepository.from_session(session)
        known = trades.owned_ids(account.id)
        parsed = parse_csv(text, known)
        created = updated = 0
        for row in parsed:
            trade_id = row.id
            if trade_id in known:
                updated += 1
            else:
                if trade_id is None or trades.exists(trade_id):
                    trade_id = uuid.uuid4()
                trades.add(Trade(id=trade_id, account_id=account.id, **row.trade))
                known.add(trade_id)
                created += 1
            self._apply_journal(session, account, trade_id, dict(row.journal))
            session.flush()
        return schemas.ImportResult(created=created, updated=updated)


journal = JournalService()

"""Watchlists: per-user symbol lists answered with live quotes and sparklines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from paperdesk_core.clock import utc_now
from paperdesk_core.db.models import User, Watchlist, WatchlistItem
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperdesk_api.errors import Conflict, NotFound
from paperdesk_api.modules.market._instruments import instruments
from paperdesk_api.modules.market.repository import InstrumentRepository
from paperdesk_api.modules.market.service import read_snapshots
from paperdesk_api.modules.watchlists import schemas
from paperdesk_api.modules.watchlists.repository import WatchlistRepository


def _dedupe(symbols: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(symbols))


class WatchlistService:
    def _require_symbols(self, session: Session, symbols: Sequence[str]) -> None:
        known = InstrumentRepository.from_session(session).existing_symbols(symbols)
        missing = [s for s in symbols if s not in known]
        if missing:
            raise NotFound(f"unknown symbol(s): {', '.join(missing)}", code="unknown_symbol")

    def _get(self, session: Session, user: User, watchlist_id: uuid.UUID) -> Watchlist:
        wl = WatchlistRepository.from_session(session).get_for_user(user.id, watchlist_id)
        if wl is None:  # another user's watchlist is indistinguishable from none
            raise NotFound("watchlist not found")
        return wl

    def list_for_user(self, session: Session, user: User) -> Sequence[Watchlist]:
        return WatchlistRepository.from_session(session).list_for_user(user.id)

    def get(self, session: Session, user: User, watchlist_id: uuid.UUID) -> Watchlist:
        return self._get(session, user, watchlist_id)

    def create(self, session: Session, user: User, payload: schemas.WatchlistCreate) -> Watchlist:
        symbols = _dedupe(payload.symbols)
        self._require_symbols(session, symbols)
        wl = Watchlist(user_id=user.id, name=payload.name)
        wl.items = [WatchlistItem(symbol=s, position=i) for i, s in enumerate(symbols)]
        return WatchlistRepository.from_session(session).add(wl, flush=True)

    def update(
        self,
        session: Session,
        user: User,
        watchlist_id: uuid.UUID,
        payload: schemas.WatchlistUpdate,
    ) -> Watchlist:
        wl = self._get(session, user, watchlist_id)
        if payload.name is not None:
            wl.name = payload.name
        if payload.symbols is not None:
            symbols = _dedupe(payload.symbols)
            self._require_symbols(session, symbols)
            # Keep rows of symbols that stay: the unit of work inserts before it deletes,
            # so re-adding a symbol as a new row would trip the unique constraint.
            existing = {item.symbol: item for item in wl.items}
            items = []
            for pos, sym in enumerate(symbols):
                item = existing.get(sym) or WatchlistItem(symbol=sym)
                item.position = pos
                items.append(item)
            wl.items = items
        wl.updated_at = utc_now()
        session.flush()
        return wl

    def delete(self, session: Session, user: User, watchlist_id: uuid.UUID) -> None:
        WatchlistRepository.from_session(session).delete(
            self._get(session, user, watchlist_id), flush=True
        )

    def add_item(
        self, session: Session, user: User, watchlist_id: uuid.UUID, symbol: str
    ) -> Watchlist:
        wl = self._get(session, user, watchlist_id)
        self._require_symbols(session, [symbol])
        if any(item.symbol == symbol for item in wl.items):
            raise Conflict(f"{symbol} is already in this watchlist", code="duplicate_symbol")
        position = max((item.position for item in wl.items), default=-1) + 1
        wl.items.append(WatchlistItem(symbol=symbol, position=position))
        wl.updated_at = utc_now()
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent request added it first
            raise Conflict(
                f"{symbol} is already in this watchlist", code="duplicate_symbol"
            ) from exc
        return wl

    def remove_item(
        self, session: Session, user: User, watchlist_id: uuid.UUID, symbol: str
    ) -> Watchlist:
        wl = self._get(session, user, watchlist_id)
        symbol = symbol.strip().upper()
        item = next((i for i in wl.items if i.symbol == symbol), None)
        if item is None:
            raise NotFound(f"{symbol[:64]} is not in this watchlist", code="item_not_found")
        wl.items.remove(item)
        wl.updated_at = utc_now()
        session.flush()
        return wl

    def render(self, redis: Any, watchlists: Sequence[Watchlist]) -> list[schemas.Watchlist]:
        """Attach each item's latest quote and sparkline (one Redis round trip for all)."""
        symbols = _dedupe([item.symbol for wl in watchlists for item in wl.items])
        snaps = read_snapshots(redis, symbols)
        out = []
        for wl in watchlists:
            items = []
            for item in sorted(wl.items, key=lambda i: i.position):
                snap = snaps[item.symbol.upper()]
                info = instruments.get(item.symbol)
                items.append(
                    schemas.WatchlistItem(
                        symbol=item.symbol,
                        name=info.name if info else "",
                        position=item.position,
                        quote=snap.quote.to_api() if snap.quote else None,
                        spark=[str(p) for p in snap.spark],
                    )
                )
            out.append(
                schemas.Watchlist(
                    id=wl.id,
                    name=wl.name,
                    created_at=wl.created_at,
                    updated_at=wl.updated_at,
                    items=items,
                )
            )
        return out

    def render_one(self, redis: Any, watchlist: Watchlist) -> schemas.Watchlist:
        return self.render(redis, [watchlist])[0]


watchlist = WatchlistService()

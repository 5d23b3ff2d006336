"""Watchlist queries, always scoped to their owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from paperdesk_core.db.models import Watchlist
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from paperdesk_api.kit.repository import RepositoryBase


class WatchlistRepository(RepositoryBase[Watchlist]):
    model = Watchlist

    def list_for_user(self, user_id: uuid.UUID) -> Sequence[Watchlist]:
        stmt = (
            select(Watchlist)
            .where(Watchlist.user_id == user_id)
            .options(selectinload(Watchlist.items))
            .order_by(Watchlist.created_at, Watchlist.id)
        )
        return self.session.scalars(stmt).all()

    def get_for_user(self, user_id: uuid.UUID, watchlist_id: uuid.UUID) -> Watchlist | None:
        stmt = (
            select(Watchlist)
            .where(Watchlist.id == watchlist_id, Watchlist.user_id == user_id)
            .options(selectinload(Watchlist.items))
        )
        return self.session.scalar(stmt)

"""Instrument queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from paperdesk_core.db.models import Instrument
from sqlalchemy import func, or_, select

from paperdesk_api.kit.repository import RepositoryBase


class InstrumentRepository(RepositoryBase[Instrument]):
    model = Instrument

    def search(self, q: str | None, *, limit: int | None = None) -> Sequence[Instrument]:
        """Instruments whose symbol or name contains ``q`` (case-insensitive)."""
        stmt = select(Instrument).order_by(Instrument.symbol)
        if q:
            needle = q.lower()
            stmt = stmt.where(
                or_(
                    func.lower(Instrument.symbol).contains(needle, autoescape=True),
                    func.lower(Instrument.name).contains(needle, autoescape=True),
                )
            )
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def existing_symbols(self, symbols: Iterable[str]) -> set[str]:
        """The subset of ``symbols`` that are instruments."""
        wanted = list(set(symbols))
        if not wanted:
            return set()
        return set(
            self.session.scalars(select(Instrument.symbol).where(Instrument.symbol.in_(wanted)))
        )

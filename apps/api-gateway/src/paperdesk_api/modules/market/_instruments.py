"""In-process cache of the instrument table, so hot routes never query the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from paperdesk_core.db import get_sessionmaker
from paperdesk_core.db.models import Instrument
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool


@dataclass(frozen=True)
class InstrumentInfo:
    symbol: str
    name: str
    asset_class: str
    exchange: str
    currency: str
    source: str
    tradable: bool


def _load_from_db() -> dict[str, InstrumentInfo]:
    with get_sessionmaker()() as session:
        rows = session.scalars(select(Instrument)).all()
        return {
            r.symbol.upper(): InstrumentInfo(
                symbol=r.symbol,
                name=r.name,
                asset_class=r.asset_class,
                exchange=r.exchange,
                currency=r.currency,
                source=r.source,
                tradable=r.tradable,
            )
            for r in rows
        }


class InstrumentCache:
    """Symbols and names, reloaded every ``ttl`` seconds.

    A lookup of an unknown symbol reloads early (at most every ``miss_refresh``
    seconds), so a newly seeded instrument shows up quickly without letting unknown
    symbols drive a query per request.
    """

    def __init__(
        self,
        loader: Callable[[], dict[str, InstrumentInfo]] = _load_from_db,
        *,
        ttl: float = 30.0,
        miss_refresh: float = 5.0,
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._miss_refresh = miss_refresh
        self._lock = threading.Lock()
        self._data: dict[str, InstrumentInfo] = {}
        self._loaded_at = float("-inf")

    def _refresh(self, max_age: float) -> dict[str, InstrumentInfo]:
        with self._lock:
            if time.monotonic() - self._loaded_at >= max_age:
                self._data = self._loader()
                self._loaded_at = time.monotonic()
            return self._data

    def _current(self) -> dict[str, InstrumentInfo]:
        if time.monotonic() - self._loaded_at < self._ttl:
            return self._data
        return self._refresh(self._ttl)

    def get(self, symbol: str) -> InstrumentInfo | None:
        """Return the instrument of a symbol (case-insensitive), or None."""
        key = symbol.upper()
        info = self._current().get(key)
        if info is None:
            info = self._refresh(self._miss_refresh).get(key)
        return info

    async def aget(self, symbol: str) -> InstrumentInfo | None:
        """Like ``get`` without blocking the event loop: a reload runs in a thread."""
        if time.monotonic() - self._loaded_at < self._ttl:
            info = self._data.get(symbol.upper())
            if info is not None:
                return info
        return await run_in_threadpool(self.get, symbol)

    def all(self) -> list[InstrumentInfo]:
        """Every known instrument, ordered by symbol."""
        return sorted(self._current().values(), key=lambda i: i.symbol)

    def invalidate(self) -> None:
        """Forget the cached table (the next lookup reloads it)."""
        with self._lock:
            self._data = {}
            self._loaded_at = float("-inf")


instruments = InstrumentCache()

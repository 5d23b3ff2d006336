"""A small asyncio pool of psycopg connections for the API's hot PostgreSQL routes.

SQLAlchemy's sync sessions run in the thread pool, and on a busy 2-core machine the
GIL hand-offs between those threads and the event loop cost more than the queries. The
order gate talks to PostgreSQL from the event loop instead, through this pool: no thread
hop, prepared statements kept per connection by psycopg, and a liveness check only for
a connection that sat idle for ``check_after`` seconds (a busy one proves itself; one
broken under load fails its request with 503 and is dropped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg import pq
from sqlalchemy.engine import make_url

Conn = psycopg.AsyncConnection[tuple[object, ...]]


def conninfo(database_url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PgPool:
    """At most ``size`` connections, opened on demand, owned by one event loop."""

    def __init__(self, database_url: str, size: int = 16, check_after: float = 10.0) -> None:
        self.conninfo = conninfo(database_url)
        self.size = size
        self.check_after = check_after
        self._idle: list[tuple[Conn, float]] = []
        self._opened = 0
        self._cond = asyncio.Condition()

    async def _acquire(self) -> Conn:
        while True:
            async with self._cond:
                while not self._idle and self._opened >= self.size:
                    await self._cond.wait()
                if not self._idle:
                    self._opened += 1
                    break
                conn, since = self._idle.pop()
            if time.monotonic() - since < self.check_after or await self._alive(conn):
                return conn
            await self._discard(conn)
        try:
            return await psycopg.AsyncConnection.connect(self.conninfo)
        except BaseException:
            async with self._cond:
                self._opened -= 1
                self._cond.notify()
            raise

    @staticmethod
    async def _alive(conn: Conn) -> bool:
        try:
            await conn.execute("SELECT 1")
            await conn.rollback()
        except psycopg.Error:
            return False
        return True

    async def _discard(self, conn: Conn) -> None:
        await conn.close()
        async with self._cond:
            self._opened -= 1
            self._cond.notify()

    async def _release(self, conn: Conn) -> None:
        if conn.closed or conn.info.transaction_status != pq.TransactionStatus.IDLE:
            await self._discard(conn)
            return
        async with self._cond:
            self._idle.append((conn, time.monotonic()))
            self._cond.notify()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        conn = await self._acquire()
        try:
            yield conn
        finally:
            await self._release(conn)

    async def close(self) -> None:
        async with self._cond:
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
        for conn, _ in idle:
            await conn.close()

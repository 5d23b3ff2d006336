"""The asyncio PostgreSQL pool (asyncpg) of the API's hot routes.

SQLAlchemy's sync sessions run in the thread pool, and on a busy 2-core machine the
GIL hand-offs between those threads and the event loop, and the ORM's Python, cost more
than the queries. ``POST /orders`` talks to PostgreSQL from the event loop instead,
through asyncpg: a binary protocol in C and statements prepared once per connection.
Connections idle for ``IDLE_LIFETIME_S`` are closed, so a database restart during a
quiet spell costs nothing; one lost under load raises one of ``LOST``.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

IDLE_LIFETIME_S = 10.0
GATE_APPLICATION_NAME = "paperdesk-api-async"  # in pg_stat_activity

# A connection that broke (server restart, terminated backend, network). A backend
# terminated while the connection sat idle can also surface as a protocol state error.
LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)


def dsn(database_url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Release without the reset query (a round trip): the hot routes set no session state.

    asyncpg still ends an open transaction of a released connection.
    """


async def create_pool(database_url: str, size: int) -> asyncpg.Pool:
    """A pool of up to ``size`` connections, opened on demand."""
    return await asyncpg.create_pool(
        dsn(database_url),
        min_size=0,
        max_size=size,
        reset=_keep_session,
        max_inactive_connection_lifetime=IDLE_LIFETIME_S,
        server_settings={"application_name": GATE_APPLICATION_NAME},
    )

"""The FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from paperdesk_core.collector import Freezer

from paperdesk_api.errors import install_error_handlers
from paperdesk_api.modules.accounts.endpoints import router as accounts_router
from paperdesk_api.modules.auth.endpoints import router as auth_router
from paperdesk_api.modules.backtests.endpoints import router as backtests_router
from paperdesk_api.modules.journal.endpoints import router as journal_router
from paperdesk_api.modules.market.endpoints import router as market_router
from paperdesk_api.modules.ops._metrics import MetricsMiddleware
from paperdesk_api.modules.ops.endpoints import router as ops_router
from paperdesk_api.modules.orders.endpoints import router as orders_router
from paperdesk_api.modules.risk.endpoints import router as risk_router
from paperdesk_api.modules.stream.endpoints import router as stream_router
from paperdesk_api.modules.stream.service import QuoteHub
from paperdesk_api.modules.watchlists.endpoints import router as watchlists_router

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Everything imported so far lives as long as the process, and so, mostly, does what
    # outlives a second (caches, pooled connections): keep both out of the collector's
    # full passes, which took 15-35 ms about once a second in each worker at 500 orders/s.
    freezer = Freezer()
    freezing = asyncio.create_task(_freeze_survivors(freezer), name="gc-freezer")
    yield
    freezing.cancel()
    freezer.close()
    await app.state.quote_hub.stop()
    held = getattr(app.state, "async_redis", None)
    if held is not None and held[0] is asyncio.get_running_loop():
        await held[1].aclose()
    app.state.async_redis = None
    pool = getattr(app.state, "pg_pool", None)
    if pool is not None and pool[0] is asyncio.get_running_loop():
        await pool[2].close()
    app.state.pg_pool = None


async def _freeze_survivors(freezer: Freezer) -> None:
    while True:
        await asyncio.sleep(freezer.every)
        freezer.tick()


def create_app() -> FastAPI:
    """Build the API app with every router mounted under /api/v1."""
    app = FastAPI(title="PaperDesk API", version="0.1.0", lifespan=_lifespan)
    app.state.quote_hub = QuoteHub()
    install_error_handlers(app)
    # A token in a header, never cookies: any origin may call, credentials stay off.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["Retry-After"],
    )
    app.add_middleware(MetricsMiddleware)
    api = APIRouter(prefix=API_PREFIX)
    # Routes are matched in order: the busiest route (POST /orders) is tried first.
    api.include_router(orders_router)
    api.include_router(auth_router)
    api.include_router(market_router)
    api.include_router(watchlists_router)
    api.include_router(accounts_router)
    api.include_router(risk_router)
    api.include_router(backtests_router)
    api.include_router(journal_router)
    api.include_router(stream_router)
    app.include_router(api)
    app.include_router(ops_router)
    return app


app = create_app()

"""Market data: instruments, quotes, bars."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from paperdesk_core.db.models import Instrument as InstrumentModel

from paperdesk_api.deps import AsyncRedisDep, ReadSessionDep, get_token_user_id
from paperdesk_api.modules.market import schemas
from paperdesk_api.modules.market.service import Timeframe
from paperdesk_api.modules.market.service import market as market_service

# Token check only (no database): /quotes must stay fast.
JSON = "application/json"
router = APIRouter(tags=["market"], dependencies=[Depends(get_token_user_id)])


@router.get("/instruments", response_model=list[schemas.Instrument])
def list_instruments(
    session: ReadSessionDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> Sequence[InstrumentModel]:
    """List tradable instruments; ``q`` searches symbol and name."""
    return market_service.list_instruments(session, q=q)


def _json(content: Any) -> Response:
    # Pre-serialized: the hot quote routes skip response-model validation (the schema
    # still documents them); to_api() already yields the exact wire shape.
    return Response(content=json.dumps(content, separators=(",", ":")), media_type=JSON)


@router.get("/quotes", response_model=list[schemas.Quote])
async def get_quotes(
    redis: AsyncRedisDep,
    symbols: Annotated[str | None, Query(max_length=4000, description="A,B,C")] = None,
) -> Response:
    """Latest quotes of the listed symbols (of every instrument without ``symbols``)."""
    wanted = [s.strip() for s in symbols.split(",") if s.strip()] if symbols else None
    return _json(await market_service.get_quotes(redis, wanted))


@router.get("/quotes/{symbol}", response_model=schemas.Quote)
async def get_quote(symbol: str, redis: AsyncRedisDep) -> Response:
    """Latest quote of a symbol."""
    return _json(await market_service.get_quote(redis, symbol))


@router.get("/bars/{symbol}", response_model=list[schemas.Bar])
def get_bars(
    symbol: str,
    timeframe: Timeframe = "1d",
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> list[dict[str, str]]:
    """OHLCV bars of a symbol between ``start`` and ``end``."""
    return market_service.get_bars(symbol, timeframe=timeframe, start=start, end=end, limit=limit)

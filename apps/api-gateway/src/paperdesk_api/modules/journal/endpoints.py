"""Trade journal: round trips, journal fields, tags, analytics, CSV export and import."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from paperdesk_api.deps import CurrentUser, RedisDep, SessionDep
from paperdesk_api.errors import Invalid
from paperdesk_api.modules.journal import schemas
from paperdesk_api.modules.journal.repository import TradeFilter
from paperdesk_api.modules.journal.service import journal as journal_service

router = APIRouter(tags=["journal"])

MAX_CSV_BYTES = 10 * 1024 * 1024


def trade_filter(
    symbol: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> TradeFilter:
    """The ``symbol``, ``tag``, ``from`` and ``to`` query filters."""
    return journal_service.filters(symbol=symbol, tag=tag, start=start, end=end)


Filters = Annotated[TradeFilter, Depends(trade_filter)]


@router.get("/trades", response_model=list[schemas.Trade])
def list_trades(
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    f: Filters,
    outcome: schemas.Outcome | None = None,
    sort: schemas.Sort = "-entry_time",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[schemas.Trade]:
    """The caller's round trips; open ones carry live P&L."""
    f = TradeFilter(f.symbol, f.tag, f.start, f.end, outcome)
    return journal_service.list_trades(
        session, redis, user, f, sort=sort, limit=limit, offset=offset
    )


@router.get("/trades/export.csv", response_class=Response)
def export_trades(user: CurrentUser, session: SessionDep, redis: RedisDep, f: Filters) -> Response:
    """Every trade with its journal fields as CSV."""
    body = journal_service.export_csv(session, redis, user, f)
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="trades.csv"'},
    )


@router.post("/trades/import.csv", response_model=schemas.ImportResult)
async def import_trades(
    request: Request, user: CurrentUser, session: SessionDep
) -> schemas.ImportResult:
    """Import the export's format: known ids update their journal, others become trades."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Invalid("the file is larger than 10 MB", code="invalid_csv")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the file is not UTF-8 text", code="invalid_csv") from None
    return await run_in_threadpool(journal_service.import_csv, session, user, text)


@router.post("/trades/bulk-tag", response_model=schemas.BulkTagResult)
def bulk_tag(
    payload: schemas.BulkTag, user: CurrentUser, session: SessionDep
) -> schemas.BulkTagResult:
    """Add and remove tags on many trades at once."""
    return schemas.BulkTagResult(updated=journal_service.bulk_tag(session, user, payload))


@router.get("/trades/{trade_id}", response_model=schemas.Trade)
def get_trade(
    trade_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> schemas.Trade:
    """One trade (404 for another user's)."""
    return journal_service.get_trade(session, redis, user, trade_id)


@router.patch("/trades/{trade_id}", response_model=schemas.Trade)
def update_trade(
    trade_id: uuid.UUID,
    payload: schemas.TradeUpdate,
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
) -> schemas.Trade:
    """Set tags, notes, rating, planned stop or setup."""
    return journal_service.update_trade(session, redis, user, trade_id, payload)


@router.get("/tags", response_model=list[schemas.Tag])
def list_tags(
    user: CurrentUser,
    session: SessionDep,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.Tag]:
    """The caller's tags by use (autocomplete)."""
    return journal_service.tags(session, user, prefix, limit)


@router.patch("/tags/{name}", response_model=schemas.Tag)
def rename_tag(
    name: str, payload: schemas.TagRename, user: CurrentUser, session: SessionDep
) -> schemas.Tag:
    """Rename a tag; merges into ``name`` when that tag exists."""
    return journal_service.rename_tag(session, user, name, payload)


@router.get("/analytics", response_model=list[schemas.AnalyticsRow])
def analytics(
    user: CurrentUser, session: SessionDep, f: Filters, group_by: schemas.GroupBy = "tag"
) -> list[schemas.AnalyticsRow]:
    """Closed trades' figures per group."""
    return journal_service.analytics(session, user, group_by, f)


@router.get("/analytics/summary", response_model=schemas.Summary)
def analytics_summary(
    user: CurrentUser, session: SessionDep, redis: RedisDep, f: Filters
) -> schemas.Summary:
    """All closed trades' figures, with open trades and fees."""
    return journal_service.summary(session, redis, user, f)


@router.get("/analytics/daily", response_model=list[schemas.DailyPnl])
def analytics_daily(user: CurrentUser, session: SessionDep, f: Filters) -> list[schemas.DailyPnl]:
    """Realized P&L per day of exit, with the running total."""
    return journal_service.daily(session, user, f)

"""Watchlists CRUD; every answer carries live quotes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from paperdesk_api.deps import CurrentUser, RedisDep, SessionDep
from paperdesk_api.modules.watchlists import schemas
from paperdesk_api.modules.watchlists.service import watchlist as watchlist_service

router = APIRouter(prefix="/watchlists", tags=["watchlists"])


@router.get("", response_model=list[schemas.Watchlist])
def list_watchlists(
    user: CurrentUser, session: SessionDep, redis: RedisDep
) -> list[schemas.Watchlist]:
    """The caller's watchlists."""
    return watchlist_service.render(redis, watchlist_service.list_for_user(session, user))


@router.post("", response_model=schemas.Watchlist, status_code=status.HTTP_201_CREATED)
def create_watchlist(
    payload: schemas.WatchlistCreate, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> schemas.Watchlist:
    """Create a watchlist, optionally with symbols."""
    return watchlist_service.render_one(redis, watchlist_service.create(session, user, payload))


@router.get("/{watchlist_id}", response_model=schemas.Watchlist)
def get_watchlist(
    watchlist_id: uuid.UUID, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> schemas.Watchlist:
    """One watchlist with its items' latest quotes."""
    return watchlist_service.render_one(redis, watchlist_service.get(session, user, watchlist_id))


@router.patch("/{watchlist_id}", response_model=schemas.Watchlist)
def update_watchlist(
    watchlist_id: uuid.UUID,
    payload: schemas.WatchlistUpdate,
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
) -> schemas.Watchlist:
    """Rename a watchlist and/or replace (reorder) its symbols."""
    wl = watchlist_service.update(session, user, watchlist_id, payload)
    return watchlist_service.render_one(redis, wl)


@router.delete("/{watchlist_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_watchlist(watchlist_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a watchlist."""
    watchlist_service.delete(session, user, watchlist_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{watchlist_id}/items", response_model=schemas.Watchlist, status_code=status.HTTP_201_CREATED
)
def add_item(
    watchlist_id: uuid.UUID,
    payload: schemas.WatchlistItemCreate,
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
) -> schemas.Watchlist:
    """Append a symbol to a watchlist."""
    wl = watchlist_service.add_item(session, user, watchlist_id, payload.symbol)
    return watchlist_service.render_one(redis, wl)


@router.delete("/{watchlist_id}/items/{symbol}", response_model=schemas.Watchlist)
def remove_item(
    watchlist_id: uuid.UUID, symbol: str, user: CurrentUser, session: SessionDep, redis: RedisDep
) -> schemas.Watchlist:
    """Remove a symbol from a watchlist."""
    wl = watchlist_service.remove_item(session, user, watchlist_id, symbol)
    return watchlist_service.render_one(redis, wl)

"""Dashboard state: the user's watchlists, the selected one, and instrument search."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from paperdesk_web.api_client import ApiError, Watchlist
from paperdesk_web.states.live import LiveState

SEARCH_LIMIT = 8


@dataclasses.dataclass(frozen=True)
class WatchlistRef:
    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class InstrumentHit:
    symbol: str
    name: str
    asset_class: str


class DashboardState(LiveState):
    """Watchlists of the logged-in user; the tiles themselves live in `LiveState`."""

    watchlists: rx.Field[list[WatchlistRef]] = rx.field(default_factory=list)
    selected_id: rx.Field[str] = rx.field("")
    loaded: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    search_query: rx.Field[str] = rx.field("")
    search_results: rx.Field[list[InstrumentHit]] = rx.field(default_factory=list)
    search_message: rx.Field[str] = rx.field("")
    create_open: rx.Field[bool] = rx.field(False)
    rename_open: rx.Field[bool] = rx.field(False)
    delete_open: rx.Field[bool] = rx.field(False)
    dialog_error: rx.Field[str] = rx.field("")

    @rx.var
    def selected_name(self) -> str:
        """Name of the selected watchlist."""
        for ref in self.watchlists:
            if ref.id == self.selected_id:
                return ref.name
        return ""

    @rx.var
    def has_watchlists(self) -> bool:
        """Whether the user has any watchlist."""
        return bool(self.watchlists)

    def _set_refs(self, watchlists: list[Watchlist]) -> None:
        self.watchlists = [WatchlistRef(id=str(w["id"]), name=str(w["name"])) for w in watchlists]

    async def _open_selected(self) -> None:
        if not self.selected_id:
            self._show_watchlist({"id": "", "name": "", "items": []})
            return
        self._show_watchlist(await self.api().get_watchlist(self.selected_id))

    @rx.event
    async def load(self) -> None:
        """Load the watchlists and show the selected (or first) one."""
        if not self.token:
            return
        try:
            watchlists = await self.api().list_watchlists()
            self._set_refs(watchlists)
            ids = [ref.id for ref in self.watchlists]
            if self.selected_id not in ids:
                self.selected_id = ids[0] if ids else ""
            await self._open_selected()
            self.error = ""
        except ApiError as exc:
            self.error = exc.message
        self.loaded = True

    @rx.event
    async def select_watchlist(self, watchlist_id: str) -> None:
        """Show another watchlist."""
        self.selected_id = watchlist_id
        self._clear_search()
        try:
            await self._open_selected()
            self.error = ""
        except ApiError as exc:
            self.error = exc.message

    # Create / rename / delete dialogs.
    @rx.event
    def set_create_open(self, is_open: bool) -> None:
        """Open or close the new-watchlist dialog."""
        self.create_open = is_open
        self.dialog_error = ""

    @rx.event
    def set_rename_open(self, is_open: bool) -> None:
        """Open or close the rename dialog."""
        self.rename_open = is_open
        self.dialog_error = ""

    @rx.event
    def set_delete_open(self, is_open: bool) -> None:
        """Open or close the delete confirmation."""
        self.delete_open = is_open
        self.dialog_error = ""

    @rx.event
    async def create_watchlist(self, form_data: dict[str, Any]) -> None:
        """Create a watchlist from the dialog and select it."""
        name = str(form_data.get("name", "")).strip()
        if not name:
            self.dialog_error = "Enter a name"
            return
        try:
            created = await self.api().create_watchlist(name)
            self._set_refs(await self.api().list_watchlists())
        except ApiError as exc:
            self.dialog_error = exc.message
            return
        self.selected_id = str(created["id"])
        self._show_watchlist(created)
        self.create_open = False
        self.error = ""

    @rx.event
    async def rename_watchlist(self, form_data: dict[str, Any]) -> None:
        """Rename the selected watchlist."""
        name = str(form_data.get("name", "")).strip()
        if not name:
            self.dialog_error = "Enter a name"
            return
        try:
            await self.api().rename_watchlist(self.selected_id, name)
            self._set_refs(await self.api().list_watchlists())
        except ApiError as exc:
            self.dialog_error = exc.message
            return
        self.rename_open = False

    @rx.event
    async def delete_watchlist(self) -> None:
        """Delete the selected watchlist and show the next one."""
        try:
            await self.api().delete_watchlist(self.selected_id)
            self._set_refs(await self.api().list_watchlists())
            self.selected_id = self.watchlists[0].id if self.watchlists else ""
            await self._open_selected()
        except ApiError as exc:
            self.dialog_error = exc.message
            return
        self.delete_open = False

    # Instrument search and items.
    @rx.event
    async def search(self, query: str) -> AsyncGenerator[None]:
        """Type-ahead: find instruments for the query."""
        self.search_query = query
        text = query.strip()
        if not text:
            self.search_results = []
            self.search_message = ""
            return
        yield
        try:
            found = await self.api().search_instruments(text)
        except ApiError as exc:
            self.search_message = exc.message
            return
        if self.search_query.strip() != text:
            return  # a newer query is on its way
        present = set(self.watched)
        self.search_results = [
            InstrumentHit(
                symbol=str(hit["symbol"]),
                name=str(hit.get("name") or ""),
                asset_class=str(hit.get("asset_class") or ""),
            )
            for hit in found
            if str(hit["symbol"]) not in present
        ][:SEARCH_LIMIT]
        self.search_message = "" if self.search_results else f"No instrument matches “{text}”"

    def _clear_search(self) -> None:
        self.search_query = ""
        self.search_results = []
        self.search_message = ""

    @rx.event
    def clear_search(self) -> None:
        """Close the search results."""
        self._clear_search()

    @rx.event
    async def add_symbol(self, symbol: str) -> None:
        """Add an instrument to the selected watchlist."""
        if not self.selected_id:
            self.error = "Create a watchlist first"
            return
        try:
            await self.api().add_symbol(self.selected_id, symbol)
            await self._open_selected()
            self.error = ""
        except ApiError as exc:
            self.error = exc.message
            return
        self._clear_search()

    @rx.event
    async def remove_symbol(self, symbol: str) -> None:
        """Remove an instrument from the selected watchlist."""
        try:
            await self.api().remove_symbol(self.selected_id, symbol)
        except ApiError as exc:
            if exc.status != 404:
                self.error = exc.message
                return
        self.watched = [s for s in self.watched if s != symbol]
        self._refresh_tiles()
        self.error = ""

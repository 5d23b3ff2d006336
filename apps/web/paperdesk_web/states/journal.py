"""Journal state: the trade table, its filters and selection, tags, and the side panel.

Every change goes straight to the API (PATCH a trade, bulk-tag, import); the answer
replaces the trade in the table so the page never shows figures the API did not compute.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from paperdesk_web.api_client import ApiError, BacktestApi, JournalApi
from paperdesk_web.states._journal import (
    FILTER_FIELDS,
    SORT_KEYS,
    TradeDetail,
    TradeRow,
    chart_window,
    check_stop,
    parse_tags,
    trade_detail,
    trade_marks,
    trade_row,
)
from paperdesk_web.states._trading import EMPTY_CHART, ChartView, chart_view
from paperdesk_web.states.auth import AuthState

TRADE_LIMIT = 500
TAG_HINTS = 6
BAR_LIMIT = 400
PANEL_W, PANEL_H = 560, 260  # the side panel's chart view box (its text stays legible)


@dataclasses.dataclass(frozen=True)
class TagHint:
    name: str
    count: int


class JournalState(AuthState):
    """Everything the Journal screen shows."""

    loaded: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    rows: rx.Field[list[TradeRow]] = rx.field(default_factory=list)
    # Filters and sort (the API filters and sorts; the page sends them as query params).
    symbol_filter: rx.Field[str] = rx.field("")
    tag_filter: rx.Field[str] = rx.field("")
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    outcome: rx.Field[str] = rx.field("all")
    sort: rx.Field[str] = rx.field("-entry_time")
    # Selection and bulk tagging.
    selected_ids: rx.Field[list[str]] = rx.field(default_factory=list)
    bulk_tag_text: rx.Field[str] = rx.field("")
    # The inline tag editor of one row (a popover) and its autocomplete.
    tag_editor_id: rx.Field[str] = rx.field("")
    tag_draft: rx.Field[str] = rx.field("")
    tag_hints: rx.Field[list[TagHint]] = rx.field(default_factory=list)
    # The side panel.
    open_id: rx.Field[str] = rx.field("")
    detail: rx.Field[TradeDetail] = rx.field(default_factory=TradeDetail)
    notes: rx.Field[str] = rx.field("")
    rating: rx.Field[int] = rx.field(0)
    planned_stop: rx.Field[str] = rx.field("")
    setup: rx.Field[str] = rx.field("")
    saving: rx.Field[bool] = rx.field(False)
    save_message: rx.Field[str] = rx.field("")
    panel_error: rx.Field[str] = rx.field("")
    chart: rx.Field[ChartView] = rx.field(default_factory=lambda: EMPTY_CHART)
    chart_message: rx.Field[str] = rx.field("")
    chart_timeframe: rx.Field[str] = rx.field("")
    importing: rx.Field[bool] = rx.field(False)

    _trades: list[dict[str, Any]] = []

    def journal_api(self) -> JournalApi:
        return JournalApi(self.token)

    @rx.var
    def filtering(self) -> bool:
        """Whether any filter narrows the table (an empty table then is no empty journal)."""
        return bool(
            self.symbol_filter
            or self.tag_filter
            or self.date_from
            or self.date_to
            or self.outcome != "all"
        )

    @rx.var
    def all_selected(self) -> bool:
        """Whether every shown trade is selected."""
        return bool(self.rows) and len(self.selected_ids) == len(self.rows)

    def _filters(self) -> dict[str, str]:
        return {
            "symbol": self.symbol_filter.strip().upper(),
            "tag": self.tag_filter.strip().lower(),
            "from": self.date_from,
            "to": self.date_to,
            "outcome": "" if self.outcome == "all" else self.outcome,
            "sort": self.sort,
            "limit": str(TRADE_LIMIT),
        }

    def _set_trades(self, trades: list[dict[str, Any]]) -> None:
        self._trades = trades
        self.rows = [trade_row(t) for t in trades]
        shown = {t["id"] for t in trades}
        self.selected_ids = [i for i in self.selected_ids if i in shown]

    def _replace_trade(self, trade: dict[str, Any]) -> None:
        self._set_trades([trade if t["id"] == trade["id"] else t for t in self._trades])
        if trade["id"] == self.open_id:
            self.detail = trade_detail(trade)

    def _trade(self, trade_id: str) -> dict[str, Any] | None:
        return next((t for t in self._trades if t["id"] == trade_id), None)

    async def _reload(self) -> None:
        try:
            trades = await self.journal_api().list_trades(self._filters())
        except ApiError as exc:
            self.error = exc.message
            self.loaded = True
            return
        self.error = ""
        self._set_trades([dict(t) for t in trades])
        self.loaded = True

    @rx.event
    async def load(self) -> None:
        """On-load of the Journal page."""
        if not self.token:
            return
        self.notice = ""
        await self._reload()
        if self.open_id and self._trade(self.open_id) is None:
            self.open_id = ""

    # Filters and sort.
    @rx.event
    async def set_filter(self, name: str, value: str) -> None:
        """Change one filter (symbol, tag, dates, outcome) and reload the table."""
        if name in (*FILTER_FIELDS, "outcome"):
            setattr(self, name, value)
            await self._reload()

    @rx.event
    async def clear_filters(self) -> None:
        """Show every trade again."""
        self.symbol_filter = self.tag_filter = self.date_from = self.date_to = ""
        self.outcome = "all"
        await self._reload()

    @rx.event
    async def sort_by(self, key: str) -> None:
        """Sort by a column; a second click reverses it."""
        if key not in SORT_KEYS:
            return
        self.sort = f"-{key}" if self.sort == key else key
        await self._reload()

    # Selection and bulk tags.
    @rx.event
    def toggle_selected(self, trade_id: str, checked: bool) -> None:
        """Select or unselect one trade."""
        rest = [i for i in self.selected_ids if i != trade_id]
        self.selected_ids = [*rest, trade_id] if checked else rest

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        """Select or unselect every shown trade."""
        self.selected_ids = [row.id for row in self.rows] if checked else []

    @rx.event
    def clear_selection(self) -> None:
        """Unselect everything."""
        self.selected_ids = []

    @rx.event
    def set_bulk_tag_text(self, value: str) -> None:
        """The tags of the bulk bar."""
        self.bulk_tag_text = value

    async def _bulk(self, *, remove: bool) -> None:
        tags = parse_tags(self.bulk_tag_text)
        if not tags or not self.selected_ids:
            self.error = "Type a tag and select trades first"
            return
        api = self.journal_api()
        try:
            if remove:
                count = await api.bulk_tag(list(self.selected_ids), remove=tags)
            else:
                count = await api.bulk_tag(list(self.selected_ids), add=tags)
        except ApiError as exc:
            self.error = exc.message
            return
        verb = "Removed" if remove else "Added"
        self.notice = f"{verb} {', '.join(tags)} on {count} trade{'s' if count != 1 else ''}"
        self.bulk_tag_text = ""
        await self._reload()

    @rx.event
    async def bulk_add(self) -> None:
        """Add the typed tags to every selected trade."""
        await self._bulk(remove=False)

    @rx.event
    async def bulk_remove(self) -> None:
        """Remove the typed tags from every selected trade."""
        await self._bulk(remove=True)

    # The inline tag editor.
    @rx.event
    def toggle_tag_editor(self, trade_id: str, is_open: bool) -> None:
        """Open (or close) the tag editor of a row.

        A row's editor that closed as another one opened may report it late: that close
        leaves the open editor alone.
        """
        if not is_open and self.tag_editor_id != trade_id:
            return
        self.tag_editor_id = trade_id if is_open else ""
        self.tag_draft = ""
        self.tag_hints = []

    @rx.event
    async def set_tag_draft(self, value: str) -> AsyncGenerator[None]:
        """Type-ahead: suggest the tags already in use that start with what is typed."""
        self.tag_draft = value
        prefix = value.strip().lower()
        yield
        try:
            found = await self.journal_api().tags(prefix)
        except ApiError:
            return
        if self.tag_draft.strip().lower() != prefix:
            return  # a newer keystroke is on its way
        trade = self._trade(self.tag_editor_id) or {}
        have = set(trade.get("tags") or [])
        self.tag_hints = [
            TagHint(str(t["name"]), int(t.get("count") or 0))
            for t in found
            if t["name"] not in have
        ][:TAG_HINTS]

    async def _patch(self, trade_id: str, changes: dict[str, Any]) -> bool:
        try:
            trade = await self.journal_api().update_trade(trade_id, changes)
        except ApiError as exc:
            self.error = exc.message
            return False
        self.error = ""
        self._replace_trade(dict(trade))
        return True

    async def _add_tags(self, trade_id: str, text: str) -> None:
        trade = self._trade(trade_id)
        new = parse_tags(text)
        if trade is None or not new:
            return
        tags = list(trade.get("tags") or [])
        tags += [t for t in new if t not in tags]
        if await self._patch(trade_id, {"tags": tags}):
            self.tag_editor_id = ""
            self.tag_draft = ""
            self.tag_hints = []

    @rx.event
    async def add_tag(self, trade_id: str, text: str) -> None:
        """Add one or more (comma separated) tags to a trade (a suggestion's button)."""
        await self._add_tags(trade_id, text)

    @rx.event
    async def submit_tag(self, form: dict[str, Any]) -> None:
        """Enter (or the Add button) in a row's tag editor."""
        await self._add_tags(self.tag_editor_id, str(form.get("tag") or self.tag_draft))

    @rx.event
    async def remove_tag(self, trade_id: str, tag: str) -> None:
        """Take a tag off a trade."""
        trade = self._trade(trade_id)
        if trade is not None:
            tags = [t for t in trade.get("tags") or [] if t != tag]
            await self._patch(trade_id, {"tags": tags})

    # The side panel.
    @rx.event
    async def open_trade(self, trade_id: str) -> AsyncGenerator[None]:
        """Show a trade's journal, figures and chart in the side panel."""
        trade = self._trade(trade_id)
        if trade is None:
            return
        self.open_id = trade_id
        self.detail = trade_detail(trade)
        self.notes = str(trade.get("notes") or "")
        self.rating = int(trade.get("rating") or 0)
        self.planned_stop = str(trade.get("planned_stop") or "")
        self.setup = str(trade.get("setup") or "")
        self.save_message = ""
        self.panel_error = ""
        self.chart = EMPTY_CHART
        self.chart_message = ""
        yield
        await self._load_chart(trade)

    async def _load_chart(self, trade: dict[str, Any]) -> None:
        window = chart_window(trade, datetime.now(UTC))
        if window is None:
            self.chart_message = "No entry time to chart"
            return
        timeframe, start, end = window
        try:
            bars = await BacktestApi(self.token).history_bars(
                str(trade["symbol"]), timeframe=timeframe, start=start, end=end, limit=BAR_LIMIT
            )
        except ApiError as exc:
            self.chart_message = exc.message
            return
        if trade["id"] != self.open_id:
            return
        self.chart_timeframe = timeframe
        self.chart = chart_view(bars, trade_marks(trade), timeframe, width=PANEL_W, height=PANEL_H)
        self.chart_message = "" if bars else f"No {timeframe} bars around this trade"

    @rx.event
    def close_panel(self) -> None:
        """Hide the side panel."""
        self.open_id = ""

    @rx.event
    def set_notes(self, value: str) -> None:
        """The Markdown notes (the preview follows)."""
        self.notes = value
        self.save_message = ""

    @rx.event
    def set_rating(self, value: int) -> None:
        """1 to 5; choosing the current rating again clears it."""
        self.rating = 0 if value == self.rating else value
        self.save_message = ""

    @rx.event
    def set_planned_stop(self, value: str) -> None:
        """The stop planned at entry (for the R-multiple)."""
        self.planned_stop = value
        self.save_message = ""

    @rx.event
    def set_setup(self, value: str) -> None:
        """The setup's name."""
        self.setup = value
        self.save_message = ""

    @rx.event
    async def save_journal(self) -> AsyncGenerator[None]:
        """Save notes, rating, planned stop and setup of the open trade."""
        stop, problem = check_stop(self.planned_stop)
        if problem:
            self.panel_error = problem
            return
        self.saving = True
        self.panel_error = ""
        yield
        changes = {
            "notes": self.notes,
            "rating": self.rating or None,
            "planned_stop": stop,
            "setup": self.setup.strip() or None,
        }
        try:
            trade = await self.journal_api().update_trade(self.open_id, changes)
        except ApiError as exc:
            self.panel_error = exc.message
        else:
            self._replace_trade(dict(trade))
            self.save_message = "Saved"
        finally:
            self.saving = False

    # CSV.
    @rx.event
    async def export_csv(self) -> Any:
        """Download every trade with its journal fields as CSV."""
        try:
            text = await self.journal_api().export_csv()
        except ApiError as exc:
            self.error = exc.message
            return None
        return rx.download(data=text, filename="paperdesk-trades.csv", mime_type="text/csv")

    @rx.event
    async def import_csv(self, files: list[rx.UploadFile]) -> AsyncGenerator[None]:
        """Import trades, or journal fields of existing ones, from an uploaded CSV file."""
        if not files:
            return
        self.importing = True
        self.notice = ""
        yield
        try:
            text = (await files[0].read()).decode("utf-8-sig")
            answer = await self.journal_api().import_csv(text)
        except UnicodeDecodeError:
            self.error = "The file is not UTF-8 text"
            return
        except ApiError as exc:
            self.error = exc.message
            return
        finally:
            self.importing = False
        self.error = ""
        self.notice = (
            f"Imported: {answer.get('created', 0)} new, {answer.get('updated', 0)} updated"
        )
        await self._reload()

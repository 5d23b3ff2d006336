"""Analytics state: summary cards, P&L breakdowns, the cumulative curve and the calendar."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from paperdesk_web.api_client import ApiError, JournalApi
from paperdesk_web.states._backtest import MetricCard
from paperdesk_web.states._journal import (
    FILTER_FIELDS,
    GROUP_LABEL,
    HOURS,
    WEEKDAYS,
    CalendarWeek,
    GroupRow,
    bar_rows,
    calendar_weeks,
    cumulative_rows,
    group_keys,
    group_row,
    summary_cards,
)
from paperdesk_web.states.auth import AuthState


class AnalyticsState(AuthState):
    """Everything the Analytics screen shows, for the chosen filters."""

    loaded: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    # Filters.
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    symbol_filter: rx.Field[str] = rx.field("")
    tag_filter: rx.Field[str] = rx.field("")
    group_by: rx.Field[str] = rx.field("tag")
    # Figures.
    closed_trades: rx.Field[int] = rx.field(0)
    open_trades: rx.Field[int] = rx.field(0)
    cards: rx.Field[list[MetricCard]] = rx.field(default_factory=list)
    groups: rx.Field[list[GroupRow]] = rx.field(default_factory=list)
    group_bars: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    weekday_bars: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    hour_bars: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    curve: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    weeks: rx.Field[list[CalendarWeek]] = rx.field(default_factory=list)

    @rx.var
    def group_label(self) -> str:
        """The breakdown's name: "Tag", "Weekday", ..."""
        return GROUP_LABEL.get(self.group_by, self.group_by)

    @rx.var
    def filtering(self) -> bool:
        """Whether a filter narrows the figures."""
        return bool(self.date_from or self.date_to or self.symbol_filter or self.tag_filter)

    def _filters(self) -> dict[str, str]:
        return {
            "from": self.date_from,
            "to": self.date_to,
            "symbol": self.symbol_filter.strip().upper(),
            "tag": self.tag_filter.strip().lower(),
        }

    async def _reload(self) -> None:
        api = JournalApi(self.token)
        filters = self._filters()
        try:
            summary, groups, weekdays, hours, daily = await asyncio.gather(
                api.analytics_summary(filters),
                api.analytics(self.group_by, filters),
                api.analytics("weekday", filters),
                api.analytics("hour", filters),
                api.analytics_daily(filters),
            )
        except ApiError as exc:
            self.error = exc.message
            self.loaded = True
            return
        self.loaded = True
        self.error = ""
        self.closed_trades = int(summary.get("trades") or 0)
        self.open_trades = int(summary.get("open_trades") or 0)
        self.cards = summary_cards(summary)
        self.groups = [group_row(g) for g in groups]
        self.group_bars = bar_rows(groups, group_keys(self.group_by))
        self.weekday_bars = bar_rows(weekdays, WEEKDAYS)
        self.hour_bars = bar_rows(hours, HOURS)
        self.curve = cumulative_rows(daily)
        self.weeks = calendar_weeks(daily)

    @rx.event
    async def load(self) -> None:
        """On-load of the Analytics page."""
        if self.token:
            await self._reload()

    @rx.event
    async def set_group_by(self, value: str) -> None:
        """Break the P&L down by tag, symbol, side, weekday, hour or holding time."""
        if value in GROUP_LABEL:
            self.group_by = value
            await self._reload()

    @rx.event
    async def set_filter(self, name: str, value: str) -> None:
        """Change one filter (symbol, tag, dates) and reload the figures."""
        if name in FILTER_FIELDS:
            setattr(self, name, value)
            await self._reload()

    @rx.event
    async def clear_filters(self) -> None:
        """All trades again."""
        self.date_from = self.date_to = self.symbol_filter = self.tag_filter = ""
        await self._reload()

# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Calendar heatmap of daily realized P&L: one row per week, Monday first."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.states._journal import WEEKDAYS, CalendarDay, CalendarWeek

CELL = "34px"
LABEL_W = "72px"


def _day(day: ObjectVar[CalendarDay]) -> rx.Component:
    return rx.cond(
        day.date != "",
        rx.center(
            rx.text(day.day, size="1", weight="medium", color=day.text_color),
            title=day.title,
            aria_label=day.title,
            role="gridcell",
            width=CELL,
            height=CELL,
            border_radius="5px",
            background=day.color,
            data_testid="calendar-day",
        ),
        rx.box(width=CELL, height=CELL, role="gridcell"),
    )


def _week(week: ObjectVar[CalendarWeek]) -> rx.Component:
    return rx.hstack(
        rx.text(week.label, size="1", color=rx.color("gray", 10), width=LABEL_W, role="rowheader"),
        rx.foreach(week.days, _day),
        spacing="1",
        align="center",
        role="row",
    )


def _legend_swatch(color: str) -> rx.Component:
    return rx.box(width="12px", height="12px", border_radius="3px", background=color)


def pnl_calendar(weeks: Any) -> rx.Component:
    """The heatmap card: a cell per day colored by its P&L (hover for the figure)."""
    header = rx.hstack(
        rx.box(width=LABEL_W),
        *[
            rx.text(d, size="1", color=rx.color("gray", 10), width=CELL, text_align="center")
            for d in WEEKDAYS
        ],
        spacing="1",
        role="row",
    )
    legend = rx.hstack(
        rx.text("Loss", size="1", color=rx.color("gray", 10)),
        *[_legend_swatch(f"var(--tomato-{s})") for s in (10, 8, 6, 4)],
        _legend_swatch("var(--gray-5)"),
        *[_legend_swatch(f"var(--grass-{s})") for s in (4, 6, 8, 10)],
        rx.text("Profit", size="1", color=rx.color("gray", 10)),
        spacing="1",
        align="center",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Daily P&L calendar", size="3", as_="h3"),
                rx.spacer(),
                legend,
                align="center",
                width="100%",
            ),
            rx.cond(
                weeks.length() > 0,
                rx.vstack(
                    header,
                    rx.foreach(weeks, _week),
                    spacing="1",
                    role="grid",
                    aria_label="Daily P&L calendar",
                    overflow_x="auto",
                    max_width="100%",
                ),
                rx.text("No closed trades in this period.", size="2", color=rx.color("gray", 10)),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )

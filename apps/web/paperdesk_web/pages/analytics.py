# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Analytics: which tags, symbols, days and hours make and lose money."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.backtest_results import metric_card, table_caption
from paperdesk_web.components.empty_state import empty_state
from paperdesk_web.components.forms import form_error, labeled_select
from paperdesk_web.components.pnl_calendar import pnl_calendar
from paperdesk_web.components.pnl_charts import cumulative_card, pnl_bar_card, pnl_bars
from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.components.trade_filters import filter_bar
from paperdesk_web.pages._template import template
from paperdesk_web.states._journal import GROUPS, GroupRow
from paperdesk_web.states.analytics import AnalyticsState

S = AnalyticsState
# (header, field of GroupRow) of the breakdown table after its key column.
COLUMNS = (
    ("Trades", "trades"),
    ("Win rate", "win_rate"),
    ("Avg win", "avg_win"),
    ("Avg loss", "avg_loss"),
    ("Profit factor", "profit_factor"),
    ("Expectancy", "expectancy"),
    ("Largest win", "largest_win"),
    ("Largest loss", "largest_loss"),
    ("Max consec. losses", "max_consecutive_losses"),
)


def summary() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(S.cards, metric_card),
            grid_template_columns="repeat(auto-fill, minmax(124px, 1fr))",
            spacing="2",
            width="100%",
        ),
        rx.cond(
            S.open_trades > 0,
            rx.text(
                S.open_trades,
                " open trade(s) are not counted until they close.",
                size="1",
                color=rx.color("gray", 10),
            ),
        ),
        spacing="2",
        width="100%",
        role="region",
        aria_label="Summary",
    )


def group_line(row: ObjectVar[GroupRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(row.key, weight="medium")),
        rx.table.cell(
            row.pnl,
            color=direction_color(row.direction),
            class_name="pd-num",
            text_align="right",
            white_space="nowrap",
            aria_label=f"Net P&L of {row.key}",
        ),
        *[
            rx.table.cell(
                getattr(row, field), class_name="pd-num", text_align="right", white_space="nowrap"
            )
            for _, field in COLUMNS
        ],
        align="center",
    )


def breakdown() -> rx.Component:
    """P&L by the chosen grouping: a bar chart and the full table."""
    table = rx.box(
        rx.table.root(
            table_caption("Breakdown"),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(S.group_label),
                    rx.table.column_header_cell("Net P&L", text_align="right"),
                    *[
                        rx.table.column_header_cell(title, text_align="right")
                        for title, _ in COLUMNS
                    ],
                )
            ),
            rx.table.body(rx.foreach(S.groups, group_line)),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("P&L by ", S.group_label.lower(), size="3", as_="h2"),
                rx.spacer(),
                rx.box(
                    labeled_select(
                        "Group by",
                        select_id="analytics-group",
                        options=list(GROUPS),
                        value=S.group_by,
                        on_change=S.set_group_by,
                        size="2",
                    ),
                    width="200px",
                ),
                align="end",
                width="100%",
            ),
            rx.cond(
                S.groups.length() > 0,
                rx.vstack(
                    pnl_bars(S.group_bars, label="P&L by group chart"),
                    table,
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    rx.cond(
                        S.group_by == "tag",
                        "No tagged trades yet. Tag trades in the Journal to compare setups.",
                        "No closed trades to group.",
                    ),
                    size="2",
                    color=rx.color("gray", 10),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        role="region",
        aria_label="Breakdown",
    )


def figures() -> rx.Component:
    return rx.vstack(
        summary(),
        breakdown(),
        rx.grid(
            pnl_bar_card("P&L by weekday", S.weekday_bars),
            pnl_bar_card("P&L by hour of entry (UTC)", S.hour_bars),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            cumulative_card(S.curve),
            pnl_calendar(S.weeks),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@template(route="/analytics", title="Analytics", on_load=[S.load])
def analytics() -> rx.Component:
    """Summary cards, breakdowns, the P&L curve and calendar, or what to do first."""
    return rx.vstack(
        filter_bar(S, prefix="analytics", label="Filter analytics"),
        form_error(S.error),
        rx.cond(
            S.loaded,
            rx.cond(
                (S.closed_trades > 0) | S.filtering,
                figures(),
                empty_state(
                    "chart_line",
                    "No closed trades to measure yet",
                    "Place a trade on the Trade screen and close it; win rate, P&L by tag, "
                    "weekday and hour, and your P&L calendar appear here. Tag trades in the "
                    "Journal to see which setups pay.",
                    href="/trade",
                    action="Go to the Trade screen",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding_y="48px", width="100%"),
        ),
        spacing="4",
        width="100%",
    )

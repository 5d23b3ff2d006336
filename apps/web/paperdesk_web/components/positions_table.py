# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Open positions with live unrealized P&L."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.states._trading import PositionRow
from paperdesk_web.states.trade import TradeState

S = TradeState


def sr_only(text: str) -> rx.Component:
    """Text for screen readers only (a column header of buttons, say)."""
    return rx.el.span(
        text,
        position="absolute",
        width="1px",
        height="1px",
        overflow="hidden",
        clip="rect(0 0 0 0)",
        white_space="nowrap",
    )


def num_cell(value: rx.Var[str], **props: object) -> rx.Component:
    return rx.table.cell(value, class_name="pd-num", text_align="right", **props)


def num_header(label: str) -> rx.Component:
    return rx.table.column_header_cell(label, text_align="right")


def position_line(row: ObjectVar[PositionRow], *, closable: bool) -> rx.Component:
    color = direction_color(row.direction)
    cells = [
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(row.symbol, weight="bold"),
                rx.cond(row.side == "short", rx.badge("Short", color_scheme="orange", size="1")),
                spacing="2",
                align="center",
            )
        ),
        num_cell(row.qty),
        num_cell(row.avg_price),
        num_cell(row.last, data_testid=f"position-last-{row.symbol}"),
        num_cell(row.market_value),
        rx.table.cell(
            rx.vstack(
                rx.text(
                    row.unrealized,
                    color=color,
                    weight="medium",
                    data_testid=f"position-pnl-{row.symbol}",
                    aria_label=f"{row.symbol} unrealized P&L",
                ),
                rx.text(row.unrealized_pct, size="1", color=color),
                spacing="0",
                align="end",
            ),
            class_name="pd-num",
            text_align="right",
        ),
    ]
    if closable:
        cells.append(
            rx.table.cell(
                rx.button(
                    "Close",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    aria_label=f"Close {row.symbol} position",
                    on_click=S.close_position(row.symbol),  # type: ignore[operator]
                ),
                text_align="right",
            )
        )
    return rx.table.row(*cells, align="center")


def positions_table(*, closable: bool = True) -> rx.Component:
    """The positions, or a hint when there are none."""
    headers = [
        rx.table.column_header_cell("Symbol"),
        num_header("Qty"),
        num_header("Avg price"),
        num_header("Last"),
        num_header("Market value"),
        num_header("Unrealized P&L"),
    ]
    if closable:
        headers.append(rx.table.column_header_cell(sr_only("Actions"), width="72px"))
    return rx.cond(
        S.position_rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(
                rx.foreach(S.position_rows, lambda r: position_line(r, closable=closable))
            ),
            size="1",
            width="100%",
        ),
        rx.text(
            "No open positions. Orders you fill show up here with live P&L.",
            size="2",
            color=rx.color("gray", 10),
            padding_y="12px",
        ),
    )

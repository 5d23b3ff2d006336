# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Orders (open ones with a Cancel button) and the activity log."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.positions_table import sr_only
from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.states._trading import ActivityRow, OrderRow
from paperdesk_web.states.trade import TradeState

S = TradeState


def side_badge(side: rx.Var[str]) -> rx.Component:
    return rx.badge(
        side.upper(),  # type: ignore[attr-defined]
        color_scheme=rx.match(side, ("buy", "grass"), ("sell", "tomato"), "gray"),
        variant="soft",
        size="1",
    )


def status_badge(row: ObjectVar[OrderRow]) -> rx.Component:
    scheme = rx.match(
        row.status,
        ("filled", "grass"),
        ("rejected", "red"),
        ("canceled", "gray"),
        ("expired", "gray"),
        ("partially_filled", "amber"),
        "blue",
    )
    return rx.badge(row.status_label, color_scheme=scheme, variant="surface", size="1")


def _num(value: rx.Var[str]) -> rx.Component:
    return rx.table.cell(value, class_name="pd-num", text_align="right")


def order_line(row: ObjectVar[OrderRow], *, cancel: bool) -> rx.Component:
    cells = [
        rx.table.cell(row.time, class_name="pd-num", color=rx.color("gray", 11)),
        rx.table.row_header_cell(rx.text(row.symbol, weight="bold")),
        rx.table.cell(side_badge(row.side)),
        rx.table.cell(row.type_label),
        _num(row.qty),
        _num(row.filled),
        _num(row.price),
        rx.table.cell(row.tif),
        rx.table.cell(
            rx.vstack(
                status_badge(row),
                rx.cond(
                    row.reason != "",
                    rx.text(row.reason, size="1", color=rx.color("red", 11), max_width="260px"),
                ),
                spacing="1",
            )
        ),
    ]
    if cancel:
        cells.append(
            rx.table.cell(
                rx.button(
                    "Cancel",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label=row.cancel_label,
                    on_click=S.cancel_order(row.id),  # type: ignore[operator]
                ),
                text_align="right",
            )
        )
    return rx.table.row(*cells, align="center")


def orders_table(rows: Any, *, cancel: bool, label: str, empty: str) -> rx.Component:
    headers = [
        rx.table.column_header_cell("Time"),
        rx.table.column_header_cell("Symbol"),
        rx.table.column_header_cell("Side"),
        rx.table.column_header_cell("Type"),
        rx.table.column_header_cell("Qty", text_align="right"),
        rx.table.column_header_cell("Filled", text_align="right"),
        rx.table.column_header_cell("Price", text_align="right"),
        rx.table.column_header_cell("TIF"),
        rx.table.column_header_cell("Status"),
    ]
    if cancel:
        headers.append(rx.table.column_header_cell(sr_only("Actions"), width="80px"))
    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(rx.foreach(rows, lambda r: order_line(r, cancel=cancel))),
            size="1",
            width="100%",
            role="region",
            aria_label=label,
        ),
        rx.text(empty, size="2", color=rx.color("gray", 10), padding_y="12px"),
    )


def open_orders_table() -> rx.Component:
    return orders_table(S.open_orders, cancel=True, label="Open orders", empty="No working orders.")


def recent_orders_table() -> rx.Component:
    return orders_table(
        S.recent_orders, cancel=False, label="Order history", empty="No orders yet."
    )


def activity_line(row: ObjectVar[ActivityRow]) -> rx.Component:
    return rx.hstack(
        rx.text(
            row.time, size="1", class_name="pd-num", color=rx.color("gray", 10), min_width="92px"
        ),
        rx.badge(row.kind, variant="soft", color_scheme="gray", size="1"),
        rx.text(row.text, size="2", class_name="pd-num"),
        rx.spacer(),
        rx.text(row.amount, size="2", class_name="pd-num", color=direction_color(row.direction)),
        align="center",
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def activity_log() -> rx.Component:
    return rx.cond(
        S.activity.length() > 0,
        rx.vstack(
            rx.foreach(S.activity, activity_line),
            spacing="0",
            width="100%",
            role="log",
            aria_label="Activity log",
        ),
        rx.text(
            "Fills and cash events appear here.",
            size="2",
            color=rx.color("gray", 10),
            padding_y="12px",
        ),
    )

# mypy: disable-error-code="no-any-return,operator"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars are typed for pyright, not mypy.)
"""The journal's trade table: sortable columns, row selection, inline tags, bulk tagging."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.backtest_results import table_caption
from paperdesk_web.components.forms import labeled_input
from paperdesk_web.components.positions_table import sr_only
from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.components.tag_editor import tag_cell
from paperdesk_web.states._journal import TradeRow
from paperdesk_web.states.journal import JournalState

S = JournalState
MUTED = rx.color("gray", 10)
# Exit and quantity make room for the side panel (it shows both).
WIDE_ONLY = rx.cond(S.open_id != "", "none", "table-cell")


def _sort_icon(key: str) -> rx.Component:
    return rx.cond(
        S.sort == key,
        rx.icon("arrow_up", size=12),
        rx.cond(
            S.sort == f"-{key}",
            rx.icon("arrow_down", size=12),
            rx.icon("arrow_up_down", size=12, color=MUTED),
        ),
    )


def sort_header(label: str, key: str, *, align: str = "left") -> rx.Component:
    """A column header that sorts by its column (again: the other way)."""
    return rx.table.column_header_cell(
        rx.button(
            label,
            _sort_icon(key),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=S.sort_by(key),
            aria_label=f"Sort by {label}",
            type="button",
        ),
        aria_sort=rx.cond(
            S.sort == key, "ascending", rx.cond(S.sort == f"-{key}", "descending", "none")
        ),
        text_align=align,
    )


def _two_lines(top: Any, bottom: Any, *, align: str = "start") -> rx.Component:
    return rx.vstack(
        rx.text(top, size="2", white_space="nowrap"),
        rx.text(bottom, size="1", color=MUTED, class_name="pd-num", white_space="nowrap"),
        spacing="0",
        align=align,
    )


def trade_line(row: ObjectVar[TradeRow]) -> rx.Component:
    color = direction_color(row.direction)
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=S.selected_ids.contains(row.id),
                on_change=lambda checked: S.toggle_selected(row.id, checked),
                aria_label=f"Select {row.name}",
            )
        ),
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(row.symbol, weight="bold"),
                rx.badge(
                    row.side,
                    color_scheme=rx.cond(row.side == "short", "orange", "cyan"),
                    variant="soft",
                    size="1",
                ),
                rx.cond(row.status == "open", rx.badge("open", color_scheme="amber", size="1")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(_two_lines(row.entry_time, row.entry_price)),
        rx.table.cell(_two_lines(row.exit_time, row.exit_price), display=WIDE_ONLY),
        rx.table.cell(row.qty, class_name="pd-num", text_align="right", display=WIDE_ONLY),
        rx.table.cell(
            rx.vstack(
                rx.text(
                    row.pnl,
                    color=color,
                    weight="medium",
                    white_space="nowrap",
                    aria_label=f"P&L of {row.name}",
                ),
                rx.text(row.pnl_pct, size="1", color=color),
                spacing="0",
                align="end",
            ),
            class_name="pd-num",
            text_align="right",
        ),
        rx.table.cell(tag_cell(row), min_width="120px"),
        rx.table.cell(
            rx.text(row.rating, color=rx.color("amber", 10), white_space="nowrap"),
            aria_label=f"Rating of {row.name}",
        ),
        rx.table.cell(
            rx.button(
                "Review",
                size="1",
                variant=rx.cond(S.open_id == row.id, "solid", "soft"),
                aria_label=f"Review {row.name}",
                on_click=S.open_trade(row.id),
                type="button",
            ),
            text_align="right",
        ),
        align="center",
        background=rx.cond(S.open_id == row.id, rx.color("teal", 2), "transparent"),
        data_testid="trade-row",
    )


def trade_table() -> rx.Component:
    """The trades shown by the filters, newest first unless sorted otherwise."""
    return rx.box(
        rx.table.root(
            table_caption("Trades"),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.checkbox(
                            checked=S.all_selected,
                            on_change=S.toggle_all,
                            aria_label="Select all trades",
                        ),
                        width="36px",
                    ),
                    sort_header("Symbol", "symbol"),
                    sort_header("Entry", "entry_time"),
                    rx.table.column_header_cell("Exit", display=WIDE_ONLY),
                    rx.table.column_header_cell("Qty", text_align="right", display=WIDE_ONLY),
                    sort_header("P&L", "pnl", align="right"),
                    rx.table.column_header_cell("Tags"),
                    rx.table.column_header_cell("Rating"),
                    rx.table.column_header_cell(sr_only("Actions"), width="72px"),
                )
            ),
            rx.table.body(rx.foreach(S.rows, trade_line)),
            size="1",
            width="100%",
            aria_label="Trades",
        ),
        overflow_x="auto",
        width="100%",
    )


def bulk_bar() -> rx.Component:
    """Tag or untag every selected trade at once (shown while trades are selected)."""
    return rx.cond(
        S.selected_ids.length() > 0,
        rx.hstack(
            rx.text(
                S.selected_ids.length(),
                " selected",
                size="2",
                weight="medium",
                white_space="nowrap",
                padding_bottom="8px",
            ),
            rx.box(
                labeled_input(
                    "Tags for selected trades",
                    input_id="bulk-tags",
                    name="bulk-tags",
                    placeholder="e.g. breakout, morning",
                    value=S.bulk_tag_text,
                    on_change=S.set_bulk_tag_text,
                    debounce_timeout=150,
                    size="2",
                ),
                width="260px",
            ),
            rx.button("Add to selected", size="2", on_click=S.bulk_add, type="button"),
            rx.button(
                "Remove from selected",
                size="2",
                variant="soft",
                color_scheme="tomato",
                on_click=S.bulk_remove,
                type="button",
            ),
            rx.button(
                "Clear selection",
                size="2",
                variant="ghost",
                color_scheme="gray",
                on_click=S.clear_selection,
                type="button",
            ),
            align="end",
            spacing="3",
            wrap="wrap",
            width="100%",
            padding="10px 12px",
            border_radius="8px",
            background=rx.color("teal", 2),
            border=f"1px solid {rx.color('teal', 5)}",
            role="region",
            aria_label="Bulk tagging",
        ),
    )

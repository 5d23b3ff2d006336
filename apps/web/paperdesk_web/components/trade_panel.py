# mypy: disable-error-code="no-any-return,operator"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars are typed for pyright, not mypy.)
"""The side panel of one trade: its chart, figures and journal (notes, rating, stop, setup)."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.forms import field_label, form_error, labeled_input
from paperdesk_web.components.price_chart import candle_chart, legend_dot
from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.states._journal import TradeDetail
from paperdesk_web.states._trading import ChartView
from paperdesk_web.states.journal import JournalState

S = JournalState
# Reflex types dataclass fields as arrays for mypy; they are object vars.
DETAIL = cast(ObjectVar[TradeDetail], S.detail)
CHART = cast(ObjectVar[ChartView], S.chart)
MUTED = rx.color("gray", 10)


def figure(label: str, value: Any, **props: Any) -> rx.Component:
    """A small labelled figure of the trade."""
    return rx.vstack(
        rx.text(label, size="1", color=MUTED),
        rx.text(value, size="2", weight="medium", class_name="pd-num", **props),
        spacing="0",
        role="group",
        aria_label=label,
    )


def trade_figures() -> rx.Component:
    return rx.grid(
        figure(
            "Net P&L",
            rx.text.span(DETAIL.pnl, " ", rx.text.span(DETAIL.pnl_pct, size="1")),
            color=direction_color(DETAIL.direction),
        ),
        figure("R-multiple", DETAIL.r_multiple),
        figure("Quantity", DETAIL.qty),
        figure("Entry", DETAIL.entry),
        figure("Exit", DETAIL.exit),
        figure("Holding time", DETAIL.holding),
        figure("MAE (worst)", DETAIL.mae),
        figure("MFE (best)", DETAIL.mfe),
        figure("Gross P&L · fees", rx.text.span(DETAIL.gross_pnl, " · ", DETAIL.fees)),
        columns="3",
        spacing="3",
        width="100%",
    )


def trade_chart() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(DETAIL.symbol, " · ", S.chart_timeframe, size="2", weight="medium"),
            rx.spacer(),
            legend_dot(rx.color("cyan", 9), "Buy"),
            legend_dot(rx.color("orange", 9), "Sell"),
            align="center",
            spacing="3",
            width="100%",
        ),
        candle_chart(
            CHART,
            label=f"Price chart of the {DETAIL.name} trade with its entry and exit",
            message=S.chart_message,
            testid="trade-chart",
        ),
        spacing="1",
        width="100%",
    )


def rating_picker() -> rx.Component:
    """Five star buttons; the chosen one again clears the rating."""
    return rx.vstack(
        rx.text("Rating", size="2", weight="medium", color=rx.color("gray", 11), id="rating-label"),
        rx.hstack(
            *[
                rx.icon_button(
                    rx.icon(
                        "star",
                        size=18,
                        fill=rx.cond(S.rating >= value, "currentColor", "none"),
                    ),
                    variant="ghost",
                    color_scheme=rx.cond(S.rating >= value, "amber", "gray"),
                    size="2",
                    type="button",
                    aria_label=f"Rate {value} out of 5",
                    aria_pressed=rx.cond(S.rating == value, "true", "false"),
                    on_click=S.set_rating(value),
                )
                for value in range(1, 6)
            ],
            rx.text(
                rx.cond(S.rating > 0, f"{S.rating} / 5", "Not rated"),
                size="1",
                color=MUTED,
                aria_live="polite",
            ),
            spacing="1",
            align="center",
            role="group",
            aria_labelledby="rating-label",
        ),
        spacing="1",
        width="100%",
    )


def notes_editor() -> rx.Component:
    """Markdown notes with their rendered preview beside."""
    return rx.vstack(
        field_label("Notes (Markdown)", "trade-notes"),
        rx.text_area(
            id="trade-notes",
            name="notes",
            value=S.notes,
            on_change=S.set_notes,
            debounce_timeout=200,
            placeholder="Why did you take it? What did you see? **Markdown** works.",
            rows="6",
            resize="vertical",
            width="100%",
        ),
        rx.text("Preview", size="1", color=MUTED, id="notes-preview-label"),
        rx.box(
            rx.cond(
                S.notes != "",
                rx.markdown(S.notes),
                rx.text("Nothing written yet.", size="2", color=MUTED),
            ),
            width="100%",
            padding="8px 12px",
            border=f"1px solid {rx.color('gray', 5)}",
            border_radius="6px",
            background=rx.color("gray", 2),
            font_size="14px",
            role="region",
            aria_labelledby="notes-preview-label",
            data_testid="notes-preview",
        ),
        spacing="1",
        width="100%",
    )


def journal_form() -> rx.Component:
    return rx.vstack(
        rx.grid(
            labeled_input(
                "Setup",
                input_id="trade-setup",
                name="setup",
                placeholder="e.g. opening range breakout",
                value=S.setup,
                on_change=S.set_setup,
                debounce_timeout=200,
                size="2",
            ),
            labeled_input(
                "Planned stop",
                input_id="trade-stop",
                name="planned_stop",
                input_mode="decimal",
                placeholder="Price, for the R-multiple",
                value=S.planned_stop,
                on_change=S.set_planned_stop,
                debounce_timeout=200,
                size="2",
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rating_picker(),
        notes_editor(),
        form_error(S.panel_error),
        rx.hstack(
            rx.button(
                "Save journal", on_click=S.save_journal, loading=S.saving, type="button", size="2"
            ),
            rx.cond(
                S.save_message != "",
                rx.hstack(
                    rx.icon("circle_check", size=14),
                    rx.text(S.save_message, size="2"),
                    spacing="1",
                    align="center",
                    color=rx.color("grass", 11),
                    role="status",
                ),
            ),
            align="center",
            spacing="3",
        ),
        spacing="3",
        width="100%",
    )


def trade_panel() -> rx.Component:
    """The open trade, or nothing."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(DETAIL.symbol, size="4", as_="h2"),
                rx.badge(DETAIL.side, variant="soft", size="1"),
                rx.badge(DETAIL.status, variant="outline", color_scheme="gray", size="1"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=16),
                    variant="ghost",
                    color_scheme="gray",
                    aria_label="Close trade panel",
                    on_click=S.close_panel,
                    type="button",
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            rx.text(DETAIL.source, size="1", color=MUTED),
            trade_chart(),
            trade_figures(),
            rx.divider(),
            journal_form(),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        role="region",
        aria_label="Trade details",
    )

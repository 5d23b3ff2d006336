# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Journal: every round trip, its tags, notes, rating and chart."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.empty_state import empty_state
from paperdesk_web.components.forms import form_error, form_notice
from paperdesk_web.components.journal_toolbar import csv_actions, journal_filters
from paperdesk_web.components.trade_panel import trade_panel
from paperdesk_web.components.trade_table import bulk_bar, trade_table
from paperdesk_web.pages._template import template
from paperdesk_web.states.journal import JournalState

S = JournalState


def trades_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            bulk_bar(),
            rx.cond(
                S.rows.length() > 0,
                trade_table(),
                rx.cond(
                    S.filtering,
                    rx.text(
                        "No trades match these filters.",
                        size="2",
                        color=rx.color("gray", 10),
                        padding_y="16px",
                    ),
                    empty_state(
                        "notebook_pen",
                        "Your journal is empty",
                        "Place a trade on the Trade screen; closed round trips appear here "
                        "to tag, rate and annotate. Open positions show up as open trades.",
                        href="/trade",
                        action="Go to the Trade screen",
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        min_width="0",
    )


@template(route="/journal", title="Journal", on_load=[S.load])
def journal() -> rx.Component:
    """The trade table with filters and, for the trade under review, the side panel."""
    return rx.vstack(
        rx.hstack(
            journal_filters(),
            rx.spacer(),
            csv_actions(),
            align="end",
            width="100%",
            wrap="wrap",
            spacing="3",
        ),
        form_error(S.error),
        form_notice(S.notice),
        rx.cond(
            S.loaded,
            rx.flex(
                rx.box(trades_card(), flex="1 1 560px", min_width="0"),
                rx.cond(
                    S.open_id != "",
                    rx.box(trade_panel(), flex="0 1 400px", min_width="min(100%, 360px)"),
                ),
                gap="16px",
                wrap="wrap",
                align="start",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding_y="48px", width="100%"),
        ),
        spacing="4",
        width="100%",
    )

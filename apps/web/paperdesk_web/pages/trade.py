# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Trade: order ticket, chart, positions with live P&L, orders, activity, account summary."""

from __future__ import annotations

from typing import Any

import reflex as rx

from paperdesk_web.components.account_summary import account_summary
from paperdesk_web.components.forms import form_error
from paperdesk_web.components.order_ticket import order_ticket
from paperdesk_web.components.orders_table import (
    activity_log,
    open_orders_table,
    recent_orders_table,
)
from paperdesk_web.components.positions_table import positions_table
from paperdesk_web.components.price_chart import price_chart
from paperdesk_web.pages._template import template
from paperdesk_web.states.trade import TradeState

S = TradeState


def section(title: str, body: rx.Component, *, count: Any = None) -> rx.Component:
    """A titled card."""
    heading = rx.hstack(
        rx.heading(title, size="3", as_="h2"),
        rx.cond(count > 0, rx.badge(count, variant="soft", radius="full"))
        if count is not None
        else rx.fragment(),
        align="center",
        spacing="2",
    )
    return rx.card(
        rx.vstack(heading, body, spacing="3", width="100%"),
        size="2",
        width="100%",
        role="region",
        aria_label=title,
    )


def orders_section() -> rx.Component:
    return rx.card(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(
                    rx.hstack(
                        "Open orders",
                        rx.cond(
                            S.open_orders.length() > 0,
                            rx.badge(S.open_orders.length(), variant="soft", radius="full"),
                        ),
                        spacing="2",
                        align="center",
                    ),
                    value="open",
                ),
                rx.tabs.trigger("Order history", value="history"),
                rx.tabs.trigger("Activity", value="activity"),
            ),
            rx.tabs.content(rx.box(open_orders_table(), padding_top="8px"), value="open"),
            rx.tabs.content(rx.box(recent_orders_table(), padding_top="8px"), value="history"),
            rx.tabs.content(rx.box(activity_log(), padding_top="8px"), value="activity"),
            default_value="open",
            width="100%",
        ),
        size="2",
        width="100%",
    )


@template(
    route="/trade",
    title="Trade",
    on_load=[TradeState.load_trade, TradeState.run_trading_stream],
)
def trade() -> rx.Component:
    """The trading workspace."""
    return rx.vstack(
        account_summary(),
        form_error(S.trade_error),
        rx.grid(
            rx.vstack(
                rx.card(price_chart(), size="2", width="100%"),
                section("Positions", positions_table(), count=S.position_rows.length()),
                orders_section(),
                spacing="4",
                width="100%",
                min_width="0",
            ),
            rx.card(
                order_ticket(),
                size="3",
                width="100%",
                position=rx.breakpoints(initial="static", lg="sticky"),
                top="16px",
                role="region",
                aria_label="Order ticket",
            ),
            columns=rx.breakpoints(initial="1", lg="minmax(0, 1fr) 360px"),
            spacing="4",
            width="100%",
            align="start",
        ),
        spacing="4",
        width="100%",
    )

# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""The order ticket: instrument with its live quote, order fields, estimate, review step."""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.forms import (
    form_error,
    form_notice,
    labeled_input,
    labeled_select,
)
from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.states._quotes import QuoteView
from paperdesk_web.states._trading import (
    ORDER_TYPES,
    TIF_LABELS,
    TIME_IN_FORCE,
    TYPE_LABELS,
    Estimate,
)
from paperdesk_web.states.trade import TradeState

S = TradeState
# Reflex types dataclass fields as arrays for mypy; they are object vars.
FOCUS = cast(ObjectVar[QuoteView], S.focus)
EST = cast(ObjectVar[Estimate], S.est)


def symbol_picker() -> rx.Component:
    return rx.box(
        labeled_input(
            "Symbol",
            input_id="ticket-symbol",
            name="ticket-symbol",
            placeholder="Search, e.g. AAPL or Bitcoin",
            value=S.symbol_query,
            on_change=S.search_symbol,
            on_key_down=S.symbol_key,
            debounce_timeout=200,
        ),
        rx.cond(
            S.search_hits.length() > 0,
            rx.card(
                rx.vstack(
                    rx.foreach(
                        S.search_hits,
                        lambda hit: rx.button(
                            rx.text(
                                hit["symbol"], weight="bold", min_width="72px", text_align="left"
                            ),
                            rx.text(hit["name"], size="1", color=rx.color("gray", 11), trim="both"),
                            variant="ghost",
                            color_scheme="gray",
                            width="100%",
                            justify="start",
                            aria_label=f"Select {hit['symbol']}",
                            on_click=S.choose_symbol(hit["symbol"]),  # type: ignore[operator]
                        ),
                    ),
                    spacing="1",
                    width="100%",
                ),
                size="1",
                margin_top="6px",
                position="absolute",
                z_index="10",
                width="100%",
                aria_label="Symbol results",
            ),
        ),
        position="relative",
        width="100%",
    )


def live_quote() -> rx.Component:
    color = direction_color(FOCUS.direction)
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(S.symbol, weight="bold", size="3"),
                rx.cond(
                    FOCUS.source_label != "",
                    rx.badge(
                        FOCUS.source_label,
                        color_scheme=rx.cond(FOCUS.synthetic, "amber", "gray"),
                        variant="soft",
                        radius="full",
                        size="1",
                    ),
                ),
                spacing="2",
                align="center",
            ),
            rx.text(S.symbol_name, size="1", color=rx.color("gray", 10)),
            spacing="0",
        ),
        rx.spacer(),
        rx.vstack(
            rx.text(
                FOCUS.price,
                size="6",
                weight="bold",
                class_name="pd-num",
                aria_label=f"{S.symbol} live price",
                data_testid="ticket-price",
            ),
            rx.text(
                FOCUS.change, " ", FOCUS.change_pct, size="1", color=color, class_name="pd-num"
            ),
            spacing="0",
            align="end",
        ),
        width="100%",
        align="center",
        padding="10px 12px",
        border_radius="8px",
        background=rx.color("gray", 3),
    )


def side_picker() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Side", size="2", weight="medium", color=rx.color("gray", 11), id="ticket-side-label"
        ),
        rx.segmented_control.root(
            rx.segmented_control.item("Buy", value="buy"),
            rx.segmented_control.item("Sell", value="sell"),
            value=S.side,
            on_change=S.set_side,
            width="100%",
            size="2",
            aria_label="Side",
            color_scheme=rx.cond(S.side == "buy", "grass", "tomato"),
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def price_fields() -> rx.Component:
    return rx.fragment(
        rx.cond(
            (S.order_type == "stop") | (S.order_type == "stop_limit"),
            labeled_input(
                "Stop price",
                input_id="ticket-stop",
                name="stop_price",
                input_type="text",
                input_mode="decimal",
                placeholder="0.00",
                value=S.stop_price,
                on_change=S.set_stop_price,
                debounce_timeout=150,
            ),
        ),
        rx.cond(
            (S.order_type == "limit") | (S.order_type == "stop_limit"),
            labeled_input(
                "Limit price",
                input_id="ticket-limit",
                name="limit_price",
                input_type="text",
                input_mode="decimal",
                placeholder="0.00",
                value=S.limit_price,
                on_change=S.set_limit_price,
                debounce_timeout=150,
            ),
        ),
    )


def estimate_line(
    label: rx.Var[str] | str, value: rx.Var[str], testid: str, **props: object
) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color=rx.color("gray", 11)),
        rx.spacer(),
        rx.text(value, size="2", weight="medium", class_name="pd-num", data_testid=testid, **props),
        width="100%",
    )


def estimates() -> rx.Component:
    return rx.vstack(
        estimate_line(
            rx.cond(S.side == "buy", "Estimated cost", "Estimated proceeds"),
            EST.notional,
            "ticket-estimate",
        ),
        estimate_line(
            "Buying power after",
            EST.buying_power_after,
            "ticket-bp-after",
            color=rx.cond(EST.exceeds, rx.color("amber", 11), rx.color("gray", 12)),
        ),
        rx.cond(
            EST.exceeds,
            rx.text(
                "This order exceeds your buying power; the risk gate will likely reject it.",
                size="1",
                color=rx.color("amber", 11),
            ),
        ),
        spacing="2",
        width="100%",
        padding_top="4px",
        border_top=f"1px solid {rx.color('gray', 5)}",
    )


def review_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Review order", size="2", weight="bold"),
        rx.text(S.review_summary, size="2", data_testid="review-summary"),
        rx.hstack(
            rx.button(
                "Edit",
                variant="soft",
                color_scheme="gray",
                on_click=S.edit_order,
                type="button",
            ),
            rx.button(
                S.confirm_label,
                color_scheme=rx.cond(S.side == "buy", "grass", "tomato"),
                on_click=S.confirm,
                loading=S.submitting,
                flex="1",
                type="button",
            ),
            width="100%",
            spacing="2",
        ),
        spacing="2",
        width="100%",
        padding="12px",
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="8px",
        background=rx.color("gray", 2),
        role="region",
        aria_label="Order review",
    )


def order_ticket() -> rx.Component:
    """The ticket card's body."""
    return rx.vstack(
        rx.heading("Order ticket", size="4", as_="h2"),
        symbol_picker(),
        live_quote(),
        side_picker(),
        rx.grid(
            labeled_select(
                "Order type",
                select_id="ticket-type",
                options=[(t, TYPE_LABELS[t]) for t in ORDER_TYPES],
                value=S.order_type,
                on_change=S.set_order_type,
            ),
            labeled_select(
                "Time in force",
                select_id="ticket-tif",
                options=[(t, TIF_LABELS[t]) for t in TIME_IN_FORCE],
                value=S.time_in_force,
                on_change=S.set_time_in_force,
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        labeled_input(
            "Quantity",
            input_id="ticket-qty",
            name="qty",
            input_mode="decimal",
            placeholder="e.g. 10",
            value=S.qty,
            on_change=S.set_qty,
            debounce_timeout=150,
        ),
        price_fields(),
        estimates(),
        form_error(S.ticket_error),
        rx.cond(
            S.rejection != "",
            rx.callout(
                rx.text(rx.text.strong("Order rejected: "), S.rejection),
                icon="shield_alert",
                color_scheme="red",
                variant="surface",
                size="1",
                role="alert",
                width="100%",
                data_testid="ticket-rejection",
            ),
        ),
        form_notice(S.notice, data_testid="ticket-notice"),
        rx.cond(
            S.reviewing,
            review_panel(),
            rx.button(
                "Review order",
                size="3",
                width="100%",
                on_click=S.review,
                color_scheme=rx.cond(S.side == "buy", "grass", "tomato"),
                type="button",
            ),
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )

# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""The account summary: equity, cash, buying power and the day's P&L."""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.quote_tile import direction_color
from paperdesk_web.states._trading import AccountView
from paperdesk_web.states.trade import TradeState

S = TradeState
# Reflex types a dataclass field as an array for mypy; it is an object var.
ACCOUNT = cast(ObjectVar[AccountView], S.account)


def stat(
    label: str, value: rx.Var[str], *, testid: str, color: rx.Var[str] | None = None
) -> rx.Component:
    """One figure of the summary, labelled for screen readers and tests."""
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", weight="medium", color=rx.color("gray", 10)),
            rx.text(
                value,
                size="5",
                weight="bold",
                class_name="pd-num",
                color=color if color is not None else rx.color("gray", 12),
                data_testid=testid,
                aria_label=label,
            ),
            spacing="1",
        ),
        size="2",
        width="100%",
    )


def account_summary() -> rx.Component:
    """Four cards in a row (two on narrow screens)."""
    return rx.grid(
        stat("Equity", ACCOUNT.equity, testid="account-equity"),
        stat("Cash", ACCOUNT.cash, testid="account-cash"),
        stat("Buying power", ACCOUNT.buying_power, testid="account-buying-power"),
        stat(
            "Day P&L",
            ACCOUNT.day_pnl,
            testid="account-day-pnl",
            color=direction_color(ACCOUNT.day_direction),
        ),
        stat(
            "Unrealized P&L",
            ACCOUNT.unrealized,
            testid="account-unrealized",
            color=direction_color(ACCOUNT.unrealized_direction),
        ),
        columns=rx.breakpoints(initial="2", md="5"),
        spacing="3",
        width="100%",
        role="region",
        aria_label="Account summary",
    )

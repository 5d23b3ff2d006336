# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Analytics page (coming soon)."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.shell import coming_soon
from paperdesk_web.pages._template import template


@template(route="/analytics", title="Analytics")
def analytics() -> rx.Component:
    """Placeholder inside the shell."""
    return coming_soon(
        "Analytics",
        "Win rate, profit factor and expectancy by tag, symbol, weekday and hour.",
        "chart_line",
    )

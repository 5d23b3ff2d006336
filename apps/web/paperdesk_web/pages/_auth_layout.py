# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Layout shared by the log-in and sign-up pages."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.shell import brand


def auth_layout(heading: str, subheading: str, *children: rx.Component) -> rx.Component:
    """A centred card under the PaperDesk mark."""
    return rx.center(
        rx.vstack(
            brand(size="6"),
            rx.card(
                rx.vstack(
                    rx.heading(heading, size="6", as_="h1"),
                    rx.text(subheading, size="2", color=rx.color("gray", 11)),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
            ),
            rx.text(
                "Prices in the default setup come from a synthetic simulator.",
                size="1",
                color=rx.color("gray", 9),
            ),
            align="center",
            spacing="5",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="24px",
        background=(
            "radial-gradient(ellipse 70% 45% at 50% 0%, "
            f"{rx.color('teal', 4, alpha=True)} 0%, transparent 100%)"
        ),
    )

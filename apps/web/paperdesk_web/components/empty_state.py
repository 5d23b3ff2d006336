# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""An empty state: what is missing and what to do about it."""

from __future__ import annotations

import reflex as rx


def empty_state(
    icon: str, title: str, text: str, *, href: str = "", action: str = ""
) -> rx.Component:
    """A dashed box with an icon, a title, a hint and an optional link to act on it."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=28, color=rx.color("teal", 9)),
            rx.text(title, weight="medium"),
            rx.text(text, size="2", color=rx.color("gray", 10), align="center", max_width="460px"),
            rx.link(action, href=href, size="2", weight="medium") if href else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding_y="56px",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="12px",
        role="status",
    )

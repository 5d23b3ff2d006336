# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""The live-connection indicator of the shell."""

from __future__ import annotations

import reflex as rx


def connection_indicator(status: rx.Var[str]) -> rx.Component:
    """A coloured dot and a word: Live, Reconnecting or Offline."""
    color = rx.match(
        status,
        ("live", rx.color("grass", 9)),
        ("reconnecting", rx.color("amber", 9)),
        rx.color("gray", 8),
    )
    label = rx.match(
        status,
        ("live", "Live"),
        ("reconnecting", "Reconnecting"),
        "Offline",
    )
    return rx.hstack(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background_color=color,
            box_shadow=rx.cond(status == "live", f"0 0 6px {rx.color('grass', 9)}", "none"),
        ),
        rx.text(label, size="2", weight="medium", color=rx.color("gray", 11)),
        align="center",
        spacing="2",
        padding_x="10px",
        padding_y="4px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="999px",
        role="status",
        aria_live="polite",
        aria_label=rx.Var.create("Connection: ") + label.to(str),
        id="connection-status",
    )

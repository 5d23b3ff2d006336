# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Form building blocks: every input has a visible label tied to it."""

from __future__ import annotations

from typing import Any

import reflex as rx


def labeled_input(
    label: str,
    *,
    input_id: str,
    name: str,
    input_type: str = "text",
    placeholder: str = "",
    auto_complete: str = "off",
    **props: Any,
) -> rx.Component:
    """A text input with its label above it."""
    return rx.vstack(
        rx.el.label(
            rx.text(label, size="2", weight="medium", color=rx.color("gray", 11)),
            html_for=input_id,
        ),
        rx.input(
            id=input_id,
            name=name,
            type=input_type,
            placeholder=placeholder,
            auto_complete=auto_complete,
            size="3",
            width="100%",
            **props,
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def form_error(message: rx.Var[str]) -> rx.Component:
    """An inline error under a form; announced to screen readers."""
    return rx.cond(
        message != "",
        rx.callout(
            message,
            icon="triangle_alert",
            color_scheme="red",
            variant="surface",
            size="1",
            role="alert",
            width="100%",
        ),
    )

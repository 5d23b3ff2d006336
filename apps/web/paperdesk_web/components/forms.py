# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Form building blocks: every input has a visible label tied to it."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_label(text: str, html_for: str) -> rx.Component:
    """A visible label tied to a control by id."""
    return rx.el.label(
        rx.text(text, size="2", weight="medium", color=rx.color("gray", 11)),
        html_for=html_for,
    )


def labeled_input(
    label: str,
    *,
    input_id: str,
    name: str,
    input_type: str = "text",
    placeholder: str = "",
    auto_complete: str = "off",
    size: str = "3",
    **props: Any,
) -> rx.Component:
    """A text input with its label above it."""
    return rx.vstack(
        field_label(label, input_id),
        rx.input(
            id=input_id,
            name=name,
            type=input_type,
            placeholder=placeholder,
            auto_complete=auto_complete,
            size=size,
            width="100%",
            **props,
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def labeled_select(
    label: str,
    *,
    select_id: str,
    options: list[tuple[str, str]],
    value: rx.Var[str],
    on_change: object,
    size: str = "3",
) -> rx.Component:
    """A select (options as `(value, text)`) with its label above it."""
    return rx.vstack(
        field_label(label, select_id),
        rx.select.root(
            rx.select.trigger(id=select_id, aria_label=label, width="100%"),
            rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
            value=value,
            on_change=on_change,
            size=size,
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


def form_notice(message: rx.Var[str], **props: Any) -> rx.Component:
    """A success message under a form; announced politely."""
    return rx.cond(
        message != "",
        rx.callout(
            message,
            icon="circle_check",
            color_scheme="grass",
            variant="surface",
            size="1",
            role="status",
            width="100%",
            **props,
        ),
    )

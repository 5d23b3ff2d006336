# mypy: disable-error-code="no-any-return,operator"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars are typed for pyright, not mypy.)
"""The filters the Journal and Analytics share: symbol, tag and a date range.

Both states have the fields named in `FILTER_FIELDS`, a `filtering` var, and the events
`set_filter(name, value)` and `clear_filters`; each filter applies as soon as it changes.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from paperdesk_web.components.forms import labeled_input

# (label, state field, input type, width)
FIELDS = (
    ("Symbol", "symbol_filter", "text", "120px"),
    ("Tag", "tag_filter", "text", "140px"),
    ("From", "date_from", "date", "150px"),
    ("To", "date_to", "date", "150px"),
)


def _setter(state: Any, name: str) -> Any:
    return lambda value: state.set_filter(name, value)


def filter_bar(state: Any, *, prefix: str, label: str, extra: tuple[Any, ...] = ()) -> rx.Component:
    """Labelled filter inputs (plus `extra` controls) and a "Clear filters" button."""
    inputs = [
        rx.box(
            labeled_input(
                text,
                input_id=f"{prefix}-{name}",
                name=name,
                input_type=kind,
                placeholder="Any" if kind == "text" else "",
                value=getattr(state, name),
                on_change=_setter(state, name),
                debounce_timeout=300 if kind == "text" else 0,
                size="2",
            ),
            width=width,
        )
        for text, name, kind, width in FIELDS
    ]
    return rx.flex(
        *inputs,
        *extra,
        rx.cond(
            state.filtering,
            rx.button(
                "Clear filters",
                variant="ghost",
                color_scheme="gray",
                size="2",
                on_click=state.clear_filters,
                type="button",
            ),
        ),
        gap="12px",
        align="end",
        wrap="wrap",
        role="search",
        aria_label=label,
    )

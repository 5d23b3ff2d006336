# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Journal page (coming soon)."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.shell import coming_soon
from paperdesk_web.pages._template import template


@template(route="/journal", title="Journal")
def journal() -> rx.Component:
    """Placeholder inside the shell."""
    return coming_soon(
        "Journal",
        "Review every round trip, tag it, rate it and keep notes.",
        "notebook_pen",
    )

"""The Reflex app: pages register themselves through their decorators."""

from __future__ import annotations

from typing import Any

import reflex as rx

from paperdesk_web import pages

GLOBAL_CSS: dict[Any, Any] = {
    ".pd-num": {"font_variant_numeric": "tabular-nums", "letter_spacing": "-0.01em"},
    ".pd-tile": {"transition": "border-color 120ms ease"},
    ".pd-tile:hover": {"border_color": rx.color("gray", 7)},
}

app = rx.App(
    style=GLOBAL_CSS,
    head_components=[
        rx.el.meta(name="color-scheme", content="dark"),
        rx.el.link(rel="icon", type="image/svg+xml", href="/favicon.svg"),
    ],
)

__all__ = ["app", "pages"]

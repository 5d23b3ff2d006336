# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""A watchlist tile: symbol, last price, change since the previous close, sparkline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.sparkline import sparkline
from paperdesk_web.states._quotes import Tile


def direction_color(direction: rx.Var[str]) -> rx.Var[str]:
    """Green up, red down, grey flat."""
    return rx.match(
        direction,
        ("up", rx.color("grass", 11)),
        ("down", rx.color("tomato", 11)),
        rx.color("gray", 11),
    ).to(str)


def quote_tile(tile: ObjectVar[Tile], on_remove: Callable[[rx.Var[str]], Any]) -> rx.Component:
    """One tile of the dashboard grid."""
    color = direction_color(tile.direction)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(tile.symbol, size="4", weight="bold", trim="both"),
                rx.cond(
                    tile.source_label != "",
                    rx.badge(
                        tile.source_label,
                        color_scheme=rx.cond(tile.synthetic, "amber", "gray"),
                        variant="soft",
                        radius="full",
                        size="1",
                    ),
                ),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    aria_label=f"Remove {tile.symbol}",
                    title=f"Remove {tile.symbol}",
                    on_click=on_remove(tile.symbol),
                ),
                align="center",
                width="100%",
                spacing="2",
            ),
            rx.text(
                rx.cond(tile.name != "", tile.name, "\u00a0"),
                size="1",
                color=rx.color("gray", 10),
                margin_top="-4px",
                white_space="nowrap",
                overflow="hidden",
                text_overflow="ellipsis",
                width="100%",
            ),
            rx.hstack(
                rx.text(
                    tile.price,
                    size="7",
                    weight="bold",
                    aria_label=f"{tile.symbol} last price",
                    class_name="pd-num",
                    data_testid=f"price-{tile.symbol}",
                    data_ts=tile.ts,
                ),
                rx.vstack(
                    rx.text(
                        tile.change, size="2", weight="medium", color=color, class_name="pd-num"
                    ),
                    rx.text(
                        tile.change_pct,
                        size="2",
                        weight="medium",
                        color=color,
                        class_name="pd-num",
                        aria_label=f"{tile.symbol} change since previous close",
                    ),
                    spacing="0",
                    align="end",
                ),
                justify="between",
                align="end",
                width="100%",
            ),
            rx.box(
                rx.cond(
                    tile.spark.to(list).length() > 1,
                    sparkline(tile.spark, color),
                    rx.center(
                        rx.text("No price history yet", size="1", color=rx.color("gray", 9)),
                        height="52px",
                    ),
                ),
                width="100%",
                height="52px",
            ),
            spacing="2",
            width="100%",
        ),
        role="group",
        aria_label=f"{tile.symbol} quote",
        size="2",
        class_name="pd-tile",
    )

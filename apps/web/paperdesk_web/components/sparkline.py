# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""A minimal line chart of recent prices."""

from __future__ import annotations

import reflex as rx


def sparkline(points: rx.Var[list[dict[str, float]]], color: rx.Var[str] | str) -> rx.Component:
    """Recent prices as a line without axes (the y-range hugs the data)."""
    return rx.recharts.line_chart(
        rx.recharts.line(
            data_key="p",
            stroke=color,
            stroke_width=1.5,
            dot=False,
            is_animation_active=False,
            type_="linear",
        ),
        rx.recharts.y_axis(domain=["dataMin", "dataMax"], hide=True),
        rx.recharts.x_axis(data_key="i", hide=True),
        data=points,
        width="100%",
        height=52,
        margin={"top": 4, "right": 0, "bottom": 4, "left": 0},
    )

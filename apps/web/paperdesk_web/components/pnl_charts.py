# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""P&L charts of the Analytics page: bars per group (green up, red down), the cumulative curve."""

from __future__ import annotations

from typing import Any

import reflex as rx

from paperdesk_web.components.backtest_results import AXIS, GRID, TEAL, chart_card


def pnl_bars(data: Any, *, label: str, height: int = 220) -> rx.Component:
    """Net P&L per key as bars, each colored by its sign."""
    chart = rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke=GRID, stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="key", interval="preserveStartEnd", **AXIS),
        rx.recharts.y_axis(width=72, **AXIS),
        # Zero stays in view when every figure has the same sign.
        rx.recharts.reference_line(y=0, stroke="var(--gray-8)", if_overflow="extendDomain"),
        rx.recharts.tooltip(),
        rx.recharts.bar(
            rx.foreach(data, lambda row: rx.recharts.cell(fill=row["fill"])),
            data_key="pnl",
            name="Net P&L",
            is_animation_active=False,
            max_bar_size=48,
        ),
        data=data,
        width="100%",
        height=height,
    )
    return rx.box(chart, width="100%", role="img", aria_label=label)


def pnl_bar_card(title: str, data: Any, *, note: Any = None) -> rx.Component:
    """A titled card with a P&L bar chart."""
    return chart_card(title, pnl_bars(data, label=f"{title} chart"), note=note)


def cumulative_card(data: Any) -> rx.Component:
    """Cumulative realized P&L, one point per trading day."""
    chart = rx.recharts.area_chart(
        rx.recharts.cartesian_grid(stroke=GRID, stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="date", min_tick_gap=40, **AXIS),
        rx.recharts.y_axis(width=72, domain=["auto", "auto"], **AXIS),
        # Zero stays in view when every figure has the same sign.
        rx.recharts.reference_line(y=0, stroke="var(--gray-8)", if_overflow="extendDomain"),
        rx.recharts.tooltip(),
        rx.recharts.area(
            data_key="cumulative",
            name="Cumulative P&L",
            stroke=TEAL,
            fill="var(--teal-a4)",
            type_="linear",
            stroke_width=2,
            dot=True,
            is_animation_active=False,
        ),
        data=data,
        width="100%",
        height=240,
    )
    return chart_card(
        "Cumulative realized P&L",
        rx.box(chart, width="100%", role="img", aria_label="Cumulative realized P&L chart"),
    )

# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Candlestick charts (SVG) with fills marked on them: the ticket's symbol, a journal trade."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.states._trading import (
    PLOT_LEFT,
    Candle,
    ChartView,
    FillMarker,
    GridLine,
    TimeLabel,
)
from paperdesk_web.states.trade import TIMEFRAMES, TradeState

S = TradeState
# Reflex types a dataclass field as an array for mypy; it is an object var.
CHART = cast(ObjectVar[ChartView], S.chart)
UP = rx.color("grass", 9)
DOWN = rx.color("tomato", 9)
AXIS_TEXT = rx.color("gray", 10)
GRID = rx.color("gray", 4)


def n(value: Any) -> Any:
    """SVG geometry props are typed `str | int`; a JS number fits them (a cast, no rounding)."""
    return value.to(int)


def _grid_line(line: ObjectVar[GridLine], right: Any) -> rx.Component:
    return rx.el.svg.g(
        rx.el.svg.line(
            x1=PLOT_LEFT, x2=n(right), y1=n(line.y), y2=n(line.y), stroke=GRID, stroke_width=1
        ),
        rx.el.svg.text(line.label, x=n(right + 8), y=n(line.label_y), fill=AXIS_TEXT, font_size=12),
    )


def _time_label(label: ObjectVar[TimeLabel], bottom: Any) -> rx.Component:
    return rx.el.svg.text(
        label.label,
        x=n(label.x),
        y=n(bottom + 20),
        fill=AXIS_TEXT,
        font_size=12,
        text_anchor="middle",
    )


def _candle(candle: ObjectVar[Candle]) -> rx.Component:
    color = rx.cond(candle.up, UP, DOWN)
    return rx.el.svg.g(
        rx.el.svg.title(candle.title),
        rx.el.svg.line(
            x1=n(candle.x),
            x2=n(candle.x),
            y1=n(candle.wick_top),
            y2=n(candle.wick_bottom),
            stroke=color,
            stroke_width="1.2",
        ),
        rx.el.svg.rect(
            x=n(candle.body_x),
            y=n(candle.body_y),
            width=n(candle.body_w),
            height=n(candle.body_h),
            fill=color,
            rx=1,
        ),
    )


def _marker(marker: ObjectVar[FillMarker]) -> rx.Component:
    color = rx.cond(marker.side == "buy", rx.color("cyan", 9), rx.color("orange", 9))
    return rx.el.svg.g(
        rx.el.svg.title(marker.title),
        rx.el.svg.polygon(
            points=marker.points,
            fill=color,
            stroke=rx.color("gray", 1),
            stroke_width=1,
        ),
        rx.cond(
            marker.label != "",
            rx.el.svg.text(
                marker.label,
                x=n(marker.label_x),
                y=n(marker.label_y),
                fill=color,
                font_size=13,
                font_weight="700",
            ),
        ),
        class_name=rx.cond(marker.side == "buy", "pd-fill-buy", "pd-fill-sell"),
    )


def legend_dot(color: str, label: str) -> rx.Component:
    """A colour swatch and what it stands for."""
    return rx.hstack(
        rx.box(width="10px", height="10px", border_radius="2px", background=color),
        rx.text(label, size="1", color=rx.color("gray", 10)),
        spacing="1",
        align="center",
    )


def chart_toolbar() -> rx.Component:
    return rx.hstack(
        rx.text(S.symbol, weight="bold", size="3"),
        rx.text(S.timeframe, size="2", color=rx.color("gray", 10)),
        rx.spacer(),
        legend_dot(rx.color("cyan", 9), "Your buys"),
        legend_dot(rx.color("orange", 9), "Your sells"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(tf, value=tf) for tf in TIMEFRAMES],
            value=S.timeframe,
            on_change=S.set_timeframe,
            size="1",
            aria_label="Chart timeframe",
        ),
        align="center",
        spacing="3",
        width="100%",
    )


def candle_chart(
    chart: ObjectVar[ChartView], *, label: Any, message: Any, testid: str = "price-chart"
) -> rx.Component:
    """Candles, price grid, last price and fill markers of a `ChartView`, or a message."""
    right: Any = chart.plot_right  # a number var; mypy sees the dataclass field's type
    return rx.cond(
        chart.candles.length() > 0,
        rx.el.svg(
            rx.foreach(chart.grid, lambda line: _grid_line(line, right)),
            rx.foreach(chart.times, lambda label: _time_label(label, chart.plot_bottom)),
            rx.foreach(chart.candles, _candle),
            rx.el.svg.line(
                x1=PLOT_LEFT,
                x2=n(right),
                y1=n(chart.last_y),
                y2=n(chart.last_y),
                stroke=rx.color("teal", 9),
                stroke_width=1,
                stroke_dasharray="4 4",
            ),
            rx.el.svg.rect(
                x=n(right + 2),
                y=n(chart.last_box_y),
                width=76,
                height=20,
                rx=3,
                fill=rx.color("teal", 9),
            ),
            rx.el.svg.text(
                chart.last_label,
                x=n(right + 8),
                y=n(chart.last_text_y),
                fill="white",
                font_size=12,
                font_weight="600",
            ),
            rx.foreach(chart.markers, _marker),
            view_box=chart.view_box,
            width="100%",
            role="img",
            aria_label=label,
            data_testid=testid,
        ),
        rx.center(
            rx.text(
                rx.cond(message != "", message, "Loading chart…"),
                size="2",
                color=rx.color("gray", 10),
            ),
            height="240px",
            width="100%",
        ),
    )


def price_chart() -> rx.Component:
    """The chart card's body."""
    return rx.vstack(
        chart_toolbar(),
        candle_chart(CHART, label=f"Price chart of {S.symbol}", message=S.chart_message),
        spacing="2",
        width="100%",
    )

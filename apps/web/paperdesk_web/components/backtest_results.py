# mypy: disable-error-code="no-any-return,operator,index,call-overload"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars and Var operators are typed for pyright, not mypy.)
"""Backtest results: progress, metric cards, charts, trades, the sweep heatmap."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.states._backtest import (
    HEATMAP_METRICS,
    METRIC_LABEL,
    HeatCell,
    HeatRow,
    MetricCard,
    TradeRow,
)
from paperdesk_web.states.backtest import BacktestState

S = BacktestState
HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}


def table_caption(text: str) -> rx.Component:
    """A table's name for assistive tech (the heading above it says the same)."""
    return rx.el.caption(text, style=HIDDEN)


TEAL = "var(--teal-9)"
AMBER = "var(--amber-9)"
GRID = "var(--gray-5)"
AXIS = {"stroke": "var(--gray-8)", "font_size": 11}


def _tone_color(tone: Any) -> Any:
    return rx.match(
        tone, ("up", rx.color("grass", 11)), ("down", rx.color("red", 11)), rx.color("gray", 12)
    )


def progress_panel() -> rx.Component:
    """Status line and progress bar of the run being watched."""
    return rx.cond(
        S.running,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(
                        rx.cond(S.status == "queued", "Queued…", "Running…"),
                        weight="medium",
                    ),
                    rx.spacer(),
                    rx.text(S.progress, "%", class_name="pd-num", color=rx.color("gray", 11)),
                    align="center",
                    width="100%",
                ),
                rx.progress(
                    value=S.progress, max=100, aria_label="Backtest progress", width="100%"
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def run_error() -> rx.Component:
    return rx.cond(
        S.run_error != "",
        rx.callout(
            S.run_error,
            icon="triangle_alert",
            color_scheme="red",
            variant="surface",
            role="alert",
            width="100%",
        ),
    )


def metric_card(card: ObjectVar[MetricCard]) -> rx.Component:
    return rx.box(
        rx.text(card.label, size="1", color=rx.color("gray", 10)),
        rx.text(
            card.value,
            size="4",
            weight="bold",
            class_name="pd-num",
            color=_tone_color(card.tone),
            white_space="nowrap",
        ),
        role="group",
        aria_label=card.label,
        padding="10px 12px",
        border=f"1px solid {rx.color('gray', 4)}",
        border_radius="8px",
        background=rx.color("gray", 2),
        class_name="pd-tile",
    )


def metric_cards() -> rx.Component:
    return rx.grid(
        rx.foreach(S.cards, metric_card),
        grid_template_columns="repeat(auto-fill, minmax(124px, 1fr))",
        spacing="2",
        width="100%",
    )


def chart_card(title: str, chart: rx.Component, *, note: Any = None) -> rx.Component:
    """A card with a chart under its title (and an optional note at the right)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="3", as_="h3"),
                rx.spacer(),
                note if note is not None else rx.fragment(),
                align="center",
                width="100%",
            ),
            chart,
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def equity_chart() -> rx.Component:
    chart = rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke=GRID, stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="t", min_tick_gap=48, **AXIS),
        rx.recharts.y_axis(width=72, domain=["auto", "auto"], **AXIS),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        rx.recharts.line(
            data_key="equity",
            name="Strategy",
            stroke=TEAL,
            dot=False,
            stroke_width=2,
            is_animation_active=False,
        ),
        rx.recharts.line(
            data_key="benchmark",
            name="Buy & hold",
            stroke="var(--gray-9)",
            dot=False,
            stroke_dasharray="4 3",
            is_animation_active=False,
        ),
        data=S.equity_data,
        width="100%",
        height=260,
    )
    return chart_card("Equity", rx.box(chart, width="100%", aria_label="Equity chart", role="img"))


def drawdown_chart() -> rx.Component:
    chart = rx.recharts.area_chart(
        rx.recharts.cartesian_grid(stroke=GRID, stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="t", min_tick_gap=48, **AXIS),
        rx.recharts.y_axis(width=72, unit="%", **AXIS),
        rx.recharts.tooltip(),
        rx.recharts.area(
            data_key="drawdown",
            name="Drawdown %",
            stroke="var(--red-9)",
            fill="var(--red-9)",
            fill_opacity=0.25,
            is_animation_active=False,
        ),
        data=S.equity_data,
        width="100%",
        height=160,
    )
    return chart_card(
        "Drawdown", rx.box(chart, width="100%", aria_label="Drawdown chart", role="img")
    )


def _marker(key: str, name: str, color: str) -> rx.Component:
    """Trade markers: a line with no stroke whose dots sit on the trade bars only."""
    return rx.recharts.line(
        data_key=key,
        name=name,
        stroke=color,
        stroke_width=0,
        dot={"r": 4, "fill": color, "stroke": "var(--gray-1)", "strokeWidth": 1},
        active_dot={"r": 6, "fill": color},
        legend_type="circle",
        connect_nulls=False,
        is_animation_active=False,
    )


def price_chart() -> rx.Component:
    chart = rx.recharts.composed_chart(
        rx.recharts.cartesian_grid(stroke=GRID, stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="t", min_tick_gap=48, **AXIS),
        rx.recharts.y_axis(width=72, domain=["auto", "auto"], **AXIS),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        rx.recharts.line(
            data_key="close",
            name="Close",
            stroke="var(--gray-11)",
            dot=False,
            stroke_width=1.5,
            is_animation_active=False,
        ),
        _marker("entry", "Entry", "var(--grass-9)"),
        _marker("exit", "Exit", "var(--red-9)"),
        data=S.price_data,
        width="100%",
        height=280,
    )
    return chart_card(
        "Price with entries and exits",
        rx.box(chart, width="100%", aria_label="Price chart with trade markers", role="img"),
        note=rx.text(S.price_note, size="1", color=rx.color("gray", 10)),
    )


def _th(text: str, align: str = "left") -> rx.Component:
    return rx.table.column_header_cell(text, text_align=align)


def _trade_row(trade: ObjectVar[TradeRow]) -> rx.Component:
    num = {"class_name": "pd-num", "text_align": "right"}
    return rx.table.row(
        rx.table.cell(trade.n, **num),
        rx.table.cell(trade.direction),
        rx.table.cell(trade.entry_time, white_space="nowrap"),
        rx.table.cell(trade.entry_price, **num),
        rx.table.cell(trade.exit_time, white_space="nowrap"),
        rx.table.cell(trade.exit_price, **num),
        rx.table.cell(trade.size, **num),
        rx.table.cell(trade.pnl, color=_tone_color(trade.tone), **num),
        rx.table.cell(trade.ret, color=_tone_color(trade.tone), **num),
        rx.table.cell(trade.reason, color=rx.color("gray", 10)),
    )


def trades_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Trades", size="3", as_="h3"),
                rx.badge(S.trades.length(), variant="soft"),
                align="center",
            ),
            rx.scroll_area(
                rx.table.root(
                    table_caption("Trades"),
                    rx.table.header(
                        rx.table.row(
                            _th("#", "right"),
                            _th("Side"),
                            _th("Entry"),
                            _th("Entry price", "right"),
                            _th("Exit"),
                            _th("Exit price", "right"),
                            _th("Size", "right"),
                            _th("P&L", "right"),
                            _th("Return", "right"),
                            _th("Exit reason"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.trades, _trade_row)),
                    size="1",
                    width="100%",
                ),
                type="auto",
                scrollbars="vertical",
                max_height="340px",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _heat_cell(cell: ObjectVar[HeatCell]) -> rx.Component:
    return rx.el.td(
        rx.cond(cell.best, rx.icon("star", size=11, color=AMBER, margin_right="3px")),
        cell.value,
        role="cell",
        aria_label=cell.label,
        title=cell.label,
        data_best=rx.cond(cell.best, "true", "false"),
        style={
            "background": cell.color,
            "color": "var(--gray-12)",
            "font_size": "12px",
            "text_align": "center",
            "padding": "9px 8px",
            "min_width": "76px",
            "white_space": "nowrap",
            "font_variant_numeric": "tabular-nums",
            "outline": rx.cond(cell.best, f"2px solid {AMBER}", "none"),
            "outline_offset": "-2px",
            "font_weight": rx.cond(cell.best, "700", "400"),
            "border_radius": "3px",
        },
    )


def _heat_row(row: ObjectVar[HeatRow]) -> rx.Component:
    return rx.el.tr(
        rx.el.th(
            row.y,
            scope="row",
            style={
                "font_size": "11px",
                "color": "var(--gray-11)",
                "padding": "0 8px",
                "text_align": "right",
            },
        ),
        rx.foreach(row.cells, _heat_cell),
    )


def _heat_col(label: rx.Var[str]) -> rx.Component:
    return rx.el.th(
        label, scope="col", style={"font_size": "11px", "color": "var(--gray-11)", "padding": "4px"}
    )


def _heat_select(label: str, part: str, value: Any, items: Any) -> rx.Component:
    input_id = f"bt-heat-{part}"
    return rx.vstack(
        rx.el.label(rx.text(label, size="1", color=rx.color("gray", 11)), html_for=input_id),
        rx.select.root(
            rx.select.trigger(id=input_id, min_width="140px"),
            rx.select.content(items),
            value=value,
            on_change=lambda v: S.set_heat(part, v),
            size="1",
        ),
        spacing="1",
    )


def _param_item(name: rx.Var[str]) -> rx.Component:
    return rx.select.item(name, value=name)


def heatmap_view() -> rx.Component:
    metric_items = [rx.select.item(METRIC_LABEL.get(m, m), value=m) for m in HEATMAP_METRICS]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Sweep heatmap", size="3", as_="h3"),
                rx.spacer(),
                _heat_select("Metric", "metric", S.heat_metric, metric_items),
                _heat_select("Columns (x)", "x", S.heat_x, rx.foreach(S.swept, _param_item)),
                _heat_select("Rows (y)", "y", S.heat_y, rx.foreach(S.swept, _param_item)),
                align="end",
                spacing="3",
                width="100%",
            ),
            rx.cond(
                S.best_text != "",
                rx.hstack(
                    rx.icon("star", size=14, color=AMBER),
                    rx.text("Best: ", weight="bold", size="2"),
                    rx.text(S.best_text, size="2", class_name="pd-num"),
                    align="center",
                    spacing="1",
                    aria_label="Best combination",
                ),
            ),
            rx.scroll_area(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            rx.el.th(
                                S.heat_y + " ↓ / " + S.heat_x + " →",
                                style={
                                    "font_size": "11px",
                                    "color": "var(--gray-10)",
                                    "padding": "4px 8px",
                                },
                            ),
                            rx.foreach(S.heat_cols, _heat_col),
                        )
                    ),
                    rx.el.tbody(rx.foreach(S.heat_rows, _heat_row)),
                    aria_label="Sweep heatmap",
                    style={"border_spacing": "2px", "border_collapse": "separate"},
                ),
                type="auto",
                scrollbars="both",
                max_height="520px",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def results_header() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.heading(S.result_title, size="5", as_="h2"),
            rx.text(S.result_subtitle, size="2", color=rx.color("gray", 11), class_name="pd-num"),
            spacing="1",
        ),
        rx.spacer(),
        rx.badge(
            rx.cond(S.result_kind == "sweep", "Sweep", "Single run"), variant="soft", size="2"
        ),
        align="center",
        width="100%",
    )


def empty_results() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("flask_conical", size=32, color=rx.color("teal", 9)),
            rx.heading("No results yet", size="4", as_="h2"),
            rx.text(
                "Pick a strategy, a symbol and a date range, then run it. Switch a parameter to "
                "“Range” to sweep it and see a heatmap.",
                color=rx.color("gray", 11),
                align="center",
                max_width="420px",
                size="2",
            ),
            align="center",
            spacing="2",
        ),
        padding_y="72px",
        width="100%",
        border=f"1px dashed {rx.color('gray', 5)}",
        border_radius="12px",
    )


def results_view() -> rx.Component:
    return rx.vstack(
        run_error(),
        progress_panel(),
        rx.cond(
            S.result_id != "",
            rx.vstack(
                results_header(),
                rx.cond(
                    S.result_kind == "sweep",
                    rx.text(
                        "The cards show the best combination by the sweep's objective (Sharpe).",
                        size="1",
                        color=rx.color("gray", 10),
                    ),
                ),
                metric_cards(),
                rx.cond(
                    S.result_kind == "sweep",
                    heatmap_view(),
                    rx.vstack(
                        equity_chart(),
                        drawdown_chart(),
                        price_chart(),
                        trades_table(),
                        spacing="3",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
                aria_label="Backtest results",
                role="region",
            ),
            rx.cond(~S.running, empty_results()),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )

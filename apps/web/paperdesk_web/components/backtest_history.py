# mypy: disable-error-code="no-any-return,operator,index,call-overload"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars and Var operators are typed for pyright, not mypy.)
"""The user's past runs (open, re-run, edit) and a side-by-side comparison of two."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.backtest_results import table_caption
from paperdesk_web.states._backtest import CompareRow, RunSummary
from paperdesk_web.states.backtest import BacktestState

S = BacktestState


def _status_badge(status: Any) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(
            status,
            ("succeeded", "grass"),
            ("failed", "red"),
            ("canceled", "gray"),
            "amber",
        ),
        variant="soft",
    )


def _history_row(run: ObjectVar[RunSummary]) -> rx.Component:
    tone = rx.match(
        run.tone, ("up", rx.color("grass", 11)), ("down", rx.color("red", 11)), rx.color("gray", 12)
    )
    num = {"class_name": "pd-num", "text_align": "right"}
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(run.strategy, " · ", run.symbol, weight="medium", size="2"),
                rx.text(run.params, size="1", color=rx.color("gray", 10)),
                spacing="0",
            )
        ),
        rx.table.cell(run.period, class_name="pd-num", white_space="nowrap"),
        rx.table.cell(rx.badge(run.kind, variant="outline", color_scheme="gray")),
        rx.table.cell(_status_badge(run.status)),
        rx.table.cell(run.total_return, color=tone, **num),
        rx.table.cell(run.sharpe, **num),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Open",
                    size="1",
                    variant="soft",
                    on_click=S.open_run(run.id),
                    aria_label="Open run " + run.label,
                ),
                rx.button(
                    rx.icon("rotate_cw", size=12),
                    "Re-run",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.rerun(run.id),
                    aria_label="Re-run " + run.label,
                    disabled=S.running,
                ),
                rx.button(
                    rx.icon("pencil", size=12),
                    "Edit",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.edit_run(run.id),
                    aria_label="Edit " + run.label,
                ),
                spacing="1",
                justify="end",
            )
        ),
    )


def history_table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your runs", size="4", as_="h2"),
            rx.cond(
                S.history.length() > 0,
                rx.table.root(
                    table_caption("Run history"),
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Run"),
                            rx.table.column_header_cell("Period"),
                            rx.table.column_header_cell("Kind"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Return", text_align="right"),
                            rx.table.column_header_cell("Sharpe", text_align="right"),
                            rx.table.column_header_cell("Actions", text_align="right"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.history, _history_row)),
                    size="1",
                    width="100%",
                ),
                rx.text("Your runs will be listed here.", size="2", color=rx.color("gray", 10)),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _run_item(option: rx.Var[list[str]]) -> rx.Component:
    return rx.select.item(option[1], value=option[0])


def _run_picker(label: str, side: str, value: Any) -> rx.Component:
    input_id = f"bt-compare-{side}"
    return rx.vstack(
        rx.el.label(
            rx.text(label, size="2", weight="medium", color=rx.color("gray", 11)), html_for=input_id
        ),
        rx.select.root(
            rx.select.trigger(id=input_id, placeholder="Choose a run", width="100%"),
            rx.select.content(rx.foreach(S.history_options, _run_item)),
            value=value,
            on_change=lambda v: S.set_compare(side, v),
        ),
        spacing="1",
        width="100%",
    )


def _better(side: str, row: ObjectVar[CompareRow]) -> Any:
    return rx.cond(row.better == side, rx.color("grass", 11), rx.color("gray", 12))


def _compare_row(row: ObjectVar[CompareRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.label, color=rx.color("gray", 11)),
        rx.table.cell(
            row.a,
            class_name="pd-num",
            color=_better("a", row),
            font_weight=rx.cond(row.better == "a", "700", "400"),
        ),
        rx.table.cell(
            row.b,
            class_name="pd-num",
            color=_better("b", row),
            font_weight=rx.cond(row.better == "b", "700", "400"),
        ),
    )


def compare_panel() -> rx.Component:
    chart = rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke="var(--gray-5)", stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="t", min_tick_gap=48, stroke="var(--gray-8)", font_size=11),
        rx.recharts.y_axis(width=60, unit="%", stroke="var(--gray-8)", font_size=11),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        rx.recharts.line(
            data_key="a",
            name="Run A",
            stroke="var(--teal-9)",
            dot=False,
            connect_nulls=True,
            is_animation_active=False,
        ),
        rx.recharts.line(
            data_key="b",
            name="Run B",
            stroke="var(--amber-9)",
            dot=False,
            connect_nulls=True,
            is_animation_active=False,
        ),
        data=S.compare_equity,
        width="100%",
        height=220,
    )
    return rx.card(
        rx.vstack(
            rx.heading("Compare two runs", size="4", as_="h2"),
            rx.hstack(
                _run_picker("Run A", "a", S.compare_a),
                _run_picker("Run B", "b", S.compare_b),
                rx.button(
                    rx.icon("git_compare", size=14),
                    "Compare runs",
                    on_click=S.compare,
                    type="button",
                ),
                align="end",
                spacing="3",
                width="100%",
            ),
            rx.cond(
                S.compare_error != "",
                rx.text(S.compare_error, size="2", color=rx.color("red", 11), role="alert"),
            ),
            rx.cond(
                S.compare_rows.length() > 0,
                rx.grid(
                    rx.table.root(
                        table_caption("Run comparison"),
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(""),
                                rx.table.column_header_cell("Run A"),
                                rx.table.column_header_cell("Run B"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.compare_rows, _compare_row)),
                        size="1",
                    ),
                    rx.vstack(
                        rx.text("Growth of each run (%)", size="2", color=rx.color("gray", 11)),
                        rx.box(chart, width="100%", role="img", aria_label="Equity of both runs"),
                        width="100%",
                    ),
                    columns="2",
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )

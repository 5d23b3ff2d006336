# mypy: disable-error-code="no-any-return,operator,index,call-overload"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars and Var operators are typed for pyright, not mypy.)
"""The backtest builder form: strategy, market, costs and the strategy's own params."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.states.backtest import BacktestState, FieldView, StrategyOption, SymbolHit

S = BacktestState


def _label(text: Any, html_for: Any) -> rx.Component:
    return rx.el.label(
        rx.text(text, size="2", weight="medium", color=rx.color("gray", 11)),
        html_for=html_for,
    )


def field_error(key: Any) -> rx.Component:
    """The inline message of one form key, when it has one."""
    return rx.cond(
        S.errors.contains(key),
        rx.text(S.errors[key], size="1", color=rx.color("red", 11), role="alert"),
    )


def _text_field(
    label: str, key: str, value: Any, *, input_type: str = "text", **props: Any
) -> rx.Component:
    input_id = f"bt-{key.replace('_', '-')}"
    return rx.vstack(
        _label(label, input_id),
        rx.input(
            id=input_id,
            value=value,
            type=input_type,
            on_change=lambda v: S.set_form_value(key, v),
            width="100%",
            aria_invalid=rx.cond(S.errors.contains(key), "true", "false"),
            **props,
        ),
        field_error(key),
        spacing="1",
        width="100%",
    )


def _select_field(label: str, key: str, value: Any, options: list[tuple[str, str]]) -> rx.Component:
    input_id = f"bt-{key.replace('_', '-')}"
    return rx.vstack(
        _label(label, input_id),
        rx.select.root(
            rx.select.trigger(id=input_id, width="100%"),
            rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
            value=value,
            on_change=lambda v: S.set_form_value(key, v),
        ),
        spacing="1",
        width="100%",
    )


def _strategy_item(option: ObjectVar[StrategyOption]) -> rx.Component:
    return rx.select.item(option.title, value=option.name)


def strategy_picker() -> rx.Component:
    return rx.vstack(
        _label("Strategy", "bt-strategy"),
        rx.select.root(
            rx.select.trigger(id="bt-strategy", width="100%", placeholder="Choose a strategy"),
            rx.select.content(rx.foreach(S.strategies, _strategy_item)),
            value=S.strategy,
            on_change=S.set_strategy,
        ),
        rx.text(S.strategy_description, size="1", color=rx.color("gray", 10)),
        field_error("strategy"),
        spacing="1",
        width="100%",
    )


def _symbol_hit(hit: ObjectVar[SymbolHit]) -> rx.Component:
    return rx.button(
        rx.text(hit.symbol, weight="bold", size="2"),
        rx.text(hit.name, size="1", color=rx.color("gray", 10), truncate=True),
        variant="ghost",
        color_scheme="gray",
        size="1",
        justify="start",
        width="100%",
        on_click=S.pick_symbol(hit.symbol),
        aria_label="Use " + hit.symbol,
        type="button",
    )


def symbol_search() -> rx.Component:
    return rx.vstack(
        _label("Symbol", "bt-symbol"),
        rx.input(
            id="bt-symbol",
            value=S.symbol,
            on_change=S.search_symbol,
            debounce_timeout=250,
            placeholder="Search, e.g. GOOG",
            auto_complete="off",
            width="100%",
        ),
        rx.cond(
            S.symbol_results.length() > 0,
            rx.vstack(
                rx.foreach(S.symbol_results, _symbol_hit),
                spacing="1",
                width="100%",
                padding="4px",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="6px",
                background=rx.color("gray", 2),
            ),
        ),
        field_error("symbol"),
        spacing="1",
        width="100%",
    )


def _option_item(option: rx.Var[str]) -> rx.Component:
    return rx.select.item(option, value=option)


def _single_value(field: ObjectVar[FieldView], input_id: Any) -> rx.Component:
    return rx.cond(
        field.kind == "enum",
        rx.select.root(
            rx.select.trigger(id=input_id, width="100%"),
            rx.select.content(rx.foreach(field.options.to(list[str]), _option_item)),
            value=S.param_values[field.name],
            on_change=lambda v: S.set_param(field.name, v),
        ),
        rx.input(
            id=input_id,
            value=S.param_values[field.name],
            on_change=lambda v: S.set_param(field.name, v),
            input_mode=rx.cond(field.kind == "integer", "numeric", "decimal"),
            placeholder=rx.cond(field.hint.contains("optional"), "off", ""),
            width="100%",
        ),
    )


def _range_part(field: ObjectVar[FieldView], part: str, values: Any) -> rx.Component:
    input_id = "bt-param-" + field.name + "-" + part
    return rx.vstack(
        rx.el.label(
            rx.text(part.capitalize(), size="1", color=rx.color("gray", 10)),
            html_for=input_id,
        ),
        rx.input(
            id=input_id,
            value=values[field.name],
            on_change=lambda v: S.set_sweep_value(part, field.name, v),
            input_mode="decimal",
            aria_label=field.title + " " + part,
            width="100%",
        ),
        spacing="0",
        width="100%",
    )


def param_field(field: ObjectVar[FieldView]) -> rx.Component:
    """One strategy parameter: a value, or for numbers optionally a start/stop/step range."""
    input_id = "bt-param-" + field.name
    swept = S.sweep_on[field.name]
    return rx.vstack(
        rx.hstack(
            _label(field.title, input_id),
            rx.text(field.hint, size="1", color=rx.color("gray", 9)),
            rx.spacer(),
            rx.cond(
                field.numeric,
                rx.el.label(
                    rx.hstack(
                        rx.text("Range", size="1", color=rx.color("gray", 11)),
                        rx.switch(
                            checked=swept,
                            on_change=lambda v: S.set_sweep(field.name, v),
                            size="1",
                            aria_label="Sweep " + field.title,
                        ),
                        align="center",
                        spacing="1",
                    ),
                ),
            ),
            align="center",
            width="100%",
            spacing="2",
        ),
        rx.cond(
            swept,
            rx.hstack(
                _range_part(field, "start", S.sweep_start),
                _range_part(field, "stop", S.sweep_stop),
                _range_part(field, "step", S.sweep_step),
                spacing="2",
                width="100%",
            ),
            _single_value(field, input_id),
        ),
        rx.text(field.description, size="1", color=rx.color("gray", 10)),
        field_error("param." + field.name),
        spacing="1",
        width="100%",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(
            title, size="1", weight="bold", color=rx.color("gray", 10), letter_spacing="0.06em"
        ),
        *children,
        spacing="3",
        width="100%",
    )


def run_button() -> rx.Component:
    return rx.button(
        rx.cond(
            S.running | S.submitting,
            rx.spinner(size="2"),
            rx.icon("play", size=16),
        ),
        rx.cond(
            S.is_sweep,
            rx.text("Run sweep (", S.combinations, " runs)"),
            rx.text("Run backtest"),
        ),
        size="3",
        width="100%",
        disabled=S.running | S.submitting,
        on_click=S.submit,
        type="button",
    )


def builder_form() -> rx.Component:
    """The whole builder, in a card."""
    return rx.card(
        rx.vstack(
            rx.heading("New backtest", size="4", as_="h2"),
            _section("STRATEGY", strategy_picker()),
            _section(
                "MARKET",
                symbol_search(),
                rx.grid(
                    _text_field("Start date", "start", S.start, input_type="date"),
                    _text_field("End date", "end", S.end, input_type="date"),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
                rx.grid(
                    _select_field(
                        "Timeframe",
                        "timeframe",
                        S.timeframe,
                        [
                            ("1d", "Daily"),
                            ("1h", "Hourly"),
                            ("5m", "5 minutes"),
                            ("1m", "1 minute"),
                        ],
                    ),
                    _select_field(
                        "Execution",
                        "execution",
                        S.execution,
                        [("next_open", "Next bar's open"), ("close", "Signal bar's close")],
                    ),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
            ),
            _section(
                "COSTS & SIZING",
                rx.grid(
                    _text_field(
                        "Initial cash", "initial_cash", S.initial_cash, input_mode="decimal"
                    ),
                    _select_field(
                        "Sizing",
                        "sizing",
                        S.sizing,
                        [("fractional", "Fractional units"), ("whole", "Whole shares")],
                    ),
                    _text_field("Fees (fraction)", "fees", S.fees, input_mode="decimal"),
                    _text_field(
                        "Slippage (fraction)", "slippage", S.slippage, input_mode="decimal"
                    ),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
            ),
            _section("PARAMETERS", rx.foreach(S.fields, param_field)),
            field_error("sweep"),
            run_button(),
            spacing="5",
            width="100%",
        ),
        size="2",
        width="100%",
    )

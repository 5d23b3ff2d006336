# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Backtest: build a run from a strategy's params schema, watch it, read the results."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.backtest_form import builder_form
from paperdesk_web.components.backtest_history import compare_panel, history_table
from paperdesk_web.components.backtest_results import results_view
from paperdesk_web.pages._template import template
from paperdesk_web.states.backtest import BacktestState

FORM_WIDTH = "360px"


@template(route="/backtest", title="Backtest", on_load=[BacktestState.load])
def backtest() -> rx.Component:
    """The builder on the left, results on the right, history and comparison below."""
    return rx.vstack(
        rx.hstack(
            rx.box(builder_form(), width=FORM_WIDTH, min_width=FORM_WIDTH, flex_shrink="0"),
            rx.box(results_view(), flex="1", min_width="0", overflow_x="auto"),
            align="start",
            spacing="5",
            width="100%",
        ),
        history_table(),
        compare_panel(),
        spacing="5",
        width="100%",
    )

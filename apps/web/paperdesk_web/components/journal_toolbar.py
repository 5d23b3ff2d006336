# mypy: disable-error-code="no-any-return,operator"
# (Reflex component constructors are untyped, so every view function returns Any; event
# handlers called with Vars are typed for pyright, not mypy.)
"""The journal's filters (symbol, tag, dates, outcome) and its CSV export and import."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.forms import labeled_select
from paperdesk_web.components.trade_filters import filter_bar
from paperdesk_web.states._journal import OUTCOMES
from paperdesk_web.states.journal import JournalState

S = JournalState
IMPORT_ID = "journal-import"


def journal_filters() -> rx.Component:
    """Inputs that narrow the trade table: symbol, tag, dates and outcome."""
    outcome = rx.box(
        labeled_select(
            "Outcome",
            select_id="journal-outcome",
            options=list(OUTCOMES),
            value=S.outcome,
            on_change=lambda value: S.set_filter("outcome", value),
            size="2",
        ),
        width="130px",
    )
    return filter_bar(S, prefix="journal", label="Filter trades", extra=(outcome,))


def csv_actions() -> rx.Component:
    """Export every trade as CSV; import a CSV of the same columns."""
    return rx.hstack(
        rx.button(
            rx.icon("download", size=14),
            "Export CSV",
            variant="soft",
            color_scheme="gray",
            size="2",
            on_click=S.export_csv,
            type="button",
        ),
        rx.upload.root(
            rx.button(
                rx.icon("upload", size=14),
                "Import CSV",
                variant="soft",
                color_scheme="gray",
                size="2",
                loading=S.importing,
                type="button",
            ),
            id=IMPORT_ID,
            accept={"text/csv": [".csv"]},
            multiple=False,
            max_files=1,
            no_drag=True,
            on_drop=S.import_csv,
            border="none",
            padding="0",
        ),
        spacing="2",
        align="end",
    )

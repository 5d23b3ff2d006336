# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Dashboard: the selected watchlist as live tiles, with search to add instruments."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from paperdesk_web.components.account_summary import account_summary
from paperdesk_web.components.empty_state import empty_state
from paperdesk_web.components.forms import form_error, labeled_input
from paperdesk_web.components.positions_table import positions_table
from paperdesk_web.components.quote_tile import quote_tile
from paperdesk_web.pages._template import template
from paperdesk_web.states.dashboard import DashboardState, InstrumentHit
from paperdesk_web.states.trade import TradeState

S = DashboardState


def _dialog_buttons(submit_label: str, *, color_scheme: str = "teal") -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        rx.button(submit_label, type="submit", color_scheme=color_scheme),
        justify="end",
        spacing="3",
        width="100%",
    )


def create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), "New watchlist", variant="soft")),
        rx.dialog.content(
            rx.dialog.title("New watchlist"),
            rx.dialog.description("Group the instruments you want to follow.", size="2"),
            rx.form(
                rx.vstack(
                    labeled_input(
                        "Watchlist name",
                        input_id="new-watchlist-name",
                        name="name",
                        placeholder="e.g. Tech, Crypto, Swing ideas",
                        auto_focus=True,
                    ),
                    form_error(S.dialog_error),
                    _dialog_buttons("Create watchlist"),
                    spacing="4",
                    padding_top="12px",
                ),
                on_submit=S.create_watchlist,
                reset_on_submit=True,
            ),
            max_width="420px",
        ),
        open=S.create_open,
        on_open_change=S.set_create_open,
    )


def rename_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("pencil", size=14), "Rename", variant="soft", color_scheme="gray")
        ),
        rx.dialog.content(
            rx.dialog.title("Rename watchlist"),
            rx.form(
                rx.vstack(
                    labeled_input(
                        "New name",
                        input_id="rename-watchlist-name",
                        name="name",
                        default_value=S.selected_name,
                        auto_focus=True,
                    ),
                    form_error(S.dialog_error),
                    _dialog_buttons("Save name"),
                    spacing="4",
                    padding_top="12px",
                ),
                on_submit=S.rename_watchlist,
            ),
            max_width="420px",
        ),
        open=S.rename_open,
        on_open_change=S.set_rename_open,
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("trash_2", size=14), "Delete", variant="soft", color_scheme="red")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete watchlist"),
            rx.alert_dialog.description(
                f"Delete “{S.selected_name}”? Its symbols are removed from it; nothing else changes.",
                size="2",
            ),
            form_error(S.dialog_error),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button("Delete watchlist", color_scheme="red", on_click=S.delete_watchlist),
                justify="end",
                spacing="3",
                padding_top="12px",
            ),
            max_width="420px",
        ),
        open=S.delete_open,
        on_open_change=S.set_delete_open,
    )


def watchlist_picker() -> rx.Component:
    return rx.hstack(
        rx.el.label(
            rx.text("Watchlist", size="2", weight="medium", color=rx.color("gray", 11)),
            html_for="watchlist-select",
        ),
        rx.select.root(
            rx.select.trigger(id="watchlist-select", min_width="200px", aria_label="Watchlist"),
            rx.select.content(
                rx.foreach(
                    S.watchlists,
                    lambda ref: rx.select.item(ref.name, value=ref.id),
                )
            ),
            value=S.selected_id,
            on_change=S.select_watchlist,
        ),
        align="center",
        spacing="3",
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.cond(S.has_watchlists, watchlist_picker()),
        rx.cond(S.has_watchlists, rename_dialog()),
        rx.cond(S.has_watchlists, delete_dialog()),
        rx.spacer(),
        create_dialog(),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def search_result(hit: ObjectVar[InstrumentHit]) -> rx.Component:
    return rx.hstack(
        rx.text(hit.symbol, weight="bold", size="2", min_width="88px"),
        rx.text(hit.name, size="2", color=rx.color("gray", 11), trim="both"),
        rx.cond(
            hit.asset_class != "",
            rx.badge(hit.asset_class, variant="outline", color_scheme="gray", size="1"),
        ),
        rx.spacer(),
        rx.button(
            rx.icon("plus", size=14),
            "Add",
            size="1",
            variant="soft",
            aria_label=f"Add {hit.symbol}",
            on_click=S.add_symbol(hit.symbol),  # type: ignore[operator]  # rx.event is typed for pyright
        ),
        align="center",
        width="100%",
        padding_x="8px",
        padding_y="6px",
        border_radius="6px",
        _hover={"background": rx.color("gray", 3)},
    )


def search_box() -> rx.Component:
    return rx.box(
        labeled_input(
            "Search instruments",
            input_id="instrument-search",
            name="instrument-search",
            placeholder="Symbol or name, e.g. AAPL, Bitcoin, EUR",
            value=S.search_query,
            on_change=S.search,
            debounce_timeout=200,
            disabled=~S.has_watchlists,
        ),
        rx.cond(
            S.search_results.length() > 0,
            rx.card(
                rx.vstack(rx.foreach(S.search_results, search_result), spacing="1", width="100%"),
                size="1",
                margin_top="8px",
                aria_label="Search results",
            ),
        ),
        rx.cond(
            S.search_message != "",
            rx.text(S.search_message, size="2", color=rx.color("gray", 10), margin_top="8px"),
        ),
        width="100%",
        max_width="560px",
    )


def tiles_grid() -> rx.Component:
    return rx.grid(
        rx.foreach(S.tiles, lambda tile: quote_tile(tile, S.remove_symbol)),  # type: ignore[arg-type]
        columns=rx.breakpoints(initial="1", sm="2", lg="3", xl="4"),
        spacing="4",
        width="100%",
    )


def empty_watchlist() -> rx.Component:
    return empty_state(
        "search",
        "This watchlist is empty.",
        "Search for an instrument above and add it to see live prices.",
    )


def no_watchlists() -> rx.Component:
    return empty_state(
        "layout_dashboard",
        "Create your first watchlist",
        "Use “New watchlist”, then add symbols to follow their prices live.",
    )


def positions_card() -> rx.Component:
    """The open positions with live P&L (managed on the Trade page)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Positions", size="3", as_="h2"),
                rx.spacer(),
                rx.link(
                    rx.hstack(
                        "Open Trade", rx.icon("arrow_right", size=14), spacing="1", align="center"
                    ),
                    href="/trade",
                    size="2",
                ),
                align="center",
                width="100%",
            ),
            positions_table(closable=False),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        role="region",
        aria_label="Positions",
    )


@template(
    route="/",
    title="Dashboard",
    on_load=[S.load, TradeState.load_account, TradeState.run_trading_stream],
)
def dashboard() -> rx.Component:
    """Account summary, positions and watchlist tiles with live prices."""
    return rx.vstack(
        account_summary(),
        toolbar(),
        search_box(),
        form_error(S.error),
        rx.cond(
            S.has_watchlists,
            rx.cond(S.tiles.length() > 0, tiles_grid(), empty_watchlist()),
            rx.cond(S.loaded, no_watchlists()),
        ),
        positions_card(),
        spacing="5",
        width="100%",
    )

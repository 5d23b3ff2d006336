# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""The app shell: side navigation, a header with the connection status, the content."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.connection import connection_indicator
from paperdesk_web.states.auth import AuthState
from paperdesk_web.states.live import LiveState

NAV_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "/", "layout_dashboard"),
    ("Trade", "/trade", "arrow_left_right"),
    ("Backtest", "/backtest", "flask_conical"),
    ("Journal", "/journal", "notebook_pen"),
    ("Analytics", "/analytics", "chart_line"),
)
SIDEBAR_WIDTH = "220px"


def brand(size: str = "5") -> rx.Component:
    """The PaperDesk mark."""
    return rx.hstack(
        rx.center(
            rx.icon("candlestick_chart", size=18, color=rx.color("teal", 1)),
            width="30px",
            height="30px",
            border_radius="8px",
            background=rx.color("teal", 9),
        ),
        rx.text("PaperDesk", size=size, weight="bold"),
        align="center",
        spacing="2",
    )


def nav_link(label: str, href: str, icon: str, *, active: bool) -> rx.Component:
    """A navigation entry; the current page is highlighted and marked aria-current."""
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16),
            rx.text(label, size="2", weight="medium"),
            align="center",
            spacing="3",
            padding_x="12px",
            padding_y="8px",
            border_radius="6px",
            width="100%",
            background=rx.color("teal", 3) if active else "transparent",
            color=rx.color("teal", 11) if active else rx.color("gray", 11),
            _hover={"background": rx.color("gray", 3), "color": rx.color("gray", 12)},
        ),
        href=href,
        underline="none",
        width="100%",
        aria_current="page" if active else None,
    )


def sidebar(active_route: str) -> rx.Component:
    return rx.vstack(
        rx.box(brand(), padding_x="12px", padding_y="6px"),
        rx.el.nav(
            rx.vstack(
                *[
                    nav_link(label, href, icon, active=href == active_route)
                    for label, href, icon in NAV_ITEMS
                ],
                spacing="1",
                width="100%",
            ),
            aria_label="Main",
            width="100%",
        ),
        rx.spacer(),
        rx.badge("Paper trading · no real money", variant="soft", color_scheme="gray", size="1"),
        rx.divider(),
        rx.hstack(
            rx.icon("circle_user", size=18, color=rx.color("gray", 10)),
            rx.text(
                AuthState.user_label,
                size="2",
                weight="medium",
                trim="both",
                overflow="hidden",
                text_overflow="ellipsis",
                white_space="nowrap",
                max_width="150px",
                aria_label="Signed in as",
            ),
            align="center",
            spacing="2",
            padding_x="4px",
        ),
        rx.button(
            rx.icon("log_out", size=14),
            "Log out",
            variant="soft",
            color_scheme="gray",
            size="2",
            width="100%",
            on_click=AuthState.logout,
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="16px",
        spacing="4",
        background=rx.color("gray", 2),
        border_right=f"1px solid {rx.color('gray', 4)}",
    )


def header(title: str) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="6", weight="bold", as_="h1"),
        rx.spacer(),
        connection_indicator(LiveState.status),
        align="center",
        width="100%",
        padding_x="28px",
        padding_y="16px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def shell(content: rx.Component, *, title: str, route: str) -> rx.Component:
    """Wrap a page's content in the navigation and header."""
    return rx.hstack(
        sidebar(route),
        rx.vstack(
            header(title),
            rx.el.main(content, width="100%", padding="24px 28px"),
            spacing="0",
            width="100%",
            min_height="100vh",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def coming_soon(what: str, description: str, icon: str) -> rx.Component:
    """Placeholder content of a page that is not built yet."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=36, color=rx.color("teal", 9)),
            rx.heading(f"{what} is coming soon", size="5"),
            rx.text(description, color=rx.color("gray", 11), align="center", max_width="460px"),
            align="center",
            spacing="3",
        ),
        padding_y="96px",
        width="100%",
    )

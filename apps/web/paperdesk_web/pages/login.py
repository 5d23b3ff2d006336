# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Log-in page."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.forms import form_error, labeled_input
from paperdesk_web.pages._auth_layout import auth_layout
from paperdesk_web.pages._template import public_page
from paperdesk_web.states.auth import AuthState


@public_page(
    route="/login",
    title="Log in",
    on_load=[AuthState.clear_errors, AuthState.redirect_if_logged_in],
)
def login() -> rx.Component:
    """Email and password form."""
    return auth_layout(
        "Log in",
        "Welcome back. Your paper account is waiting.",
        rx.form(
            rx.vstack(
                labeled_input(
                    "Email",
                    input_id="login-email",
                    name="email",
                    input_type="email",
                    placeholder="you@example.com",
                    auto_complete="username",
                    required=True,
                ),
                labeled_input(
                    "Password",
                    input_id="login-password",
                    name="password",
                    input_type="password",
                    auto_complete="current-password",
                    required=True,
                ),
                form_error(AuthState.login_error),
                rx.button(
                    "Log in",
                    type="submit",
                    size="3",
                    width="100%",
                    loading=AuthState.busy,
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=AuthState.login,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text(
            "New to PaperDesk? ",
            rx.link("Create an account", href="/signup"),
            size="2",
            color=rx.color("gray", 11),
        ),
    )

# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Sign-up page."""

from __future__ import annotations

import reflex as rx

from paperdesk_web.components.forms import form_error, labeled_input
from paperdesk_web.pages._auth_layout import auth_layout
from paperdesk_web.pages._template import public_page
from paperdesk_web.states.auth import AuthState


@public_page(
    route="/signup",
    title="Sign up",
    on_load=[AuthState.clear_errors, AuthState.redirect_if_logged_in],
)
def signup() -> rx.Component:
    """Registration form; a new account starts with 100,000.00 USD of paper money."""
    return auth_layout(
        "Create your account",
        "Start with $100,000 of paper money. No real money, ever.",
        rx.form(
            rx.vstack(
                labeled_input(
                    "Display name",
                    input_id="signup-name",
                    name="display_name",
                    placeholder="Ada Trader",
                    auto_complete="nickname",
                ),
                labeled_input(
                    "Email",
                    input_id="signup-email",
                    name="email",
                    input_type="email",
                    placeholder="you@example.com",
                    auto_complete="email",
                    required=True,
                ),
                labeled_input(
                    "Password",
                    input_id="signup-password",
                    name="password",
                    input_type="password",
                    placeholder="At least 8 characters",
                    auto_complete="new-password",
                    required=True,
                ),
                form_error(AuthState.signup_error),
                rx.button(
                    "Create account",
                    type="submit",
                    size="3",
                    width="100%",
                    loading=AuthState.busy,
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=AuthState.signup,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Log in", href="/login"),
            size="2",
            color=rx.color("gray", 11),
        ),
    )

"""Authentication state: the API token (kept in localStorage) and the current user."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from paperdesk_web.api_client import ApiClient, ApiError

TOKEN_STORAGE_KEY = "paperdesk_token"  # noqa: S105 - a storage key, not a secret
LOGIN_ROUTE = "/login"
HOME_ROUTE = "/"


class AuthState(rx.State):
    """Root state of the app: who is logged in."""

    # Persisted in the browser so a reload keeps the session; sync=True keeps tabs in step.
    token: str = rx.LocalStorage("", name=TOKEN_STORAGE_KEY, sync=True)
    user_email: rx.Field[str] = rx.field("")
    user_name: rx.Field[str] = rx.field("")
    login_error: rx.Field[str] = rx.field("")
    signup_error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    @rx.var
    def logged_in(self) -> bool:
        """Whether a token is present."""
        return bool(self.token)

    @rx.var
    def user_label(self) -> str:
        """Name shown in the shell."""
        return self.user_name or self.user_email

    def api(self) -> ApiClient:
        """Return an API client with the current token."""
        return ApiClient(self.token)

    def _clear_session(self) -> None:
        self.token = ""
        self.user_email = ""
        self.user_name = ""

    def _set_user(self, user: dict[str, Any]) -> None:
        self.user_email = str(user.get("email") or "")
        self.user_name = str(user.get("display_name") or "")

    @rx.event
    async def require_login(self) -> AsyncGenerator[Any]:
        """On-load guard of the app pages: go to the login page without a valid token."""
        if not self.token:
            yield rx.redirect(LOGIN_ROUTE)
            return
        if self.user_email:
            return
        try:
            self._set_user(dict(await self.api().me()))
        except ApiError as exc:
            if exc.status == 401:
                self._clear_session()
                yield rx.redirect(LOGIN_ROUTE)

    @rx.event
    def redirect_if_logged_in(self) -> Any:
        """On-load of the login and sign-up pages: skip them when already logged in."""
        if self.token:
            return rx.redirect(HOME_ROUTE)
        return None

    @rx.event
    async def login(self, form_data: dict[str, Any]) -> AsyncGenerator[Any]:
        """Log in with email and password."""
        email = str(form_data.get("email", "")).strip()
        password = str(form_data.get("password", ""))
        if not email or not password:
            self.login_error = "Enter your email and password"
            return
        self.busy = True
        self.login_error = ""
        yield
        try:
            client = ApiClient()
            token = await client.login(email, password)
            self.token = token
            self._set_user(dict(await ApiClient(token).me()))
        except ApiError as exc:
            self.login_error = exc.message
            return
        finally:
            self.busy = False
        yield rx.redirect(HOME_ROUTE)

    @rx.event
    async def signup(self, form_data: dict[str, Any]) -> AsyncGenerator[Any]:
        """Create an account, then log in with it."""
        email = str(form_data.get("email", "")).strip()
        password = str(form_data.get("password", ""))
        display_name = str(form_data.get("display_name", "")).strip()
        if not email or not password:
            self.signup_error = "Enter an email and a password"
            return
        if len(password) < 8:
            self.signup_error = "Password must be at least 8 characters"
            return
        self.busy = True
        self.signup_error = ""
        yield
        try:
            client = ApiClient()
            await client.register(email, password, display_name)
            token = await client.login(email, password)
            self.token = token
            self._set_user(dict(await ApiClient(token).me()))
        except ApiError as exc:
            self.signup_error = exc.message
            return
        finally:
            self.busy = False
        yield rx.redirect(HOME_ROUTE)

    @rx.event
    def clear_errors(self) -> None:
        """Forget the messages of the auth forms (when a page opens)."""
        self.login_error = ""
        self.signup_error = ""

    @rx.event
    def logout(self) -> Any:
        """Forget the token and go to the login page."""
        self._clear_session()
        return rx.redirect(LOGIN_ROUTE)

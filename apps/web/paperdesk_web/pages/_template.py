# mypy: disable-error-code="no-any-return"
# (Reflex component constructors are untyped, so every view function returns Any.)
"""Page decorators: `@template` (a protected page in the app shell) and `@public_page`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from paperdesk_web.components.shell import shell
from paperdesk_web.states.auth import AuthState
from paperdesk_web.states.live import LiveState

PageFn = Callable[[], rx.Component]


def template(*, route: str, title: str, on_load: Sequence[Any] = ()) -> Callable[[PageFn], PageFn]:
    """Register a page that needs a login, wrapped in the shell, streaming quotes."""

    def decorator(content: PageFn) -> PageFn:
        def page() -> rx.Component:
            return shell(content(), title=title, route=route)

        page.__name__ = content.__name__
        rx.page(
            route=route,
            title=f"{title} · PaperDesk",
            on_load=[AuthState.require_login, *on_load, LiveState.run_stream],
        )(page)
        return page

    return decorator


def public_page(
    *, route: str, title: str, on_load: Sequence[Any] = ()
) -> Callable[[PageFn], PageFn]:
    """Register a page that needs no login (no shell, no quote stream)."""

    def decorator(content: PageFn) -> PageFn:
        rx.page(route=route, title=f"{title} · PaperDesk", on_load=list(on_load))(content)
        return content

    return decorator

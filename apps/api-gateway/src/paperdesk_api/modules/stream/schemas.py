"""WebSocket messages: client actions in, typed events out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from paperdesk_api.kit.schemas import Schema, Symbol

MAX_SUBSCRIPTIONS = 200


class ClientAction(Schema):
    """``{"action": "subscribe"|"unsubscribe", "quotes": ["AAPL", ...]}`` or a ping."""

    action: Literal["subscribe", "unsubscribe", "ping"]
    quotes: Annotated[list[Symbol], Field(max_length=MAX_SUBSCRIPTIONS)] = Field(
        default_factory=list
    )


def event(type_: str, data: Any) -> dict[str, Any]:
    """A server message: ``{"type": "quote|order|fill|account|error|pong", "data": ...}``."""
    return {"type": type_, "data": data}


def error(code: str, message: str) -> dict[str, Any]:
    return event("error", {"code": code, "message": message})

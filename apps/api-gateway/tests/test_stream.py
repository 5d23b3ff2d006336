from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from paperdesk_api.modules.auth._security import issue_token

pytestmark = pytest.mark.timeout(60)


def _until(ws: Any, type_: str, max_messages: int = 50) -> dict[str, Any]:
    for _ in range(max_messages):
        msg = ws.receive_json()
        if msg["type"] == type_:
            return msg  # type: ignore[no-any-return]
    raise AssertionError(f"no {type_} message")


def test_subscribe_gets_current_then_live_quotes(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    make_instrument: Callable[..., str],
    publish: Callable[..., None],
) -> None:
    user = make_user()
    sym, other = make_instrument(), make_instrument()
    publish(sym, "50", prev_close="40")
    with client.websocket_connect(f"/api/v1/stream?token={user['token']}") as ws:
        ws.send_json({"action": "subscribe", "quotes": [sym.lower()]})
        first = ws.receive_json()
        assert first["type"] == "quote"
        assert first["data"]["symbol"] == sym
        assert first["data"]["price"] == "50"
        assert first["data"]["change"] == "10"

        publish(other, "1")  # not subscribed: must not arrive
        publish(sym, "51.5")
        live = ws.receive_json()
        assert live == {"type": "quote", "data": live["data"]}
        assert live["data"]["symbol"] == sym
        assert live["data"]["price"] == "51.5"
        assert live["data"]["prev_close"] == "40"  # cached from the snapshot

        ws.send_json({"action": "unsubscribe", "quotes": [sym]})
        ws.send_json({"action": "subscribe", "quotes": [other]})
        got = ws.receive_json()
        assert got["data"]["symbol"] == other  # the snapshot of the new symbol, nothing of sym
        publish(sym, "60")
        publish(other, "2")
        got = ws.receive_json()
        assert (got["data"]["symbol"], got["data"]["price"]) == (other, "2")


def test_two_clients_share_one_subscription(
    client: TestClient,
    make_user: Callable[[], dict[str, Any]],
    make_instrument: Callable[..., str],
    publish: Callable[..., None],
) -> None:
    token_a, token_b = make_user()["token"], make_user()["token"]
    sym = make_instrument()
    publish(sym, "5")
    with (
        client.websocket_connect(f"/api/v1/stream?token={token_a}") as a,
        client.websocket_connect(f"/api/v1/stream?token={token_b}") as b,
    ):
        for ws in (a, b):
            ws.send_json({"action": "subscribe", "quotes": [sym]})
            assert ws.receive_json()["data"]["price"] == "5"
        publish(sym, "6")
        assert a.receive_json()["data"]["price"] == "6"
        assert b.receive_json()["data"]["price"] == "6"


@pytest.mark.parametrize(
    "token_of",
    [
        lambda u: None,
        lambda u: "garbage",
        lambda u: u["token"][:-3] + "abc",
        lambda u: issue_token(uuid.UUID(u["id"]), ttl_seconds=-1)[0],
        lambda u: issue_token(uuid.uuid4())[0],
    ],
    ids=["missing", "garbage", "tampered", "expired", "unknown-user"],
)
def test_bad_token_closes_with_4401(
    client: TestClient, make_user: Callable[[], dict[str, Any]], token_of: Callable[..., Any]
) -> None:
    token = token_of(make_user())
    url = "/api/v1/stream" if token is None else f"/api/v1/stream?token={token}"
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url) as ws:
        ws.receive_json()
    assert info.value.code == 4401


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", "invalid_message"),
        ("[1, 2]", "invalid_message"),
        ('{"action": "dance"}', "invalid_message"),
        ('{"action": "subscribe", "quotes": "AAPL"}', "invalid_message"),
        ('{"action": "subscribe", "quotes": ["NOPE123"]}', "unknown_symbol"),
        ("x" * 20_000, "message_too_large"),
    ],
)
def test_invalid_messages_answer_errors_without_closing(
    client: TestClient, make_user: Callable[[], dict[str, Any]], message: str, code: str
) -> None:
    with client.websocket_connect(f"/api/v1/stream?token={make_user()['token']}") as ws:
        ws.send_text(message)
        err = ws.receive_json()
        assert err["type"] == "error"
        assert err["data"]["code"] == code
        assert err["data"]["message"]
        ws.send_json({"action": "ping"})
        assert ws.receive_json()["type"] == "pong"

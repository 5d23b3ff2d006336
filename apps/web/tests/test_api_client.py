import json

import httpx
import pytest

from paperdesk_web.api_client import ApiClient, ApiError, error_from_response, stream_url


def _client(handler, token: str = "") -> ApiClient:
    return ApiClient(token, base_url="http://api.test", transport=httpx.MockTransport(handler))


@pytest.mark.anyio
async def test_login_posts_the_oauth2_form_and_returns_the_token():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["body"] = request.content.decode()
        return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer"})

    token = await _client(handler).login("a@b.co", "secret123")
    assert token == "tok"
    assert seen["path"] == "/api/v1/auth/login"
    assert "username=a%40b.co" in seen["body"]
    assert "password=secret123" in seen["body"]


@pytest.mark.anyio
async def test_calls_carry_the_bearer_token():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer T1"
        return httpx.Response(200, json=[])

    assert await _client(handler, token="T1").list_watchlists() == []


@pytest.mark.anyio
async def test_remove_symbol_escapes_the_path_and_accepts_204():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "DELETE"
        assert request.url.raw_path == b"/api/v1/watchlists/w1/items/BRK%2FB"
        return httpx.Response(204)

    assert await _client(handler, token="t").remove_symbol("w1", "BRK/B") is None


@pytest.mark.anyio
async def test_search_sends_the_query():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["q"] == "app"
        return httpx.Response(200, json=[{"symbol": "AAPL", "name": "Apple Inc."}])

    hits = await _client(handler, token="t").search_instruments("app")
    assert hits[0]["symbol"] == "AAPL"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (409, {"detail": {"code": "email_taken", "message": "exists"}}, "Email already registered"),
        (
            401,
            {"detail": {"code": "invalid_credentials", "message": "no"}},
            "Invalid email or password",
        ),
        (
            404,
            {"detail": {"code": "not_found", "message": "watchlist not found"}},
            "watchlist not found",
        ),
        (
            422,
            {"detail": [{"loc": ["body", "password"], "msg": "too short", "type": "x"}]},
            "Password must be at least 8 characters",
        ),
        (500, "oops", "The API answered 500"),
    ],
)
async def test_errors_become_messages_for_people(status, body, message):
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, content=json.dumps(body).encode())

    with pytest.raises(ApiError) as caught:
        await _client(handler).me()
    assert caught.value.message == message
    assert caught.value.status == status


@pytest.mark.anyio
async def test_unreachable_api_is_an_api_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ApiError, match="not reachable"):
        await _client(handler).me()


def test_error_without_a_body_falls_back_on_the_status():
    error = error_from_response(httpx.Response(403))
    assert error.message == "Not allowed"


def test_stream_url_switches_the_scheme_and_escapes_the_token():
    assert stream_url("a+b", "http://h:8000/") == "ws://h:8000/api/v1/stream?token=a%2Bb"
    assert stream_url("t", "https://x.io").startswith("wss://x.io/api/v1/stream")


def test_api_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAPERDESK_API_URL", "http://api.example:9000/")
    assert ApiClient().base_url == "http://api.example:9000"

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from paperdesk_core.config import get_settings
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Account, User
from sqlalchemy import select

from paperdesk_api.modules.auth import _security
from paperdesk_api.modules.auth._security import issue_token, read_token
from paperdesk_api.modules.auth.service import register_user

PASSWORD = "correct horse battery"


def _email() -> str:
    return f"Auth-{uuid.uuid4().hex[:12]}@Example.com"


def _login(client: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", data={"username": email, "password": password})


def test_register_login_me(client: TestClient) -> None:
    email = _email()
    r = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "  Ada  "},
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == email.lower()
    assert user["display_name"] == "Ada"
    assert "password" not in r.text
    assert "password_hash" not in user

    r = _login(client, email.upper(), PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().token_ttl_seconds

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    assert me.json()["email"] == email.lower()


def test_registration_creates_one_paper_account(client: TestClient) -> None:
    email = _email()
    r = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    user_id = uuid.UUID(r.json()["id"])
    with session_scope() as session:
        accounts = session.scalars(select(Account).where(Account.user_id == user_id)).all()
        stored = session.scalar(select(User).where(User.id == user_id))
    assert len(accounts) == 1
    assert accounts[0].cash == Decimal("100000.00")
    assert accounts[0].starting_cash == Decimal("100000.00")
    assert accounts[0].currency == "USD"
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")


def test_register_user_function_for_the_cli(seeded: dict[str, str]) -> None:
    email = _email()
    with session_scope() as session:
        user = register_user(session, email=email, password=PASSWORD, display_name="cli")
        assert user.email == email.lower()
    with session_scope() as session:
        assert session.scalars(select(Account).where(Account.user_id == user.id)).one()


def test_duplicate_email_is_409(client: TestClient) -> None:
    email = _email()
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        ).status_code
        == 201
    )
    r = client.post("/api/v1/auth/register", json={"email": email.lower(), "password": PASSWORD})
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "email_taken"


@pytest.mark.parametrize("password", ["", "short", "1234567"])
def test_weak_password_is_422(client: TestClient, password: str) -> None:
    r = client.post("/api/v1/auth/register", json={"email": _email(), "password": password})
    assert r.status_code == 422
    assert r.json()["detail"]["code"] == "weak_password"


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a b@example.com", "x@\x00.com", ""])
def test_invalid_email_is_422(client: TestClient, email: str) -> None:
    r = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 422


def test_wrong_password_and_unknown_email_are_401(client: TestClient) -> None:
    email = _email()
    client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    for user, pw in [(email, "wrong password"), (_email(), PASSWORD), ("\x00", PASSWORD)]:
        r = _login(client, user, pw)
        assert r.status_code == 401
        assert r.json()["detail"]["code"] == "invalid_credentials"


def test_login_is_throttled_after_repeated_failures(client: TestClient, redis_client) -> None:  # type: ignore[no-untyped-def]
    email = _email()
    client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    limit = get_settings().login_max_failures
    # A success resets the counter.
    for _ in range(limit - 1):
        assert _login(client, email, "nope-nope").status_code == 401
    assert _login(client, email, PASSWORD).status_code == 200
    for _ in range(limit):
        assert _login(client, email, "nope-nope").status_code == 401
    r = _login(client, email, PASSWORD)  # even the right password is refused now
    assert r.status_code == 429
    assert r.json()["detail"]["code"] == "too_many_attempts"
    assert 0 < int(r.headers["retry-after"]) <= get_settings().login_lockout_seconds
    # Other emails are unaffected; the lock lifts when the counter expires.
    other = _email()
    client.post("/api/v1/auth/register", json={"email": other, "password": PASSWORD})
    assert _login(client, other, PASSWORD).status_code == 200
    from paperdesk_core.contracts.streams import login_failures_key

    redis_client.delete(login_failures_key(email.lower()))
    assert _login(client, email, PASSWORD).status_code == 200


def test_me_requires_a_valid_token(client: TestClient) -> None:
    email = _email()
    user = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).json()
    token = _login(client, email, PASSWORD).json()["access_token"]
    expired, _ = issue_token(uuid.UUID(user["id"]), ttl_seconds=-5)
    ghost, _ = issue_token(uuid.uuid4())
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for headers in [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {tampered}"},
        {"Authorization": f"Bearer {ghost}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ]:
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["detail"]["code"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_token_signed_with_another_secret_is_rejected(client: TestClient) -> None:
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not-the-secret", salt="paperdesk.access-token.v1").dumps(
        {"sub": str(uuid.uuid4()), "exp": 2**40}
    )
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/watchlists",
        "/api/v1/instruments",
        "/api/v1/quotes/AAPL",
        "/api/v1/quotes",
        "/api/v1/bars/AAPL",
    ],
)
def test_api_routes_require_auth(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.json()["detail"]["code"] == "unauthenticated"


def test_a_remembered_token_still_expires_on_time(
    seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = uuid.uuid4()
    token, _ = issue_token(user_id, ttl_seconds=30)
    assert read_token(token) == user_id  # verified, then remembered
    assert read_token(token) == user_id
    now = _security.time.time()
    monkeypatch.setattr(_security.time, "time", lambda: now + 31)
    assert read_token(token) is None
    assert read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None


def test_two_logins_in_one_second_get_two_tokens(seeded: dict[str, str]) -> None:
    user_id = uuid.uuid4()
    first, _ = issue_token(user_id)
    second, _ = issue_token(user_id)
    assert first != second
    assert read_token(first) == read_token(second) == user_id

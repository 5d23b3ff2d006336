"""Password hashing (argon2) and signed, expiring access tokens (itsdangerous)."""

from __future__ import annotations

import secrets
import time
import uuid
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from paperdesk_core.config import get_settings

_hasher = PasswordHasher()
_TOKEN_SALT = "paperdesk.access-token.v1"  # noqa: S105  (a namespace, not a secret)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash; never raises for a mismatch or a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with older parameters."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against for unknown emails, so timing does not reveal accounts."""
    return _hasher.hash("paperdesk-dummy-password")


@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_TOKEN_SALT)


def issue_token(user_id: uuid.UUID, *, ttl_seconds: int | None = None) -> tuple[str, int]:
    """Sign an access token for a user; return it with its lifetime in seconds."""
    settings = get_settings()
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    # jti: two logins in the same second get two tokens (the signature's time is in seconds).
    payload = {"sub": str(user_id), "exp": int(time.time()) + ttl, "jti": secrets.token_hex(8)}
    return str(_serializer(settings.secret_key).dumps(payload)), ttl


# Verified tokens, rechecked after VERIFIED_FOR_S: a client sends the same token with
# every request, and its signature check (HMAC, base64, JSON) is a tenth of an order's CPU.
VERIFIED_FOR_S = 60.0
_VERIFIED_MAX = 10_000
_verified: dict[tuple[str, str], tuple[uuid.UUID, float]] = {}


def read_token(token: str) -> uuid.UUID | None:
    """Return the user id of a valid, unexpired token; None for anything else."""
    settings = get_settings()
    if not token or len(token) > 4096:
        return None
    key = (settings.secret_key, token)
    now = time.time()
    hit = _verified.get(key)
    if hit is not None and now < hit[1]:
        return hit[0]
    found = _verify(token, settings.secret_key, settings.token_ttl_seconds)
    if found is None:
        return None
    user_id, exp = found
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[key] = (user_id, min(float(exp), now + VERIFIED_FOR_S))
    return user_id


def _verify(token: str, secret: str, ttl: int) -> tuple[uuid.UUID, int] | None:
    """The user id and the end of validity of a token; None when it is not valid."""
    try:
        # max_age caps every token at the configured lifetime even if "exp" says more.
        data, signed = _serializer(secret).loads(token, max_age=ttl, return_timestamp=True)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    exp, sub = data.get("exp"), data.get("sub")
    if not isinstance(exp, int) or exp < time.time() or not isinstance(sub, str):
        return None
    try:
        return uuid.UUID(sub), min(exp, int(signed.timestamp()) + ttl)
    except ValueError:
        return None

"""Registration, login with throttling, and access tokens."""

from __future__ import annotations

import re
from typing import Any

from paperdesk_core.config import get_settings
from paperdesk_core.contracts.streams import login_failures_key
from paperdesk_core.db.models import User
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperdesk_api.errors import Conflict, Invalid, TooManyRequests, Unauthorized
from paperdesk_api.modules.auth import _security
from paperdesk_api.modules.auth.repository import UserRepository
from paperdesk_api.modules.auth.schemas import Token

MIN_PASSWORD_LENGTH = 8
# Pragmatic shape check: one @, a dot in the domain, no spaces or control characters.
_EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f.]+$")


def normalize_email(email: str) -> str:
    """Trim and lower-case an email address."""
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    """Tell whether a (normalized) email address looks deliverable."""
    return len(email) <= 320 and bool(_EMAIL_RE.fullmatch(email)) and ".." not in email


class AuthService:
    def register(
        self, session: Session, *, email: str, password: str, display_name: str = ""
    ) -> User:
        """Create a user with one paper account of 100000.00 USD.

        Raises:
            Invalid: malformed email (``invalid_email``) or weak password (``weak_password``).
            Conflict: the email is taken (``email_taken``).
        """
        email = normalize_email(email)
        if not is_valid_email(email):
            raise Invalid("not a valid email address", code="invalid_email")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid(
                f"password must have at least {MIN_PASSWORD_LENGTH} characters",
                code="weak_password",
            )
        repo = UserRepository.from_session(session)
        if repo.get_by_email(email) is not None:
            raise Conflict("an account with this email exists", code="email_taken")
        try:
            return repo.create_with_account(
                email=email,
                password_hash=_security.hash_password(password),
                display_name=display_name.strip(),
            )
        except IntegrityError as exc:
            # A concurrent registration won the race; the caller's session rolls back.
            raise Conflict("an account with this email exists", code="email_taken") from exc

    def authenticate(self, session: Session, redis: Any, *, email: str, password: str) -> User:
        """Check credentials, counting failures per email in Redis.

        Raises:
            TooManyRequests: too many recent failures (``too_many_attempts``).
            Unauthorized: wrong email or password (``invalid_credentials``).
        """
        settings = get_settings()
        email = normalize_email(email)
        key = login_failures_key(email)
        failures = redis.get(key)
        if failures is not None and int(failures) >= settings.login_max_failures:
            retry = max(int(redis.ttl(key)), 1)
            raise TooManyRequests(
                "too many failed logins; try again later",
                code="too_many_attempts",
                headers={"Retry-After": str(retry)},
            )
        user = (
            UserRepository.from_session(session).get_by_email(email)
            if is_valid_email(email)
            else None
        )
        if user is None or not user.is_active:
            _security.verify_password(_security.dummy_hash(), password)  # same timing
            self._record_failure(redis, key)
            raise Unauthorized("wrong email or password", code="invalid_credentials")
        if not _security.verify_password(user.password_hash, password):
            self._record_failure(redis, key)
            raise Unauthorized("wrong email or password", code="invalid_credentials")
        redis.delete(key)
        if _security.needs_rehash(user.password_hash):
            user.password_hash = _security.hash_password(password)
        return user

    @staticmethod
    def _record_failure(redis: Any, key: str) -> None:
        settings = get_settings()
        window = settings.login_lockout_seconds
        pipe = redis.pipeline(transaction=True)
        pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first failure
        pipe.incr(key)
        _, count = pipe.execute()
        if int(count) >= settings.login_max_failures:
            redis.expire(key, window)  # the lockout lasts a full window from the last failure

    def issue_token(self, user: User) -> Token:
        """Sign an access token for a user."""
        token, ttl = _security.issue_token(user.id)
        return Token(access_token=token, expires_in=ttl)


auth = AuthService()


def register_user(session: Session, *, email: str, password: str, display_name: str = "") -> User:
    """Create a user and its paper account (used by the API and ``paperdesk user create``)."""
    return auth.register(session, email=email, password=password, display_name=display_name)

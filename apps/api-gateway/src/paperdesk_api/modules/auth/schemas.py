"""Auth schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from paperdesk_api.kit.schemas import Schema, Text


class User(Schema):
    id: uuid.UUID
    email: str
    display_name: str
    created_at: datetime


class UserCreate(Schema):
    email: Annotated[str, StringConstraints(max_length=320)]
    # No min_length here: the service answers a weak password with its own error code.
    password: Annotated[str, StringConstraints(max_length=1024)]
    display_name: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=120)] = ""


class Token(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int

"""The envelope every stream message travels in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from paperdesk_core.clock import utc_now

P = TypeVar("P", bound=BaseModel)


class Envelope(BaseModel, Generic[P]):
    """A typed event: identity, routing key, correlation and a payload model."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=utc_now)
    producer: str
    key: str
    correlation_id: uuid.UUID | None = None
    payload: P


class RawEnvelope(Envelope[Any]):
    """An envelope whose payload is not validated yet."""

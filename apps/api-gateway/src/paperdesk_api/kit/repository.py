"""Base class of every repository: the one place a module keeps its SQL."""

from __future__ import annotations

from typing import Generic, Self, TypeVar

from paperdesk_core.db import Base
from sqlalchemy.orm import Session

M = TypeVar("M", bound=Base)


class RepositoryBase(Generic[M]):
    """Queries for one model, bound to the request's session.

    Repositories never commit: the request's session dependency does, and
    repositories ``flush()`` when a caller needs generated ids or constraint checks.
    """

    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: Session) -> Self:
        """Build the repository on a session."""
        return cls(session)

    def add(self, obj: M, *, flush: bool = False) -> M:
        """Add an object to the session (and flush it when asked)."""
        self.session.add(obj)
        if flush:
            self.session.flush()
        return obj

    def delete(self, obj: M, *, flush: bool = False) -> None:
        """Delete an object."""
        self.session.delete(obj)
        if flush:
            self.session.flush()

"""Database: declarative base, models, engines and sessions."""

from paperdesk_core.db.base import Base
from paperdesk_core.db.session import get_engine, get_sessionmaker, make_engine, session_scope

__all__ = ["Base", "get_engine", "get_sessionmaker", "make_engine", "session_scope"]

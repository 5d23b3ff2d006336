"""Small building blocks shared by the gateway's domain modules."""

from paperdesk_api.kit.repository import RepositoryBase
from paperdesk_api.kit.schemas import Schema

__all__ = ["RepositoryBase", "Schema"]

"""Event contracts: envelope, payloads, stream names and key builders."""

from paperdesk_core.contracts import streams
from paperdesk_core.contracts.envelope import Envelope
from paperdesk_core.contracts.events import PAYLOADS, MarketTick, MarketTicks, Payload
from paperdesk_core.contracts.streams import EventType

__all__ = ["PAYLOADS", "Envelope", "EventType", "MarketTick", "MarketTicks", "Payload", "streams"]

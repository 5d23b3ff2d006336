"""Reflex states: one substate per page under the root `AuthState`."""

from paperdesk_web.states.auth import AuthState
from paperdesk_web.states.dashboard import DashboardState
from paperdesk_web.states.live import LiveState

__all__ = ["AuthState", "DashboardState", "LiveState"]

"""Helpers shared by the built-in strategies."""

from __future__ import annotations

from strategy_engine.base import BoolArray, Direction, DirectionalParams, Signals


def directional(params: DirectionalParams, long_entry: BoolArray, long_exit: BoolArray) -> Signals:
    """Build signals from the long side; 'long_short' mirrors it (an exit opens a short).

    Long/short strategies here are stop-and-reverse: the long exit condition is the short
    entry and vice versa.
    """
    if params.direction == Direction.LONG_SHORT:
        return Signals(long_entry, long_exit, long_exit, long_entry)
    return Signals(long_entry, long_exit)

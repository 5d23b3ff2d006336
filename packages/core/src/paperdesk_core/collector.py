"""Keep a long-running process's long-lived objects out of the garbage collector's passes.

CPython's full collections walk every tracked object. A process whose state grows
while it runs (the fill engine's working orders: an order, its ids and its book
entries, tens of thousands under load) pays for that state in every full pass: 45 to
135 ms every 2 to 3 s in the orders bench, each one a stall in the process and a burst
of CPU taken from the API beside it on 2 cores.

A ``Freezer`` freezes everything alive when it is made (modules, settings, what the
process loaded at start-up). ``Freezer.tick`` (called from the process's loop) runs a full collection and freezes
what survives every ``every`` seconds. Frozen objects are left out of every later
pass, so that collection, and the automatic ones in between, only walk objects younger
than ``every`` (a few milliseconds). Frozen objects are still freed by reference
counting when they are dropped (an order leaving the book); only reference cycles that
become garbage after being frozen wait, until the full collection over everything
(unfreeze, collect, freeze) that runs every ``full_every`` seconds: one longer pause
(the old full pass, over everything) every 10 minutes instead of every few seconds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FREEZE_EVERY_S = 1.0
FULL_EVERY_S = 600.0


class Freezer:
    """Freeze survivors every ``every`` s; a full collection every ``full_every`` s."""

    def __init__(
        self,
        every: float = FREEZE_EVERY_S,
        full_every: float = FULL_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.full_every = full_every
        self.clock = clock
        now = clock()
        self._next = now + every
        self._next_full = now + full_every
        gc.freeze()

    def close(self) -> None:
        """Hand every frozen object back to the collector (a process that lives on)."""
        gc.unfreeze()

    def tick(self) -> None:
        """Freeze (or collect fully) when due; cheap otherwise."""
        now = self.clock()
        if now < self._next:
            return
        self._next = now + self.every
        if now >= self._next_full:
            self._next_full = now + self.full_every
            self.full()
            return
        gc.collect()  # over the unfrozen objects only: garbage must not become permanent
        gc.freeze()

    def full(self) -> None:
        """Collect everything, frozen objects included, then freeze the survivors."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()

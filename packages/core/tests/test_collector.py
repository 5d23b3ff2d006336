"""The collector policy of long-running processes (``paperdesk_core.collector``)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from paperdesk_core.collector import Freezer


class Cyclic:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.collect()
    yield
    gc.unfreeze()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_tick_freezes_survivors_only_when_due() -> None:
    clock = Clock()
    freezer = Freezer(every=1.0, full_every=60.0, clock=clock)
    frozen = gc.get_freeze_count()
    clock.now = 0.5
    freezer.tick()
    assert gc.get_freeze_count() == frozen
    kept = [Cyclic() for _ in range(100)]
    clock.now = 1.0
    freezer.tick()
    assert gc.get_freeze_count() >= frozen + 100
    assert kept


def test_garbage_is_collected_before_it_is_frozen() -> None:
    clock = Clock()
    freezer = Freezer(every=1.0, full_every=60.0, clock=clock)
    gone = weakref.ref(Cyclic())  # unreachable, but only the collector frees a cycle
    clock.now = 1.0
    freezer.tick()
    assert gone() is None


def test_full_collection_frees_cycles_dropped_after_freezing() -> None:
    clock = Clock()
    freezer = Freezer(every=1.0, full_every=10.0, clock=clock)
    held = [Cyclic()]
    ref = weakref.ref(held[0])
    clock.now = 1.0
    freezer.tick()  # frozen while alive
    held.clear()
    gc.collect()
    assert ref() is not None  # a frozen cycle waits for the full collection
    clock.now = 10.0
    freezer.tick()
    assert ref() is None


def test_made_it_freezes_what_is_alive_and_close_hands_it_back() -> None:
    kept = Cyclic()
    freezer = Freezer(every=1.0, full_every=60.0, clock=Clock())
    assert gc.get_freeze_count() > 0
    freezer.close()
    assert gc.get_freeze_count() == 0
    assert kept.me is kept

"""Strategy registry: name -> Strategy class."""

from __future__ import annotations

from typing import Any

from strategy_engine.base import Strategy
from strategy_engine.strategies import (
    BollingerReversion,
    BuyAndHold,
    DonchianBreakout,
    EmaCross,
    MacdCross,
    RsiReversion,
    SmaCross,
)

STRATEGIES: dict[str, type[Strategy[Any]]] = {
    cls.name: cls
    for cls in (
        BuyAndHold,
        SmaCross,
        EmaCross,
        RsiReversion,
        BollingerReversion,
        MacdCross,
        DonchianBreakout,
    )
}


class UnknownStrategyError(KeyError):
    """Raised for a strategy name that is not registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown strategy '{name}'; known: {', '.join(sorted(STRATEGIES))}")

    def __str__(self) -> str:
        return str(self.args[0])


def register(cls: type[Strategy[Any]]) -> type[Strategy[Any]]:
    """Add a strategy class under its ``name`` (usable as a class decorator)."""
    if cls.name in STRATEGIES and STRATEGIES[cls.name] is not cls:
        raise ValueError(f"strategy name '{cls.name}' is already registered")
    STRATEGIES[cls.name] = cls
    return cls


def get_strategy(name: str) -> Strategy[Any]:
    """Return an instance of the strategy registered as ``name``."""
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise UnknownStrategyError(name) from None


def list_strategies() -> list[dict[str, Any]]:
    """Return ``[{"name","title","description","params_schema"}]`` for every strategy."""
    return [cls().describe() for cls in STRATEGIES.values()]

"""Strategy interface: versioned ABC, frozen typed params, signal arrays.

A strategy is a pure function of bars and params: it turns a bar series into four
boolean arrays (long entry/exit, short entry/exit), each evaluated on the bar's close.
The simulator (``strategy_engine.simulate``) decides fills, sizing and costs; strategies
never see cash or positions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

INTERFACE_VERSION = 1
"""Bumped whenever ``Strategy``'s contract changes in a way that breaks subclasses."""

REQUIRED_COLUMNS = ("Open", "High", "Low", "Close", "Volume")

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Direction(StrEnum):
    """Which sides a strategy may trade."""

    LONG = "long"
    LONG_SHORT = "long_short"


class StrategyParams(BaseModel):
    """Base of every strategy's params: frozen, strict about unknown keys.

    Stops are fractions of the entry price (``0.05`` = 5%), checked intrabar on every bar
    after the fill; see ``strategy_engine.simulate`` for the exact rules.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stop_loss: float | None = Field(
        default=None, gt=0, lt=1, description="Exit when price moves this fraction against."
    )
    take_profit: float | None = Field(
        default=None, gt=0, description="Exit when price moves this fraction in favour."
    )
    trailing_stop: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Exit when price falls this fraction from the best price since entry.",
    )


class DirectionalParams(StrategyParams):
    """Params of strategies that can also trade short."""

    direction: Direction = Field(
        default=Direction.LONG,
        description="'long' trades long only; 'long_short' also takes the mirrored short side.",
    )


P = TypeVar("P", bound=StrategyParams)


class ParamsError(ValueError):
    """Raised when params do not validate; the message names each bad field."""

    def __init__(self, strategy: str, errors: list[str]) -> None:
        self.strategy = strategy
        self.errors = errors
        super().__init__(f"invalid params for strategy '{strategy}': " + "; ".join(errors))


class Bars:
    """Bars as contiguous float64 arrays, plus a cache of indicators computed on them.

    Build one per data set and reuse it across runs (``run_sweep`` does) so each
    indicator window is computed once.
    """

    def __init__(self, df: pd.DataFrame) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
        if missing:
            raise ValueError(f"bars are missing columns {missing}; need {list(REQUIRED_COLUMNS)}")
        if not isinstance(df.index, pd.DatetimeIndex):
            raise ValueError("bars need a DatetimeIndex (UTC)")
        if len(df) == 0:
            raise ValueError("bars are empty")
        if not df.index.is_monotonic_increasing:
            raise ValueError("bars' index must be sorted ascending")
        index = df.index
        # Naive timestamps are taken as UTC (the project-wide convention).
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        self.index: pd.DatetimeIndex = index
        self.open = _column(df, "Open")
        self.high = _column(df, "High")
        self.low = _column(df, "Low")
        self.close = _column(df, "Close")
        self.volume = df["Volume"].to_numpy(dtype=np.float64, na_value=0.0)
        for name, arr in (("Open", self.open), ("High", self.high), ("Low", self.low)):
            if np.isnan(arr).any():
                raise ValueError(f"bars' {name} column has missing values")
        if np.isnan(self.close).any():
            raise ValueError("bars' Close column has missing values")
        self._cache: dict[Hashable, FloatArray] = {}
        self._times_ns: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.close)

    @property
    def times_ns(self) -> npt.NDArray[np.int64]:
        """Bar timestamps as int64 nanoseconds since the epoch (UTC)."""
        if self._times_ns is None:
            self._times_ns = self.index.as_unit("ns").asi8.astype(np.int64)
        return self._times_ns

    def cached(self, key: Hashable, compute: Callable[[], FloatArray]) -> FloatArray:
        """Return the indicator stored under ``key``, computing it on first use."""
        try:
            return self._cache[key]
        except KeyError:
            value = compute()
            self._cache[key] = value
            return value


def _column(df: pd.DataFrame, name: str) -> FloatArray:
    return np.ascontiguousarray(df[name].to_numpy(dtype=np.float64, na_value=np.nan))


@dataclass(frozen=True, slots=True)
class Signals:
    """Signal arrays, one bool per bar, each evaluated on that bar's close."""

    entries: BoolArray
    exits: BoolArray
    short_entries: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    short_exits: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def normalized(self, n: int) -> Signals:
        """Return contiguous bool arrays of length ``n`` (empty short arrays become False)."""

        def fix(a: BoolArray) -> BoolArray:
            if a.size == 0:
                return np.zeros(n, dtype=np.bool_)
            if a.shape != (n,):
                raise ValueError(f"signal array has shape {a.shape}, expected ({n},)")
            return np.ascontiguousarray(a, dtype=np.bool_)

        return Signals(
            fix(self.entries), fix(self.exits), fix(self.short_entries), fix(self.short_exits)
        )

    def to_frame(self, index: pd.Index) -> pd.DataFrame:
        """Return the signals as a DataFrame with one column per array."""
        s = self.normalized(len(index))
        return pd.DataFrame(
            {
                "entries": s.entries,
                "exits": s.exits,
                "short_entries": s.short_entries,
                "short_exits": s.short_exits,
            },
            index=index,
        )


class Strategy(ABC, Generic[P]):
    """A named, versioned signal generator with a frozen params model.

    Subclasses set ``name``, ``title``, ``description`` and ``params_model`` and implement
    ``signals``.
    """

    INTERFACE_VERSION: ClassVar[int] = INTERFACE_VERSION
    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    params_model: type[P]

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        """Return the JSON Schema of the params."""
        return cls.params_model.model_json_schema()

    def parse_params(self, params: Mapping[str, Any] | StrategyParams | None = None) -> P:
        """Validate ``params`` into the frozen params model, raising ``ParamsError``."""
        if isinstance(params, self.params_model):
            return params
        if isinstance(params, StrategyParams):
            params = params.model_dump()
        try:
            return self.params_model.model_validate(dict(params or {}))
        except ValidationError as exc:
            raise ParamsError(self.name, _format_errors(exc)) from None

    @abstractmethod
    def signals(self, bars: Bars, params: P) -> Signals:
        """Compute entry/exit arrays from ``bars``; every value uses data up to its bar."""

    def signal_frame(
        self, bars: pd.DataFrame, params: Mapping[str, Any] | StrategyParams | None = None
    ) -> pd.DataFrame:
        """Return the signals for a bar DataFrame as a DataFrame (a convenience)."""
        b = Bars(bars)
        return self.signals(b, self.parse_params(params)).to_frame(b.index)

    def describe(self) -> dict[str, Any]:
        """Return ``{"name","title","description","params_schema"}``."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "params_schema": self.params_schema(),
        }


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(x) for x in err["loc"]) or "params"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown parameter"
        out.append(f"{loc}: {msg}")
    return out

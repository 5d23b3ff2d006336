"""Backtest page state: the builder form, the running job, results, history, comparison."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import reflex as rx

from paperdesk_web.api_client import ApiError, BacktestApi, BacktestRun
from paperdesk_web.states import _backtest as logic
from paperdesk_web.states._backtest import (
    CompareRow,
    HeatRow,
    MetricCard,
    ParamField,
    RunSummary,
    TradeRow,
)
from paperdesk_web.states.auth import AuthState

POLL_INTERVAL = 0.25  # ~4 polls a second while a run is queued or running
HISTORY_LIMIT = 20
SEARCH_LIMIT = 6
DEFAULT_SYMBOL = "GOOG"
DEFAULT_START = "2004-08-19"
DEFAULT_END = "2013-03-01"


@dataclasses.dataclass(frozen=True)
class StrategyOption:
    name: str
    title: str
    description: str


@dataclasses.dataclass(frozen=True)
class FieldView:
    """A param field as the page renders it (plain values only)."""

    name: str
    title: str
    description: str
    kind: str
    hint: str
    numeric: bool
    options: list[str]


@dataclasses.dataclass(frozen=True)
class SymbolHit:
    symbol: str
    name: str


def _view(field: ParamField) -> FieldView:
    return FieldView(
        name=field.name,
        title=field.title,
        description=field.description,
        kind=field.kind,
        hint=field.hint,
        numeric=field.numeric,
        options=list(field.options),
    )


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("code") or "The run failed")
    return str(error or "The run failed")


class BacktestState(AuthState):
    """Everything the Backtest page shows."""

    # Strategy library.
    strategies: rx.Field[list[StrategyOption]] = rx.field(default_factory=list)
    fields: rx.Field[list[FieldView]] = rx.field(default_factory=list)
    _schemas: dict[str, dict[str, Any]] = {}
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")

    # The form.
    strategy: rx.Field[str] = rx.field("")
    symbol: rx.Field[str] = rx.field(DEFAULT_SYMBOL)
    start: rx.Field[str] = rx.field(DEFAULT_START)
    end: rx.Field[str] = rx.field(DEFAULT_END)
    timeframe: rx.Field[str] = rx.field("1d")
    initial_cash: rx.Field[str] = rx.field("10000")
    fees: rx.Field[str] = rx.field("0.001")
    slippage: rx.Field[str] = rx.field("0")
    execution: rx.Field[str] = rx.field("next_open")
    sizing: rx.Field[str] = rx.field("fractional")  # fractional | whole
    param_values: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    sweep_on: rx.Field[dict[str, bool]] = rx.field(default_factory=dict)
    sweep_start: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    sweep_stop: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    sweep_step: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    symbol_results: rx.Field[list[SymbolHit]] = rx.field(default_factory=list)

    # The run being watched.
    run_id: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    progress: rx.Field[int] = rx.field(0)
    run_error: rx.Field[str] = rx.field("")
    submitting: rx.Field[bool] = rx.field(False)

    # Results of the shown run.
    result_id: rx.Field[str] = rx.field("")
    result_kind: rx.Field[str] = rx.field("")  # single | sweep
    result_title: rx.Field[str] = rx.field("")
    result_subtitle: rx.Field[str] = rx.field("")
    cards: rx.Field[list[MetricCard]] = rx.field(default_factory=list)
    equity_data: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    with_benchmark: rx.Field[bool] = rx.field(False)
    price_data: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    price_note: rx.Field[str] = rx.field("")
    trades: rx.Field[list[TradeRow]] = rx.field(default_factory=list)
    _grid: list[dict[str, Any]] = []
    _best: dict[str, Any] = {}
    swept: rx.Field[list[str]] = rx.field(default_factory=list)
    heat_x: rx.Field[str] = rx.field("")
    heat_y: rx.Field[str] = rx.field("")
    heat_metric: rx.Field[str] = rx.field("sharpe")
    heat_cols: rx.Field[list[str]] = rx.field(default_factory=list)
    heat_rows: rx.Field[list[HeatRow]] = rx.field(default_factory=list)
    best_text: rx.Field[str] = rx.field("")

    # History and comparison.
    history: rx.Field[list[RunSummary]] = rx.field(default_factory=list)
    compare_a: rx.Field[str] = rx.field("")
    compare_b: rx.Field[str] = rx.field("")
    compare_rows: rx.Field[list[CompareRow]] = rx.field(default_factory=list)
    compare_equity: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    compare_labels: rx.Field[list[str]] = rx.field(default_factory=list)
    compare_error: rx.Field[str] = rx.field("")

    def bt_api(self) -> BacktestApi:
        return BacktestApi(self.token)

    @rx.var
    def running(self) -> bool:
        """Whether a run is queued or running."""
        return self.status in ("queued", "running")

    @rx.var
    def strategy_description(self) -> str:
        for option in self.strategies:
            if option.name == self.strategy:
                return option.description
        return ""

    @rx.var
    def combinations(self) -> int:
        """How many runs the form makes (1 without a sweep)."""
        total = 1
        for name, on in self.sweep_on.items():
            if not on:
                continue
            try:
                count = logic.range_count(
                    float(self.sweep_start.get(name, "")),
                    float(self.sweep_stop.get(name, "")),
                    float(self.sweep_step.get(name, "")),
                )
            except ValueError:
                count = 0
            total *= max(count, 0)
        return total

    @rx.var
    def is_sweep(self) -> bool:
        return any(self.sweep_on.values())

    @rx.var
    def history_options(self) -> list[list[str]]:
        """[[id, label]] of finished single runs for the comparison pickers."""
        return [
            [r.id, r.label] for r in self.history if r.status == "succeeded" and r.kind != "sweep"
        ]

    # Loading -------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        """Load the strategy library and the run history."""
        if not self.token:
            return
        try:
            strategies = await self.bt_api().list_strategies()
        except ApiError as exc:
            self.load_error = exc.message
            return
        self._schemas = {str(s["name"]): dict(s.get("params_schema") or {}) for s in strategies}
        self.strategies = [
            StrategyOption(
                name=str(s["name"]),
                title=str(s.get("title") or s["name"]),
                description=str(s.get("description") or ""),
            )
            for s in strategies
        ]
        names = [s.name for s in self.strategies]
        if self.strategy not in names:
            self._select_strategy(
                "sma_cross" if "sma_cross" in names else names[0] if names else ""
            )
        self.load_error = ""
        self.loaded = True
        await self._load_history()

    def _param_fields(self, name: str) -> list[ParamField]:
        return logic.fields_from_schema(self._schemas.get(name, {}))

    def _select_strategy(self, name: str, values: Mapping[str, Any] | None = None) -> None:
        self.strategy = name
        fields = self._param_fields(name)
        self.fields = [_view(f) for f in fields]
        values = values or {}
        given = values.get("params") or {}
        self.param_values = {f.name: str(given.get(f.name, f.default)) for f in fields}
        sweep = values.get("sweep") or {}
        self.sweep_on = {f.name: bool(sweep.get(f.name)) for f in fields}
        starts = values.get("sweep_start") or {}
        stops = values.get("sweep_stop") or {}
        steps = values.get("sweep_step") or {}
        self.sweep_start = {f.name: str(starts.get(f.name, f.default)) for f in fields}
        self.sweep_stop = {f.name: str(stops.get(f.name, f.default)) for f in fields}
        self.sweep_step = {f.name: str(steps.get(f.name, "1")) for f in fields}
        self.errors = {}

    async def _load_history(self) -> None:
        try:
            runs = await self.bt_api().list_backtests(HISTORY_LIMIT)
        except ApiError:
            return
        self.history = [logic.run_summary(r) for r in runs]

    # Form events ---------------------------------------------------------------------
    @rx.event
    def set_strategy(self, name: str) -> None:
        self._select_strategy(name)

    def _clear_error(self, key: str) -> None:
        if key in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != key}

    @rx.event
    def set_form_value(self, key: str, value: str) -> None:
        """Set one of the plain form inputs (symbol, start, end, cash, fees...)."""
        if key in (
            "start",
            "end",
            "timeframe",
            "initial_cash",
            "fees",
            "slippage",
            "execution",
            "sizing",
        ):
            setattr(self, key, value)
            self._clear_error(key)

    @rx.event
    def set_param(self, name: str, value: str) -> None:
        self.param_values = {**self.param_values, name: value}
        self._clear_error(f"param.{name}")

    @rx.event
    def set_sweep(self, name: str, on: bool) -> None:
        self.sweep_on = {**self.sweep_on, name: bool(on)}
        self._clear_error(f"param.{name}")
        self._clear_error("sweep")

    @rx.event
    def set_sweep_value(self, part: str, name: str, value: str) -> None:
        target = {"start": "sweep_start", "stop": "sweep_stop", "step": "sweep_step"}.get(part)
        if target is None:
            return
        setattr(self, target, {**getattr(self, target), name: value})
        self._clear_error(f"param.{name}")
        self._clear_error("sweep")

    @rx.event
    async def search_symbol(self, query: str) -> AsyncGenerator[None]:
        """Type-ahead of the symbol input."""
        self.symbol = query.upper()
        self._clear_error("symbol")
        text = query.strip()
        if not text:
            self.symbol_results = []
            return
        yield
        try:
            found = await self.bt_api().search_instruments(text)
        except ApiError:
            self.symbol_results = []
            return
        if self.symbol.strip() != text.upper():
            return
        hits = [SymbolHit(str(h["symbol"]), str(h.get("name") or "")) for h in found]
        if len(hits) == 1 and hits[0].symbol == text.upper():
            hits = []
        self.symbol_results = hits[:SEARCH_LIMIT]

    @rx.event
    def pick_symbol(self, symbol: str) -> None:
        self.symbol = symbol
        self.symbol_results = []
        self._clear_error("symbol")

    def _form(self) -> logic.FormInput:
        return logic.FormInput(
            strategy=self.strategy,
            symbol=self.symbol,
            start=self.start,
            end=self.end,
            timeframe=self.timeframe,
            initial_cash=self.initial_cash,
            fees=self.fees,
            slippage=self.slippage,
            execution=self.execution,
            fractional=self.sizing != "whole",
            params=dict(self.param_values),
            sweep=dict(self.sweep_on),
            sweep_start=dict(self.sweep_start),
            sweep_stop=dict(self.sweep_stop),
            sweep_step=dict(self.sweep_step),
        )

    # Running ---------------------------------------------------------------------------
    @rx.event
    async def submit(self) -> AsyncGenerator[Any]:
        """Validate the form and start a run."""
        body, errors = logic.build_request(self._form(), self._param_fields(self.strategy))
        self.errors = errors
        self.symbol_results = []
        if body is None:
            self.run_error = ""
            return
        async for event in self._start(body):
            yield event

    async def _start(self, body: dict[str, Any]) -> AsyncGenerator[Any]:
        self.submitting = True
        self.run_error = ""
        yield
        try:
            answer = await self.bt_api().create_backtest(body)
        except ApiError as exc:
            self.run_error = exc.message
            if exc.code == "unknown_symbol":
                self.errors = {**self.errors, "symbol": exc.message}
            return
        finally:
            self.submitting = False
        self.run_id = str(answer["id"])
        self.status = str(answer.get("status") or "queued")
        self.progress = 0
        yield BacktestState.poll

    @rx.event(background=True)
    async def poll(self) -> None:
        """Follow the watched run ~4 times a second until it ends, then show its results."""
        async with self:
            run_id, token = self.run_id, self.token
        api = BacktestApi(token)
        while run_id:
            try:
                run = await api.get_backtest(run_id)
            except ApiError as exc:
                async with self:
                    if self.run_id == run_id:
                        self.run_error = exc.message
                        self.status = ""
                return
            status = str(run.get("status") or "")
            async with self:
                if self.run_id != run_id:
                    return  # another run took over
                self.status = status
                self.progress = _percent(run.get("progress"), status)
            if status in logic.TERMINAL:
                break
            await asyncio.sleep(POLL_INTERVAL)
        if status != "succeeded":
            async with self:
                self.run_error = _error_text(run.get("error")) if status == "failed" else "Canceled"
            return
        payload = await _fetch_results(api, run)
        async with self:
            if self.run_id == run_id:
                self._apply_results(run, payload)
                self.status = ""
        try:
            runs = await api.list_backtests(HISTORY_LIMIT)
        except ApiError:
            return
        async with self:
            self.history = [logic.run_summary(r) for r in runs]

    def _apply_results(self, run: BacktestRun, payload: Mapping[str, Any]) -> None:
        config = run.get("config") or {}
        params = config.get("params") or {}
        self.result_id = str(run.get("id") or "")
        swept = logic.swept_names(params)
        grid = run.get("grid") or []
        kind = str(run.get("kind") or ("sweep" if grid or swept else "single"))
        self.result_kind = "sweep" if kind == "sweep" else "single"
        title = next((s.title for s in self.strategies if s.name == config.get("strategy")), "")
        self.result_title = f"{title or config.get('strategy', '')} · {config.get('symbol', '')}"
        self.result_subtitle = (
            f"{logic.short_date(config.get('start'))} → {logic.short_date(config.get('end'))}"
            f" · {config.get('timeframe', '1d')} · {logic.params_text(params)}"
        )
        self.run_error = ""
        if self.result_kind == "sweep":
            self._grid = [dict(row) for row in grid]
            self._best = dict(run.get("best") or {})
            self.swept = swept or _grid_params(self._grid)
            self.heat_x = self.swept[0] if self.swept else ""
            self.heat_y = self.swept[1] if len(self.swept) > 1 else self.heat_x
            self.best_text = logic.best_summary(
                logic.best_row(self._grid, self.heat_metric), self.heat_metric, self.swept
            )
            _, best_metrics = logic.grid_row_parts(self._best) if self._best else ({}, {})
            self.cards = logic.metric_cards(best_metrics)
            self._rebuild_heatmap()
            self.equity_data, self.price_data, self.trades = [], [], []
            return
        self.cards = logic.metric_cards(run.get("metrics"))
        self.equity_data = logic.equity_rows(payload.get("equity") or [])
        self.with_benchmark = logic.has_benchmark(self.equity_data)
        bars = payload.get("bars") or []
        trades = payload.get("trades") or []
        self.price_note = str(payload.get("bars_error") or "")
        if not bars:
            bars = logic.bars_from_benchmark(payload.get("equity") or [], trades)
            if bars:
                self.price_note = "Close rebuilt from the buy & hold curve"
        self.price_data = logic.price_rows(bars, trades)
        self.trades = logic.trade_rows(payload.get("trades") or [])
        self.heat_rows, self.heat_cols, self.swept = [], [], []

    def _rebuild_heatmap(self) -> None:
        if not self.heat_x:
            self.heat_cols, self.heat_rows = [], []
            return
        self.heat_cols, self.heat_rows = logic.heatmap(
            self._grid, self.heat_x, self.heat_y or self.heat_x, self.heat_metric
        )

    @rx.event
    def set_heat(self, part: str, value: str) -> None:
        """Choose the heatmap's metric or axes."""
        if part == "metric":
            self.heat_metric = value
            self.best_text = logic.best_summary(
                logic.best_row(self._grid, value), value, self.swept
            )
        elif part == "x":
            self.heat_x = value
        elif part == "y":
            self.heat_y = value
        self._rebuild_heatmap()

    # History ---------------------------------------------------------------------------
    @rx.event
    async def open_run(self, run_id: str) -> AsyncGenerator[Any]:
        """Show a past run's results (or follow it when it is still running)."""
        api = self.bt_api()
        try:
            run = await api.get_backtest(run_id)
        except ApiError as exc:
            self.run_error = exc.message
            return
        status = str(run.get("status") or "")
        self.run_id = run_id
        if status in ("queued", "running"):
            self.status = status
            yield BacktestState.poll
            return
        if status != "succeeded":
            self.run_error = _error_text(run.get("error"))
            return
        self.status = ""
        yield
        self._apply_results(run, await _fetch_results(api, run))

    @rx.event
    async def edit_run(self, run_id: str) -> None:
        """Put a past run's settings into the form."""
        try:
            run = await self.bt_api().get_backtest(run_id)
        except ApiError as exc:
            self.run_error = exc.message
            return
        self._fill_form(run.get("config") or {})

    def _fill_form(self, config: Mapping[str, Any]) -> None:
        values = logic.form_from_config(config)
        self.symbol = values["symbol"]
        self.start, self.end = values["start"], values["end"]
        self.timeframe = values["timeframe"]
        self.initial_cash = values["initial_cash"]
        self.fees, self.slippage = values["fees"], values["slippage"]
        self.execution = values["execution"]
        self.sizing = "fractional" if values["fractional"] else "whole"
        self._select_strategy(values["strategy"], values)

    @rx.event
    async def rerun(self, run_id: str) -> AsyncGenerator[Any]:
        """Run a past run's config again."""
        try:
            run = await self.bt_api().get_backtest(run_id)
        except ApiError as exc:
            self.run_error = exc.message
            return
        config = dict(run.get("config") or {})
        self._fill_form(config)
        body = {k: config[k] for k in _BODY_KEYS if k in config}
        async for event in self._start(body):
            yield event

    # Comparison ------------------------------------------------------------------------
    @rx.event
    def set_compare(self, side: str, run_id: str) -> None:
        if side == "a":
            self.compare_a = run_id
        else:
            self.compare_b = run_id
        self.compare_error = ""

    @rx.event
    async def compare(self) -> None:
        """Load two runs side by side."""
        if not self.compare_a or not self.compare_b:
            self.compare_error = "Choose two runs"
            return
        if self.compare_a == self.compare_b:
            self.compare_error = "Choose two different runs"
            return
        api = self.bt_api()
        try:
            a, b = await asyncio.gather(
                api.get_backtest(self.compare_a), api.get_backtest(self.compare_b)
            )
            ea, eb = await asyncio.gather(
                api.backtest_equity(self.compare_a), api.backtest_equity(self.compare_b)
            )
        except ApiError as exc:
            self.compare_error = exc.message
            return
        self.compare_rows = logic.compare_rows(a, b)
        self.compare_equity = logic.merge_equity(ea, eb)
        self.compare_labels = [logic.run_summary(a).label, logic.run_summary(b).label]
        self.compare_error = ""


_BODY_KEYS = (
    "strategy",
    "params",
    "symbol",
    "start",
    "end",
    "timeframe",
    "initial_cash",
    "fees",
    "slippage",
    "execution",
    "fractional",
)


def _percent(progress: Any, status: str) -> int:
    if status == "succeeded":
        return 100
    try:
        value = float(progress or 0)
    except (TypeError, ValueError):
        return 0
    if value <= 1:
        value *= 100
    return max(0, min(100, round(value)))


def _grid_params(grid: list[dict[str, Any]]) -> list[str]:
    """Params that vary across a grid (when the config does not say)."""
    names: dict[str, set[str]] = {}
    for row in grid:
        params, _ = logic.grid_row_parts(row)
        for key, value in params.items():
            if key in logic.METRIC_KIND or key in ("volatility",):
                continue
            names.setdefault(key, set()).add(str(value))
    return [k for k, values in names.items() if len(values) > 1]


async def _fetch_results(api: BacktestApi, run: BacktestRun) -> dict[str, Any]:
    """Equity, trades and price bars of a finished single run."""
    if run.get("grid"):
        return {}
    run_id = str(run["id"])
    config = run.get("config") or {}
    out: dict[str, Any] = {}
    try:
        out["equity"], out["trades"] = await asyncio.gather(
            api.backtest_equity(run_id), api.backtest_trades(run_id)
        )
    except ApiError:
        out.setdefault("equity", [])
        out.setdefault("trades", [])
    try:
        out["bars"] = await api.history_bars(
            str(config.get("symbol") or ""),
            timeframe=str(config.get("timeframe") or "1d"),
            start=str(config.get("start") or ""),
            end=str(config.get("end") or ""),
            limit=100_000,
        )
    except ApiError as exc:
        out["bars"] = []
        out["bars_error"] = exc.message
    return out

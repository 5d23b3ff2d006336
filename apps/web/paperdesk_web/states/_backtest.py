"""Pure logic of the Backtest page (no Reflex, no I/O).

The form built from a params schema, its validation, sweep specs, heatmaps, chart rows,
comparisons and number formatting.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

MAX_COMBINATIONS = 2500  # the UI refuses bigger sweeps before the API does
MAX_CHART_POINTS = 800
TERMINAL = frozenset({"succeeded", "failed", "canceled"})
TIMEFRAMES = ("1d", "1h", "5m", "1m")
EXECUTIONS = ("next_open", "close")

# (key, label, kind) of the metric cards; kind picks the formatting.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("final_equity", "Final equity", "money"),
    ("total_return", "Total return", "pct"),
    ("benchmark_return", "Buy & hold", "pct"),
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "ratio"),
    ("sortino", "Sortino", "ratio"),
    ("calmar", "Calmar", "ratio"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("win_rate", "Win rate", "pct"),
    ("profit_factor", "Profit factor", "ratio"),
    ("trades", "Trades", "int"),
    ("exposure", "Exposure", "pct"),
)
METRIC_KIND = {key: kind for key, _, kind in METRICS}
METRIC_LABEL = {key: label for key, label, _ in METRICS}
# Metrics a heatmap may show; for max_drawdown (a negative fraction) higher is better too.
HEATMAP_METRICS = ("total_return", "sharpe", "sortino", "cagr", "calmar", "max_drawdown")


@dataclasses.dataclass(frozen=True)
class ParamField:
    """One strategy parameter as a form field."""

    name: str
    title: str
    description: str = ""
    kind: str = "number"  # integer | number | enum | boolean | text
    default: str = ""
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    options: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """Whether the field holds a number (and so can be swept)."""
        return self.kind in ("integer", "number")

    @property
    def hint(self) -> str:
        """The allowed range as text, e.g. "1 ≤ x ≤ 10000"."""
        low = (
            f"{_num_text(self.minimum)} ≤ "
            if self.minimum is not None
            else (
                f"{_num_text(self.exclusive_minimum)} < "
                if self.exclusive_minimum is not None
                else ""
            )
        )
        high = (
            f" ≤ {_num_text(self.maximum)}"
            if self.maximum is not None
            else (
                f" < {_num_text(self.exclusive_maximum)}"
                if self.exclusive_maximum is not None
                else ""
            )
        )
        if not low and not high:
            return "optional" if self.optional else ""
        text = f"{low}x{high}"
        return f"{text}, optional" if self.optional else text


def _num_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = dict(target) if isinstance(target, Mapping) else {}
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged
    return node


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _num_text(value)
    return str(value)


def fields_from_schema(schema: Mapping[str, Any]) -> list[ParamField]:
    """Turn a strategy's JSON Schema into form fields.

    Strategy-specific parameters come first (in schema order), the shared optional stops
    after them, so the interesting knobs lead the form.
    """
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return []
    fields: list[ParamField] = []
    for name, raw in props.items():
        if not isinstance(raw, Mapping):
            continue
        node = _resolve(schema, raw)
        optional = False
        variants = node.get("anyOf") or node.get("oneOf")
        if isinstance(variants, list):
            concrete = [_resolve(schema, v) for v in variants if isinstance(v, Mapping)]
            non_null = [v for v in concrete if v.get("type") != "null"]
            optional = len(non_null) < len(concrete)
            base = dict(non_null[0]) if non_null else {}
            base.update({k: v for k, v in node.items() if k not in ("anyOf", "oneOf")})
            node = base
        kind_raw = node.get("type")
        if isinstance(kind_raw, list):
            optional = optional or "null" in kind_raw
            kind_raw = next((t for t in kind_raw if t != "null"), "string")
        options = tuple(str(o) for o in node.get("enum", []) if o is not None)
        if options:
            kind = "enum"
        elif kind_raw in ("integer", "number", "boolean"):
            kind = str(kind_raw)
        else:
            kind = "text"

        def _bound(key: str, node: Mapping[str, Any] = node) -> float | None:
            value = node.get(key)
            return float(value) if isinstance(value, int | float) else None

        fields.append(
            ParamField(
                name=str(name),
                title=str(node.get("title") or _title(str(name))),
                description=str(node.get("description") or ""),
                kind=kind,
                default=_default_text(node.get("default")),
                optional=optional or ("default" in node and node.get("default") is None),
                minimum=_bound("minimum"),
                maximum=_bound("maximum"),
                exclusive_minimum=_bound("exclusiveMinimum"),
                exclusive_maximum=_bound("exclusiveMaximum"),
                options=options,
            )
        )
    stops = [f for f in fields if f.optional and f.default == ""]
    main = [f for f in fields if f not in stops]
    return main + stops


def parse_number(field: ParamField, text: str) -> tuple[int | float | None, str]:
    """Parse and range-check one numeric value; return (value, error)."""
    raw = text.strip()
    if not raw:
        if field.optional:
            return None, ""
        return None, "Required"
    try:
        number = float(raw)
    except ValueError:
        return None, "Enter a number"
    if not math.isfinite(number):
        return None, "Enter a number"
    value: int | float = number
    if field.kind == "integer":
        if not number.is_integer():
            return None, "Enter a whole number"
        value = int(number)
    if field.minimum is not None and number < field.minimum:
        return None, f"Must be at least {_num_text(field.minimum)}"
    if field.exclusive_minimum is not None and number <= field.exclusive_minimum:
        return None, f"Must be more than {_num_text(field.exclusive_minimum)}"
    if field.maximum is not None and number > field.maximum:
        return None, f"Must be at most {_num_text(field.maximum)}"
    if field.exclusive_maximum is not None and number >= field.exclusive_maximum:
        return None, f"Must be less than {_num_text(field.exclusive_maximum)}"
    return value, ""


def range_count(start: float, stop: float, step: float) -> int:
    """How many values start, start+step, ... up to stop (inclusive) are."""
    if step <= 0 or stop < start:
        return 0
    return math.floor((stop - start) / step + 1e-9) + 1


def parse_range(
    field: ParamField, start: str, stop: str, step: str
) -> tuple[dict[str, int | float] | None, str]:
    """Validate a sweep range of a numeric field; return ({"start","stop","step"}, error)."""
    strict = dataclasses.replace(field, optional=False)
    lo, err = parse_number(strict, start)
    if err:
        return None, f"Start: {err.lower() if err != 'Required' else 'required'}"
    hi, err = parse_number(strict, stop)
    if err:
        return None, f"Stop: {err.lower() if err != 'Required' else 'required'}"
    step_field = dataclasses.replace(
        strict, minimum=None, maximum=None, exclusive_minimum=0.0, exclusive_maximum=None
    )
    inc, err = parse_number(step_field, step)
    if err:
        return None, f"Step: {err.lower() if err != 'Required' else 'required'}"
    assert lo is not None
    assert hi is not None
    assert inc is not None
    if hi < lo:
        return None, "Stop must not be below start"
    return {"start": lo, "stop": hi, "step": inc}, ""


def spec_count(spec: Any) -> int:
    """How many values one parameter of a sweep spec takes."""
    if isinstance(spec, Mapping):
        return range_count(float(spec["start"]), float(spec["stop"]), float(spec["step"]))
    if isinstance(spec, list):
        return len(spec)
    return 1


@dataclasses.dataclass
class FormInput:
    """What the user typed into the builder form (all text, as the inputs hold it)."""

    strategy: str
    symbol: str
    start: str
    end: str
    timeframe: str = "1d"
    initial_cash: str = "10000"
    fees: str = "0.001"
    slippage: str = "0"
    execution: str = "next_open"
    fractional: bool = True
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sweep: Mapping[str, bool] = dataclasses.field(default_factory=dict)
    sweep_start: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sweep_stop: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sweep_step: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _decimal_text(text: str, *, low: float, high: float | None, label: str) -> tuple[str, str]:
    raw = text.strip()
    try:
        value = float(raw)
    except ValueError:
        return "", f"{label} must be a number"
    if not math.isfinite(value) or value < low or (high is not None and value >= high):
        if high is None:
            return "", f"{label} must be at least {_num_text(low)}"
        return "", f"{label} must be from {_num_text(low)} to below {_num_text(high)}"
    return raw, ""


def build_request(
    form: FormInput, fields: Sequence[ParamField]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate the form and build the POST /backtests body.

    Returns (body, errors); errors map a field key (``symbol``, ``start``, ``param.fast``…)
    to a message, and the body is None when there is any.
    """
    errors: dict[str, str] = {}
    if not form.strategy:
        errors["strategy"] = "Choose a strategy"
    symbol = form.symbol.strip().upper()
    if not symbol:
        errors["symbol"] = "Choose a symbol"
    start, end = _parse_date(form.start), _parse_date(form.end)
    if start is None:
        errors["start"] = "Enter a start date (YYYY-MM-DD)"
    if end is None:
        errors["end"] = "Enter an end date (YYYY-MM-DD)"
    if start is not None and end is not None and end <= start:
        errors["end"] = "End must be after start"
    if form.timeframe not in TIMEFRAMES:
        errors["timeframe"] = "Choose a timeframe"
    if form.execution not in EXECUTIONS:
        errors["execution"] = "Choose an execution"
    cash, err = _decimal_text(form.initial_cash, low=0.01, high=None, label="Initial cash")
    if err:
        errors["initial_cash"] = err
    fees, err = _decimal_text(form.fees, low=0.0, high=1.0, label="Fees")
    if err:
        errors["fees"] = err
    slippage, err = _decimal_text(form.slippage, low=0.0, high=1.0, label="Slippage")
    if err:
        errors["slippage"] = err

    params: dict[str, Any] = {}
    combos = 1
    for field in fields:
        key = f"param.{field.name}"
        text = form.params.get(field.name, field.default)
        if field.numeric and form.sweep.get(field.name):
            spec, err = parse_range(
                field,
                form.sweep_start.get(field.name, ""),
                form.sweep_stop.get(field.name, ""),
                form.sweep_step.get(field.name, ""),
            )
            if err:
                errors[key] = err
                continue
            params[field.name] = spec
            combos *= spec_count(spec)
        elif field.numeric:
            value, err = parse_number(field, text)
            if err:
                errors[key] = err
            elif value is not None:
                params[field.name] = value
        elif field.kind == "enum":
            if text and text not in field.options:
                errors[key] = "Choose one of the options"
            elif text:
                params[field.name] = text
        elif field.kind == "boolean":
            params[field.name] = text == "true"
        elif text:
            params[field.name] = text
    if combos > MAX_COMBINATIONS:
        errors["sweep"] = (
            f"The sweep has {combos:,} combinations; keep it at {MAX_COMBINATIONS:,} or fewer"
        )
    if errors:
        return None, errors
    body = {
        "strategy": form.strategy,
        "params": params,
        "symbol": symbol,
        "start": form.start.strip(),
        "end": form.end.strip(),
        "timeframe": form.timeframe,
        "initial_cash": cash,
        "fees": fees,
        "slippage": slippage,
        "execution": form.execution,
        "fractional": bool(form.fractional),
    }
    return body, {}


def sweep_combinations(params: Mapping[str, Any]) -> int:
    """Number of runs a params spec makes."""
    total = 1
    for spec in params.values():
        total *= spec_count(spec)
    return total


def swept_names(params: Mapping[str, Any]) -> list[str]:
    """Parameters of a spec that take more than one value."""
    return [name for name, spec in params.items() if spec_count(spec) > 1]


# Formatting ------------------------------------------------------------------------------


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_metric(key: str, value: Any) -> str:
    """Format a metric for a card or table cell."""
    number = _as_float(value)
    if number is None:
        if value is not None and _is_inf(value):
            return "∞"
        return "—"
    kind = METRIC_KIND.get(key, "ratio")
    if kind == "pct":
        return (
            f"{number * 100:+.2f}%"
            if key in ("total_return", "cagr", "benchmark_return")
            else (f"{number * 100:.2f}%")
        )
    if kind == "money":
        return f"{number:,.2f}"
    if kind == "int":
        return f"{round(number):,}"
    return f"{number:.2f}"


def _is_inf(value: Any) -> bool:
    try:
        return math.isinf(float(value))
    except (TypeError, ValueError):
        return False


def metric_tone(key: str, value: Any) -> str:
    """A color hint for a metric: "up", "down" or "" (neutral)."""
    number = _as_float(value)
    if number is None or key not in ("total_return", "cagr", "benchmark_return", "sharpe"):
        return ""
    return "up" if number > 0 else "down" if number < 0 else ""


@dataclasses.dataclass(frozen=True)
class MetricCard:
    key: str
    label: str
    value: str
    tone: str = ""


def metric_cards(metrics: Mapping[str, Any] | None) -> list[MetricCard]:
    """The metric cards of a run, in a fixed order."""
    metrics = metrics or {}
    return [
        MetricCard(
            key, label, format_metric(key, metrics.get(key)), metric_tone(key, metrics.get(key))
        )
        for key, label, _ in METRICS
    ]


def format_param_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"{_default_text(value.get('start'))}…{_default_text(value.get('stop'))} step {_default_text(value.get('step'))}"
    if isinstance(value, list):
        return ", ".join(_default_text(v) for v in value)
    return _default_text(value) if value is not None else "—"


def params_text(params: Mapping[str, Any] | None) -> str:
    """One-line summary of params, e.g. "fast=10 slow=20"."""
    if not params:
        return "defaults"
    return " ".join(f"{k}={format_param_value(v)}" for k, v in params.items() if v is not None)


def short_date(value: Any) -> str:
    text = str(value or "")
    return text[:10] if len(text) >= 10 else text


def format_price(value: Any) -> str:
    number = _as_float(value)
    if number is None:
        return "—"
    return f"{number:,.2f}" if abs(number) >= 1 else f"{number:.5f}"


# Heatmap ---------------------------------------------------------------------------------


def grid_row_parts(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a grid row into (params, metrics); accepts nested or flat rows."""
    if isinstance(row.get("params"), Mapping):
        metrics = row.get("metrics")
        if isinstance(metrics, Mapping):
            return dict(row["params"]), dict(metrics)
        return dict(row["params"]), {k: v for k, v in row.items() if k != "params"}
    return dict(row), dict(row)


def _sort_key(value: Any) -> tuple[int, float, str]:
    number = _as_float(value)
    return (0, number, "") if number is not None else (1, 0.0, str(value))


@dataclasses.dataclass(frozen=True)
class HeatCell:
    x: str
    y: str
    value: str
    color: str
    best: bool
    label: str


@dataclasses.dataclass(frozen=True)
class HeatRow:
    y: str
    cells: list[HeatCell]


def _color(fraction: float | None) -> str:
    """Red (0) → neutral → teal (1), dark-theme friendly."""
    if fraction is None:
        return "var(--gray-3)"
    # hue 0 (red) to 170 (teal), mid desaturated.
    hue = 5 + 165 * fraction
    sat = 20 + 45 * abs(fraction - 0.5) * 2
    light = 24 + 14 * abs(fraction - 0.5) * 2
    return f"hsl({hue:.0f} {sat:.0f}% {light:.0f}%)"


def heatmap(
    grid: Sequence[Mapping[str, Any]],
    x_param: str,
    y_param: str,
    metric: str,
    best: Mapping[str, Any] | None = None,
) -> tuple[list[str], list[HeatRow]]:
    """Build the heatmap of ``metric`` over two params: (column labels, rows top to bottom).

    When the grid has more swept params, each cell shows the best value over them. The cell
    of the overall best combination (by ``best``'s params, else the highest metric) is marked.
    Rows run from the highest ``y`` down, like a chart's axis.
    """
    cells: dict[tuple[str, str], float | None] = {}
    xs: dict[str, Any] = {}
    ys: dict[str, Any] = {}
    best_key: tuple[str, str] | None = None
    best_value: float | None = None
    for row in grid:
        params, metrics = grid_row_parts(row)
        if x_param not in params or y_param not in params:
            continue
        xv, yv = params[x_param], params[y_param]
        x, y = _default_text(xv), _default_text(yv)
        xs.setdefault(x, xv)
        ys.setdefault(y, yv)
        value = _as_float(metrics.get(metric))
        old = cells.get((x, y))
        if (x, y) not in cells or (value is not None and (old is None or value > old)):
            cells[(x, y)] = value
        if value is not None and (best_value is None or value > best_value):
            best_value, best_key = value, (x, y)
    if best:
        best_params, _ = grid_row_parts(best)
        if x_param in best_params and y_param in best_params:
            best_key = (_default_text(best_params[x_param]), _default_text(best_params[y_param]))
    col_labels = sorted(xs, key=lambda k: _sort_key(xs[k]))
    row_labels = sorted(ys, key=lambda k: _sort_key(ys[k]), reverse=True)
    values = [v for v in cells.values() if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    rows: list[HeatRow] = []
    for y in row_labels:
        out: list[HeatCell] = []
        for x in col_labels:
            value = cells.get((x, y))
            fraction = None if value is None else (0.5 if hi == lo else (value - lo) / (hi - lo))
            text = format_metric(metric, value) if (x, y) in cells else ""
            out.append(
                HeatCell(
                    x=x,
                    y=y,
                    value=text,
                    color=_color(fraction),
                    best=(x, y) == best_key,
                    label=f"{x_param} {x}, {y_param} {y}: {text or 'no run'}",
                )
            )
        rows.append(HeatRow(y=y, cells=out))
    return col_labels, rows


def best_row(grid: Sequence[Mapping[str, Any]], metric: str) -> Mapping[str, Any] | None:
    """The grid row with the highest ``metric`` (None when no row has it)."""
    best: Mapping[str, Any] | None = None
    best_value: float | None = None
    for row in grid:
        value = _as_float(grid_row_parts(row)[1].get(metric))
        if value is not None and (best_value is None or value > best_value):
            best, best_value = row, value
    return best


def best_summary(
    best: Mapping[str, Any] | None, metric: str = "sharpe", names: Sequence[str] = ()
) -> str:
    """Text of the best combination, e.g. "fast=10 slow=50 · Sharpe 1.23".

    ``names`` are the swept params to show (a flat grid row mixes params and metrics).
    """
    if not best:
        return ""
    params, metrics = grid_row_parts(best)
    params = {k: params[k] for k in names if k in params}
    parts = [params_text(params)] if params else []
    for key in (metric, "total_return"):
        if key in metrics:
            parts.append(f"{METRIC_LABEL.get(key, key)} {format_metric(key, metrics[key])}")
    return " · ".join(dict.fromkeys(parts))


# Charts ----------------------------------------------------------------------------------


def _stride_indices(n: int, keep: set[int], limit: int = MAX_CHART_POINTS) -> list[int]:
    if n <= limit:
        return list(range(n))
    step = math.ceil(n / limit)
    chosen = set(range(0, n, step)) | {n - 1} | {i for i in keep if 0 <= i < n}
    return sorted(chosen)


def equity_rows(
    points: Sequence[Mapping[str, Any]], initial_cash: float | None = None
) -> list[dict[str, Any]]:
    """Rows for the equity and drawdown charts: t, equity, benchmark, drawdown (in %).

    Without a benchmark from the API the rows carry none (the chart then shows only the
    strategy).
    """
    idx = _stride_indices(len(points), set())
    rows: list[dict[str, Any]] = []
    for i in idx:
        point = points[i]
        equity = _as_float(point.get("equity"))
        drawdown = _as_float(point.get("drawdown"))
        row: dict[str, Any] = {
            "t": short_date(point.get("t")),
            "equity": round(equity, 2) if equity is not None else None,
            "drawdown": round(drawdown * 100, 2) if drawdown is not None else None,
        }
        bench = _as_float(point.get("benchmark"))
        if bench is not None:
            row["benchmark"] = round(bench, 2)
        rows.append(row)
    return rows


def has_benchmark(rows: Sequence[Mapping[str, Any]]) -> bool:
    return any(row.get("benchmark") is not None for row in rows)


def price_rows(
    bars: Sequence[Mapping[str, Any]], trades: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Rows for the price chart: t, close, and ``entry``/``exit`` prices on the trade bars."""
    times = [str(b.get("t") or "") for b in bars]
    day_index: dict[str, int] = {}
    for i, t in enumerate(times):
        day_index.setdefault(t[:19], i)
        day_index.setdefault(t[:10], i)
    entries: dict[int, float] = {}
    exits: dict[int, float] = {}
    for trade in trades:
        for when, price, target in (
            ("entry_time", "entry_price", entries),
            ("exit_time", "exit_price", exits),
        ):
            t = str(trade.get(when) or "")
            value = _as_float(trade.get(price))
            if not t or value is None:
                continue
            i = day_index.get(t[:19], day_index.get(t[:10], -1))
            if i >= 0:
                target[i] = value
    idx = _stride_indices(len(bars), set(entries) | set(exits))
    rows = []
    for i in idx:
        close = _as_float(bars[i].get("c"))
        rows.append(
            {
                "t": short_date(times[i]),
                "close": round(close, 4) if close is not None else None,
                "entry": entries.get(i),
                "exit": exits.get(i),
            }
        )
    return rows


@dataclasses.dataclass(frozen=True)
class TradeRow:
    n: int
    direction: str
    entry_time: str
    entry_price: str
    exit_time: str
    exit_price: str
    size: str
    pnl: str
    ret: str
    tone: str
    reason: str


def trade_rows(trades: Sequence[Mapping[str, Any]]) -> list[TradeRow]:
    """Rows of the trades table."""
    out = []
    for i, trade in enumerate(trades, start=1):
        pnl = _as_float(trade.get("pnl"))
        ret = _as_float(trade.get("return"))
        size = _as_float(trade.get("size"))
        out.append(
            TradeRow(
                n=i,
                direction=str(trade.get("direction") or "long"),
                entry_time=short_date(trade.get("entry_time")),
                entry_price=format_price(trade.get("entry_price")),
                exit_time=short_date(trade.get("exit_time")) or "open",
                exit_price=format_price(trade.get("exit_price")) if trade.get("exit_time") else "—",
                size=f"{size:,.4f}".rstrip("0").rstrip(".") if size is not None else "—",
                pnl=f"{pnl:+,.2f}" if pnl is not None else "—",
                ret=f"{ret * 100:+.2f}%" if ret is not None else "—",
                tone="up" if (pnl or 0) > 0 else "down" if (pnl or 0) < 0 else "",
                reason=str(trade.get("exit_reason") or ""),
            )
        )
    return out


# History ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunSummary:
    id: str
    label: str
    strategy: str
    symbol: str
    period: str
    params: str
    status: str
    kind: str
    total_return: str
    sharpe: str
    tone: str
    created: str


def run_summary(run: Mapping[str, Any]) -> RunSummary:
    """One line of the run history."""
    config = run.get("config") or {}
    metrics = run.get("metrics") or {}
    if not metrics and isinstance(run.get("best"), Mapping):
        _, metrics = grid_row_parts(run["best"])
    params = config.get("params") or {}
    kind = str(run.get("kind") or ("sweep" if swept_names(params) else "single"))
    run_id = str(run.get("id") or "")
    return RunSummary(
        id=run_id,
        label=f"{config.get('strategy', '?')} · {config.get('symbol', '?')} · {run_id[:8]}",
        strategy=str(config.get("strategy") or ""),
        symbol=str(config.get("symbol") or ""),
        period=f"{short_date(config.get('start'))} → {short_date(config.get('end'))}",
        params=params_text(params),
        status=str(run.get("status") or ""),
        kind=kind,
        total_return=format_metric("total_return", metrics.get("total_return")),
        sharpe=format_metric("sharpe", metrics.get("sharpe")),
        tone=metric_tone("total_return", metrics.get("total_return")),
        created=str(run.get("created_at") or "")[:16].replace("T", " "),
    )


@dataclasses.dataclass(frozen=True)
class CompareRow:
    label: str
    a: str
    b: str
    better: str  # "a" | "b" | ""


LOWER_IS_BETTER: frozenset[str] = frozenset()


def compare_rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[CompareRow]:
    """Side-by-side rows of two runs: config lines, then every metric with the better side."""
    ca, cb = a.get("config") or {}, b.get("config") or {}
    rows = [
        CompareRow("Strategy", str(ca.get("strategy", "")), str(cb.get("strategy", "")), ""),
        CompareRow("Symbol", str(ca.get("symbol", "")), str(cb.get("symbol", "")), ""),
        CompareRow(
            "Period",
            f"{short_date(ca.get('start'))} → {short_date(ca.get('end'))}",
            f"{short_date(cb.get('start'))} → {short_date(cb.get('end'))}",
            "",
        ),
        CompareRow("Params", params_text(ca.get("params")), params_text(cb.get("params")), ""),
    ]
    ma, mb = a.get("metrics") or {}, b.get("metrics") or {}
    for key, label, _ in METRICS:
        va, vb = _as_float(ma.get(key)), _as_float(mb.get(key))
        better = ""
        if (
            va is not None
            and vb is not None
            and va != vb
            and key not in ("trades", "final_equity", "exposure", "benchmark_return")
        ) or (key == "final_equity" and va is not None and vb is not None and va != vb):
            better = "a" if va > vb else "b"
        rows.append(
            CompareRow(
                label, format_metric(key, ma.get(key)), format_metric(key, mb.get(key)), better
            )
        )
    return rows


def form_from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The form values (text) that rebuild a past run's config, sweep ranges included."""
    params = config.get("params") or {}
    values: dict[str, str] = {}
    sweep: dict[str, bool] = {}
    starts: dict[str, str] = {}
    stops: dict[str, str] = {}
    steps: dict[str, str] = {}
    for name, spec in params.items():
        if isinstance(spec, Mapping) and "start" in spec:
            sweep[name] = True
            starts[name] = _default_text(spec.get("start"))
            stops[name] = _default_text(spec.get("stop"))
            steps[name] = _default_text(spec.get("step", 1))
        elif isinstance(spec, list) and spec:
            numbers = sorted(v for v in (_as_float(x) for x in spec) if v is not None)
            sweep[name] = True
            starts[name] = _default_text(_int_if_whole(numbers[0]))
            stops[name] = _default_text(_int_if_whole(numbers[-1]))
            gaps = {round(b - a, 9) for a, b in itertools.pairwise(numbers)}
            steps[name] = _default_text(_int_if_whole(min(gaps))) if gaps else "1"
        else:
            values[name] = _default_text(spec)
    return {
        "strategy": str(config.get("strategy") or ""),
        "symbol": str(config.get("symbol") or ""),
        "start": short_date(config.get("start")),
        "end": short_date(config.get("end")),
        "timeframe": str(config.get("timeframe") or "1d"),
        "initial_cash": _default_text(config.get("initial_cash", "10000")),
        "fees": _default_text(config.get("fees", "0")),
        "slippage": _default_text(config.get("slippage", "0")),
        "execution": str(config.get("execution") or "next_open"),
        "fractional": bool(config.get("fractional", True)),
        "params": values,
        "sweep": sweep,
        "sweep_start": starts,
        "sweep_stop": stops,
        "sweep_step": steps,
    }


def _int_if_whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def merge_equity(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Two equity curves on one time axis, each as % growth from its start (``a``, ``b``)."""

    def growth(points: Sequence[Mapping[str, Any]]) -> dict[str, float]:
        out: dict[str, float] = {}
        first: float | None = None
        for point in points:
            equity = _as_float(point.get("equity"))
            if equity is None:
                continue
            if first is None:
                first = equity or 1.0
            out[short_date(point.get("t"))] = round((equity / first - 1) * 100, 2)
        return out

    ga, gb = growth(a), growth(b)
    times = sorted(set(ga) | set(gb))
    rows = [{"t": t, "a": ga.get(t), "b": gb.get(t)} for t in times]
    idx = _stride_indices(len(rows), set())
    return [rows[i] for i in idx]


def bars_from_benchmark(
    points: Sequence[Mapping[str, Any]], trades: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Closes rebuilt from the buy-and-hold curve when the bars API has none for the range.

    The benchmark is ``cash * close / close[0]``, so it has the shape of the close; the
    scale comes from the trades' fill prices (median of fill / benchmark at the fill bar),
    which puts the entry and exit markers on the line. Returns ``[]`` without a benchmark
    or trades.
    """
    bench = {
        short_date(p.get("t")): b
        for p in points
        if (b := _as_float(p.get("benchmark"))) is not None and b > 0
    }
    ratios = []
    for trade in trades:
        for when, price in (("entry_time", "entry_price"), ("exit_time", "exit_price")):
            value = _as_float(trade.get(price))
            level = bench.get(short_date(trade.get(when)))
            if value is not None and level:
                ratios.append(value / level)
    if not bench or not ratios:
        return []
    ratios.sort()
    scale = ratios[len(ratios) // 2]
    return [{"t": t, "c": level * scale} for t, level in bench.items()]

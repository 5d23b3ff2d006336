import pytest
from strategy_engine import list_strategies

from paperdesk_web.states._backtest import (
    MAX_COMBINATIONS,
    FormInput,
    bars_from_benchmark,
    best_row,
    best_summary,
    build_request,
    compare_rows,
    fields_from_schema,
    form_from_config,
    format_metric,
    heatmap,
    merge_equity,
    metric_cards,
    parse_number,
    price_rows,
    range_count,
    run_summary,
    trade_rows,
)
from paperdesk_web.states.backtest import _grid_params, _percent

SCHEMAS = {s["name"]: s["params_schema"] for s in list_strategies()}


def _form(**changes):
    values = {
        "strategy": "sma_cross",
        "symbol": "goog",
        "start": "2004-08-19",
        "end": "2013-03-01",
        "params": {"fast": "10", "slow": "20", "direction": "long"},
    }
    values.update(changes)
    return FormInput(**values)


def test_fields_come_from_the_schema():
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    names = [f.name for f in fields]
    # strategy knobs first, the optional stops last
    assert names[:3] == ["direction", "fast", "slow"]
    assert names[-3:] == ["stop_loss", "take_profit", "trailing_stop"]
    by_name = {f.name: f for f in fields}
    fast = by_name["fast"]
    assert (fast.kind, fast.default, fast.minimum, fast.maximum) == ("integer", "10", 1, 10000)
    assert fast.numeric
    assert fast.hint == "1 ≤ x ≤ 10000"
    direction = by_name["direction"]  # a $ref to an enum
    assert direction.kind == "enum"
    assert direction.options == ("long", "long_short")
    assert direction.default == "long"
    stop = by_name["stop_loss"]  # anyOf number | null
    assert stop.kind == "number"
    assert stop.optional
    assert stop.default == ""
    assert stop.exclusive_minimum == 0
    assert stop.exclusive_maximum == 1
    assert stop.hint == "0 < x < 1, optional"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_strategy_builds_with_its_defaults(name):
    fields = fields_from_schema(SCHEMAS[name])
    form = _form(strategy=name, params={f.name: f.default for f in fields})
    body, errors = build_request(form, fields)
    assert errors == {}
    assert body is not None
    assert all(value is not None for value in body["params"].values())


def test_valid_form_builds_the_api_body():
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    body, errors = build_request(_form(fees="0.002", fractional=False), fields)
    assert errors == {}
    assert body == {
        "strategy": "sma_cross",
        "params": {"direction": "long", "fast": 10, "slow": 20},
        "symbol": "GOOG",
        "start": "2004-08-19",
        "end": "2013-03-01",
        "timeframe": "1d",
        "initial_cash": "10000",
        "fees": "0.002",
        "slippage": "0",
        "execution": "next_open",
        "fractional": False,
    }


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"symbol": " "}, "symbol", "Choose a symbol"),
        ({"start": "2004-13-01"}, "start", "Enter a start date (YYYY-MM-DD)"),
        ({"end": "2004-01-01"}, "end", "End must be after start"),
        ({"initial_cash": "0"}, "initial_cash", "Initial cash must be at least 0.01"),
        ({"fees": "1.5"}, "fees", "Fees must be from 0 to below 1"),
        ({"slippage": "x"}, "slippage", "Slippage must be a number"),
        ({"params": {"fast": "0", "slow": "20"}}, "param.fast", "Must be at least 1"),
        ({"params": {"fast": "2.5", "slow": "20"}}, "param.fast", "Enter a whole number"),
        ({"params": {"fast": "", "slow": "20"}}, "param.fast", "Required"),
        (
            {"params": {"fast": "5", "slow": "20", "stop_loss": "1"}},
            "param.stop_loss",
            "Must be less than 1",
        ),
        (
            {"params": {"fast": "5", "slow": "20", "direction": "up"}},
            "param.direction",
            "Choose one of the options",
        ),
    ],
)
def test_invalid_inputs_are_reported_per_field(changes, key, message):
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    body, errors = build_request(_form(**changes), fields)
    assert body is None
    assert errors[key] == message


def test_optional_stop_is_sent_only_when_set():
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    body, _ = build_request(_form(params={"fast": "5", "slow": "20", "stop_loss": "0.05"}), fields)
    assert body is not None
    assert body["params"]["stop_loss"] == 0.05
    body, _ = build_request(_form(params={"fast": "5", "slow": "20", "stop_loss": " "}), fields)
    assert body is not None
    assert "stop_loss" not in body["params"]


def test_sweep_spec():
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    form = _form(
        sweep={"fast": True, "slow": True},
        sweep_start={"fast": "5", "slow": "20"},
        sweep_stop={"fast": "15", "slow": "60"},
        sweep_step={"fast": "5", "slow": "20"},
    )
    body, errors = build_request(form, fields)
    assert errors == {}
    assert body is not None
    assert body["params"]["fast"] == {"start": 5, "stop": 15, "step": 5}
    assert body["params"]["slow"] == {"start": 20, "stop": 60, "step": 20}


@pytest.mark.parametrize(
    ("start", "stop", "step", "message"),
    [
        ("10", "5", "1", "Stop must not be below start"),
        ("5", "10", "0", "Step: must be more than 0"),
        ("0", "10", "1", "Start: must be at least 1"),
        ("5", "", "1", "Stop: required"),
    ],
)
def test_bad_ranges(start, stop, step, message):
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    form = _form(
        sweep={"fast": True},
        sweep_start={"fast": start},
        sweep_stop={"fast": stop},
        sweep_step={"fast": step},
    )
    _, errors = build_request(form, fields)
    assert errors["param.fast"] == message


def test_too_big_sweeps_are_refused():
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    form = _form(
        sweep={"fast": True, "slow": True},
        sweep_start={"fast": "1", "slow": "2"},
        sweep_stop={"fast": "100", "slow": "200"},
        sweep_step={"fast": "1", "slow": "1"},
    )
    _, errors = build_request(form, fields)
    assert str(MAX_COMBINATIONS // 1000) in errors["sweep"]


def test_range_count_includes_stop():
    assert range_count(5, 15, 5) == 3
    assert range_count(0.1, 0.3, 0.1) == 3
    assert range_count(5, 4, 1) == 0


def test_parse_number_of_a_float_field():
    field = {f.name: f for f in fields_from_schema(SCHEMAS["bollinger_reversion"])}["k"]
    assert parse_number(field, "2.5") == (2.5, "")
    assert parse_number(field, "0")[1] == "Must be more than 0"
    assert parse_number(field, "11")[1] == "Must be at most 10"


def test_metric_formatting():
    assert format_metric("total_return", 0.1234) == "+12.34%"
    assert format_metric("max_drawdown", -0.25) == "-25.00%"
    assert format_metric("sharpe", 1.234) == "1.23"
    assert format_metric("final_equity", 12345.678) == "12,345.68"
    assert format_metric("trades", 12) == "12"
    assert format_metric("profit_factor", None) == "—"
    assert format_metric("profit_factor", "inf") == "∞"
    cards = metric_cards({"total_return": -0.1})
    assert cards[1].label == "Total return"
    assert cards[1].tone == "down"


GRID = [
    {"fast": f, "slow": s, "sharpe": sharpe}
    for (f, s, sharpe) in [
        (5, 20, 0.5),
        (5, 40, 0.9),
        (10, 20, 0.2),
        (10, 40, 1.4),
        (15, 20, None),
        (15, 40, 0.7),
    ]
]


def test_heatmap_matrix():
    cols, rows = heatmap(GRID, "fast", "slow", "sharpe")
    assert cols == ["5", "10", "15"]
    assert [r.y for r in rows] == ["40", "20"]  # highest y on top
    top = rows[0].cells
    assert [c.value for c in top] == ["0.90", "1.40", "0.70"]
    assert [c.best for c in top] == [False, True, False]
    assert rows[1].cells[2].value == "—"
    assert rows[1].cells[2].color == "var(--gray-3)"
    assert top[1].label == "fast 10, slow 40: 1.40"
    assert sum(c.best for r in rows for c in r.cells) == 1


def test_heatmap_uses_the_api_best_and_nested_rows():
    grid = [
        {"params": {"a": a, "b": b}, "metrics": {"sharpe": a * b}} for a in (1, 2) for b in (3, 4)
    ]
    best = {"params": {"a": 1, "b": 3}, "metrics": {"sharpe": 3}}
    _, rows = heatmap(grid, "a", "b", "sharpe", best)
    marked = [(c.x, c.y) for r in rows for c in r.cells if c.best]
    assert marked == [("1", "3")]


def test_heatmap_keeps_the_best_over_a_third_param():
    grid = [{"a": 1, "b": 1, "c": c, "sharpe": c / 10} for c in (1, 5, 3)]
    _, rows = heatmap(grid, "a", "b", "sharpe")
    assert rows[0].cells[0].value == "0.50"


def test_price_rows_mark_entries_and_exits():
    bars = [{"t": f"2020-01-0{i}T00:00:00Z", "c": 100 + i} for i in range(1, 6)]
    trades = [
        {
            "entry_time": "2020-01-02T00:00:00+00:00",
            "entry_price": 101.5,
            "exit_time": "2020-01-04T00:00:00+00:00",
            "exit_price": 104.0,
        },
        {
            "entry_time": "2020-01-05T00:00:00+00:00",
            "entry_price": 105.0,
            "exit_time": None,
            "exit_price": None,
        },
    ]
    rows = price_rows(bars, trades)
    assert [r["entry"] for r in rows] == [None, 101.5, None, None, 105.0]
    assert [r["exit"] for r in rows] == [None, None, None, 104.0, None]
    assert rows[0]["t"] == "2020-01-01"


def test_long_price_series_is_thinned_but_keeps_markers():
    bars = [{"t": f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}Z", "c": i} for i in range(3000)]
    trades = [{"entry_time": bars[1001]["t"], "entry_price": 1.0, "exit_time": None}]
    rows = price_rows(bars, trades)
    assert len(rows) < 1000
    assert sum(1 for r in rows if r["entry"] is not None) == 1


def test_trade_rows():
    rows = trade_rows(
        [
            {
                "direction": "long",
                "entry_time": "2010-01-04T00:00:00",
                "entry_price": 313.79,
                "exit_time": "2010-02-01",
                "exit_price": 300.1,
                "size": 31.5,
                "pnl": -431.2,
                "return": -0.0436,
                "exit_reason": "signal",
            },
            {
                "direction": "long",
                "entry_time": "2010-03-01",
                "entry_price": 0.5,
                "exit_time": None,
                "size": 2,
                "pnl": 3,
                "return": 0.1,
            },
        ]
    )
    assert (rows[0].entry_time, rows[0].pnl, rows[0].ret, rows[0].tone) == (
        "2010-01-04",
        "-431.20",
        "-4.36%",
        "down",
    )
    assert (rows[1].exit_time, rows[1].exit_price, rows[1].size, rows[1].tone) == (
        "open",
        "—",
        "2",
        "up",
    )


def test_run_summary_and_edit_round_trip():
    config = {
        "strategy": "sma_cross",
        "symbol": "GOOG",
        "start": "2004-08-19",
        "end": "2013-03-01",
        "timeframe": "1d",
        "initial_cash": "10000",
        "fees": "0.002",
        "slippage": "0",
        "execution": "close",
        "fractional": False,
        "params": {
            "fast": {"start": 5, "stop": 15, "step": 5},
            "slow": [20, 40, 60],
            "direction": "long",
        },
    }
    summary = run_summary(
        {
            "id": "abcdef1234",
            "status": "succeeded",
            "config": config,
            "best": {"fast": 5, "slow": 40, "sharpe": 1.1, "total_return": 0.5},
        }
    )
    assert summary.kind == "sweep"
    assert summary.total_return == "+50.00%"
    assert summary.label == "sma_cross · GOOG · abcdef12"
    values = form_from_config(config)
    assert values["sweep"] == {"fast": True, "slow": True}
    assert (
        values["sweep_start"]["slow"],
        values["sweep_stop"]["slow"],
        values["sweep_step"]["slow"],
    ) == ("20", "60", "20")
    assert values["params"] == {"direction": "long"}
    assert values["execution"] == "close"
    assert values["fractional"] is False
    # The refilled form builds the same sweep again.
    fields = fields_from_schema(SCHEMAS["sma_cross"])
    body, errors = build_request(FormInput(**values), fields)
    assert errors == {}
    assert body is not None
    assert body["params"]["slow"] == {"start": 20, "stop": 60, "step": 20}
    assert body["fees"] == "0.002"


def test_compare_rows_mark_the_better_run():
    a = {
        "config": {"strategy": "sma_cross", "params": {"fast": 10}},
        "metrics": {"sharpe": 1.0, "max_drawdown": -0.3},
    }
    b = {
        "config": {"strategy": "ema_cross", "params": {"fast": 12}},
        "metrics": {"sharpe": 0.5, "max_drawdown": -0.1},
    }
    rows = {r.label: r for r in compare_rows(a, b)}
    assert rows["Sharpe"].better == "a"
    assert rows["Max drawdown"].better == "b"  # a shallower drawdown is better
    assert rows["Params"].a == "fast=10"


def test_merge_equity_as_growth():
    a = [{"t": "2020-01-01", "equity": 100}, {"t": "2020-01-02", "equity": 110}]
    b = [{"t": "2020-01-02", "equity": 50}, {"t": "2020-01-03", "equity": 25}]
    assert merge_equity(a, b) == [
        {"t": "2020-01-01", "a": 0.0, "b": None},
        {"t": "2020-01-02", "a": 10.0, "b": 0.0},
        {"t": "2020-01-03", "a": None, "b": -50.0},
    ]


def test_best_row_and_summary_follow_the_chosen_metric():
    grid = [
        {
            "fast": 5,
            "slow": 20,
            "direction": "long",
            "sharpe": 1.5,
            "total_return": 0.2,
            "expectancy": 3,
        },
        {
            "fast": 10,
            "slow": 20,
            "direction": "long",
            "sharpe": 0.5,
            "total_return": 0.9,
            "expectancy": 1,
        },
    ]
    assert best_row(grid, "sharpe") is grid[0]
    assert best_row(grid, "total_return") is grid[1]
    assert best_row(grid, "calmar") is None
    text = best_summary(best_row(grid, "total_return"), "total_return", ["fast", "slow"])
    assert text == "fast=10 slow=20 · Total return +90.00%"


@pytest.mark.parametrize(
    ("progress", "status", "percent"),
    [(0.42, "running", 42), (None, "queued", 0), (0.5, "succeeded", 100), (75, "running", 75)],
)
def test_progress_percent(progress, status, percent):
    assert _percent(progress, status) == percent


def test_swept_params_of_a_grid_without_config():
    grid = [{"fast": f, "slow": 20, "sharpe": 0.1 * f, "trades": f} for f in (5, 10)]
    assert _grid_params(grid) == ["fast"]


def test_closes_rebuilt_from_the_benchmark_put_markers_on_the_line():
    closes = [50.0, 55.0, 60.0, 66.0]
    points = [
        {"t": f"2020-01-0{i + 1}T00:00:00Z", "equity": 1, "benchmark": 10_000 * c / closes[0]}
        for i, c in enumerate(closes)
    ]
    trades = [
        {
            "entry_time": "2020-01-02T00:00:00",
            "entry_price": 55.0,
            "exit_time": "2020-01-04",
            "exit_price": 66.0,
        }
    ]
    bars = bars_from_benchmark(points, trades)
    assert [round(b["c"], 6) for b in bars] == closes
    rows = price_rows(bars, trades)
    assert rows[1]["entry"] == 55.0
    assert rows[3]["exit"] == 66.0
    assert bars_from_benchmark(points, []) == []

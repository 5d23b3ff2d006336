import json

import numpy as np
import pandas as pd
import pytest

from strategy_engine import (
    INTERFACE_VERSION,
    STRATEGIES,
    ParamsError,
    UnknownStrategyError,
    get_strategy,
    list_strategies,
    run_backtest,
)

EXPECTED = {
    "buy_and_hold",
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "bollinger_reversion",
    "macd_cross",
    "donchian_breakout",
}


@pytest.fixture(scope="module")
def bars():
    rng = np.random.default_rng(7)
    n = 600
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, n)))
    open_ = close * (1 + rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    idx = pd.date_range("2020-01-01", periods=n, freq="B", tz="UTC")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1e6}, index=idx
    )


def test_registry_lists_every_strategy():
    listed = list_strategies()
    assert {s["name"] for s in listed} == EXPECTED
    for s in listed:
        assert set(s) == {"name", "title", "description", "params_schema"}
        assert s["title"]
        assert s["description"]
        json.dumps(s)  # JSON-ready


def test_interface_version():
    for cls in STRATEGIES.values():
        assert cls.INTERFACE_VERSION == INTERFACE_VERSION == 1


def test_params_schema_is_json_schema():
    schema = get_strategy("sma_cross").params_schema()
    assert schema["type"] == "object"
    props = schema["properties"]
    assert props["fast"]["type"] == "integer"
    assert props["fast"]["default"] == 10
    assert props["slow"]["minimum"] == 2
    assert set(props) >= {"stop_loss", "take_profit", "trailing_stop", "direction"}
    assert schema["additionalProperties"] is False
    buy_hold = get_strategy("buy_and_hold").params_schema()
    assert "direction" not in buy_hold["properties"]


def test_params_are_frozen():
    p = get_strategy("sma_cross").parse_params({"fast": 5, "slow": 30})
    with pytest.raises(Exception, match="frozen"):
        p.fast = 7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sma_cross", {"fast": 20, "slow": 10}, "fast (20) must be less than slow (10)"),
        ("sma_cross", {"fast": 0}, "fast: Input should be greater than or equal to 1"),
        ("sma_cross", {"fast": "ten"}, "fast: Input should be a valid integer"),
        ("sma_cross", {"fsat": 3}, "fsat: unknown parameter"),
        ("sma_cross", {"stop_loss": 1.5}, "stop_loss: Input should be less than 1"),
        ("sma_cross", {"direction": "short"}, "direction: Input should be 'long' or 'long_short'"),
        ("rsi_reversion", {"lower": 80, "upper": 20}, "lower (80.0) must be less than upper"),
        ("macd_cross", {"fast": 30, "slow": 26}, "fast (30) must be less than slow (26)"),
    ],
)
def test_params_validation_errors_are_clear(name, params, message):
    with pytest.raises(ParamsError) as info:
        get_strategy(name).parse_params(params)
    text = str(info.value)
    assert text.startswith(f"invalid params for strategy '{name}': ")
    assert message in text


def test_unknown_strategy():
    with pytest.raises(UnknownStrategyError, match="unknown strategy 'nope'; known: "):
        get_strategy("nope")


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("execution", ["next_open", "close"])
def test_each_strategy_runs(bars, name, execution):
    r = run_backtest(bars, name, {}, fees=0.001, execution=execution)
    assert len(r.equity) == len(bars)
    assert np.isfinite(r.equity.to_numpy()).all()
    assert r.metrics["final_equity"] == pytest.approx(r.equity.iloc[-1])
    if name != "buy_and_hold":
        assert r.metrics["trades"] > 0, "the random walk should trigger some trades"
    assert (r.trades.direction == "long").all()


@pytest.mark.parametrize("name", sorted(EXPECTED - {"buy_and_hold"}))
def test_each_strategy_runs_long_short_with_stops(bars, name):
    params = {"direction": "long_short", "stop_loss": 0.05, "trailing_stop": 0.08}
    r = run_backtest(bars, name, params, fees=0.001, slippage=0.0005)
    assert set(r.trades.direction) == {"long", "short"}
    assert (r.position < 0).any()
    assert np.isfinite(r.equity.to_numpy()).all()


def test_buy_and_hold_matches_the_benchmark(bars):
    r = run_backtest(bars, "buy_and_hold", execution="close")
    assert r.metrics["total_return"] == pytest.approx(r.metrics["benchmark_return"])
    assert r.metrics["exposure"] == 1.0


def test_signals_use_only_past_data(bars):
    # Changing future bars must not change earlier signals.
    for name in sorted(EXPECTED):
        strat = get_strategy(name)
        full = strat.signal_frame(
            bars, {"direction": "long_short"} if name != "buy_and_hold" else {}
        )
        cut = strat.signal_frame(
            bars.iloc[:400], {"direction": "long_short"} if name != "buy_and_hold" else {}
        )
        pd.testing.assert_frame_equal(full.iloc[:400], cut, obj=name)


def test_signal_frame_columns(bars):
    frame = get_strategy("sma_cross").signal_frame(bars, {"fast": 5, "slow": 20})
    assert list(frame.columns) == ["entries", "exits", "short_entries", "short_exits"]
    assert frame.dtypes.eq(bool).all()
    assert not frame.short_entries.any()

import pytest

from paperdesk_web.states._quotes import (
    SPARK_POINTS,
    build_tiles,
    format_price,
    push_spark,
    quote_view,
    source_label,
    spark_values,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("189.2300000", "189.23"),
        ("64285.555", "64,285.56"),
        ("1.085234", "1.08523"),
        ("0.123456", "0.12346"),
        (None, "—"),
        ("not a number", "—"),
        ("NaN", "—"),
    ],
)
def test_format_price(value, text):
    assert format_price(value) == text


def test_change_comes_from_prev_close():
    view = quote_view({"symbol": "AAPL", "price": "101.00", "prev_close": "100", "source": "sim"})
    assert (view.price, view.change, view.change_pct, view.direction) == (
        "101.00",
        "+1.00",
        "+1.00%",
        "up",
    )
    assert view.synthetic
    assert view.source_label == "SIM · synthetic"


def test_falling_price_is_down():
    view = quote_view({"symbol": "X", "price": "99", "prev_close": "100"})
    assert (view.change, view.change_pct, view.direction) == ("-1.00", "-1.00%", "down")


def test_without_prev_close_the_api_change_is_used():
    view = quote_view({"symbol": "X", "price": "50", "change": "-0.5", "change_pct": "-0.99"})
    assert (view.change, view.change_pct, view.direction) == ("-0.50", "-0.99%", "down")


def test_quote_without_price_has_placeholders():
    view = quote_view({"symbol": "X", "price": None})
    assert view.price == "—"
    assert view.change == ""


def test_source_labels():
    assert source_label("replay") == "Replay · historical"
    assert source_label("custom") == "custom"
    assert source_label("") == ""


def test_sparklines_are_bounded():
    assert spark_values(["1", "x", "2.5"]) == [1.0, 2.5]
    values = [float(i) for i in range(SPARK_POINTS)]
    pushed = push_spark(values, "999")
    assert len(pushed) == SPARK_POINTS
    assert pushed[-1] == 999.0
    assert push_spark([1.0], None) == [1.0]


def test_tiles_follow_the_watchlist_order():
    quotes = {"B": quote_view({"symbol": "B", "price": "2", "prev_close": "2"})}
    tiles = build_tiles(["B", "A"], quotes, {"B": [1.0, 2.0]}, {"B": "Bee"})
    assert [t.symbol for t in tiles] == ["B", "A"]
    assert tiles[0].has_quote
    assert tiles[0].name == "Bee"
    assert tiles[0].direction == "flat"
    assert tiles[0].spark == [{"i": 0, "p": 1.0}, {"i": 1, "p": 2.0}]
    assert not tiles[1].has_quote
    assert tiles[1].price == "—"


def test_stream_messages_other_than_quotes_are_ignored():
    from paperdesk_web.states.live import _parse_quote_message

    assert _parse_quote_message('{"type":"quote","data":{"symbol":"AAPL","price":"1"}}') == {
        "symbol": "AAPL",
        "price": "1",
    }
    assert _parse_quote_message('{"type":"error","data":{"code":"x"}}') is None
    assert _parse_quote_message('{"type":"quote","data":{}}') is None
    assert _parse_quote_message("not json") is None


def test_a_change_that_rounds_to_zero_is_flat():
    view = quote_view({"symbol": "X", "price": "100.001", "prev_close": "100"})
    assert (view.change, view.direction) == ("+0.00", "flat")


def test_a_newer_stream_task_or_a_logout_ends_the_older_task():
    # Each page load starts a task (Reflex cancels the previous page's on_load chain);
    # the newest serves the session, an older one leaves at its next check.
    from paperdesk_web.states.live import LiveState

    state = LiveState(_reflex_internal_init=True)
    state.token = "t1"
    state._stream_gen = 3
    assert state._stream_is_current(3, "t1")
    state._stream_gen = 4  # the next page load's task
    assert not state._stream_is_current(3, "t1")
    assert state._stream_is_current(4, "t1")
    state.token = ""  # logged out
    assert not state._stream_is_current(4, "t1")

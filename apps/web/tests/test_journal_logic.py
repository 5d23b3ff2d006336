"""Pure view logic of the Journal and Analytics screens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperdesk_web.states import _journal as logic
from paperdesk_web.states._trading import chart_view

TRADE = {
    "id": "t1",
    "symbol": "AAPL",
    "side": "long",
    "status": "closed",
    "qty": "10",
    "entry_time": "2026-05-04T14:05:00Z",
    "entry_price": "190.10",
    "exit_time": "2026-05-04T14:35:30Z",
    "exit_price": "191.60",
    "pnl": "14.5",
    "gross_pnl": "15",
    "fees": "0.5",
    "pnl_pct": "0.7628",
    "holding_seconds": 1830,
    "mae": "-3.2",
    "mfe": None,
    "tags": ["breakout"],
    "rating": 4,
    "r_multiple": "1.45",
}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (45, "45s"), (723, "12m 3s"), (7500, "2h 5m"), (273_600, "3d 4h")],
)
def test_format_holding(seconds: object, text: str) -> None:
    assert logic.format_holding(seconds) == text


def test_trade_row_and_detail() -> None:
    row = logic.trade_row(TRADE)
    assert (row.pnl, row.pnl_pct, row.direction) == ("+$14.50", "+0.76%", "up")
    assert (row.entry_time, row.exit_price, row.holding) == ("May 04 14:05", "191.60", "30m 30s")
    assert (row.rating, row.r_multiple, row.tags) == ("★★★★☆", "+1.45R", ["breakout"])
    assert row.name == "AAPL long May 04 14:05"
    detail = logic.trade_detail(TRADE)
    assert (detail.mae, detail.mfe, detail.fees) == ("-$3.20", "No data", "$0.50")
    opened = logic.trade_row({**TRADE, "status": "open", "exit_time": None})
    assert (opened.exit_time, opened.exit_price, opened.holding) == ("Open", "—", "—")


def test_chart_window_and_marks_draw_entry_and_exit() -> None:
    assert logic.chart_window(TRADE) == ("1m", "2026-05-04T13:49:45Z", "2026-05-04T14:50:45Z")
    now = datetime(2026, 5, 6, 14, 5, tzinfo=UTC)
    opened = {**TRADE, "status": "open", "exit_time": None}
    assert logic.chart_window(opened, now)[0] == "1h"
    marks = logic.trade_marks({**TRADE, "side": "short"})
    assert [(m["side"], m["label"]) for m in marks] == [("sell", "Entry"), ("buy", "Exit")]
    bars = [
        {"t": f"2026-05-04T14:{m:02d}:00Z", "o": "190", "h": "192", "l": "189", "c": "191"}
        for m in range(0, 40)
    ]
    markers = chart_view(bars, logic.trade_marks(TRADE), "1m").markers
    assert [m.label for m in markers] == ["Entry", "Exit"]
    assert markers[0].title == "Entry: Buy 10 @ 190.10"


def test_tags_and_stop_input() -> None:
    assert logic.parse_tags(" Breakout, fomo,,breakout ") == ["breakout", "fomo"]
    assert logic.check_stop("") == (None, "")
    assert logic.check_stop("1,189.50") == ("1189.5", "")
    assert logic.check_stop("-1")[0] is None


def test_summary_cards_and_groups() -> None:
    summary = {
        "pnl": "-12.345",
        "win_rate": "0.5",
        "profit_factor": None,
        "trades": 4,
        "largest_win": "3",
        "largest_loss": "-2",
        "max_consecutive_losses": 2,
    }
    cards = {c.key: c for c in logic.summary_cards(summary)}
    assert (cards["pnl"].value, cards["pnl"].tone) == ("-$12.35", "down")
    assert cards["win_rate"].value == "50.0%"
    assert cards["profit_factor"].value == "—"
    wins_only = logic.group_row({"key": "x", "largest_win": "3", "largest_loss": None})
    assert wins_only.profit_factor == "∞"
    bars = logic.bar_rows([{"key": "Tue", "pnl": "-4", "trades": 1}], logic.WEEKDAYS)
    assert [b["key"] for b in bars] == list(logic.WEEKDAYS)
    assert bars[1] == {"key": "Tue", "pnl": -4.0, "trades": 1, "fill": logic.DOWN_FILL}


def test_calendar_weeks_start_on_monday() -> None:
    daily = [
        {"date": "2026-05-06", "pnl": "10", "trades": 2, "cumulative_pnl": "10"},
        {"date": "2026-05-12", "pnl": "-5", "trades": 1, "cumulative_pnl": "5"},
    ]
    weeks = logic.calendar_weeks(daily)
    assert len(weeks) == 2
    assert weeks[0].label == "May 2026"
    first = [d.date for d in weeks[0].days]
    assert first[:2] == ["", ""]
    assert first[2] == "2026-05-06"
    assert weeks[0].days[2].title == "2026-05-06: +$10.00 · 2 trades"
    assert weeks[0].days[3].title == "2026-05-07: no trades"
    assert weeks[1].days[1].color.startswith("var(--tomato-")
    assert logic.calendar_weeks([]) == []


def test_calendar_rows_are_labelled_by_a_shown_day() -> None:
    # Tue 1 Dec 2026 is in the week of Mon 30 Nov, which is not shown.
    weeks = logic.calendar_weeks([{"date": "2026-12-01", "pnl": "-3", "trades": 2}])
    assert [w.label for w in weeks] == ["Dec 2026"]
    # A hidden 1st after the last traded day does not label its row either.
    weeks = logic.calendar_weeks([{"date": "2026-10-28", "pnl": "1", "trades": 1}])
    assert [w.label for w in weeks] == ["Oct 2026"]


def test_a_late_close_of_another_rows_tag_editor_keeps_the_open_one() -> None:
    from paperdesk_web.states.journal import JournalState

    state = JournalState(_reflex_internal_init=True)  # type: ignore[call-arg]
    toggle = JournalState.toggle_tag_editor.fn  # type: ignore[attr-defined]
    toggle(state, "b", True)
    toggle(state, "a", False)  # row a's popover reports its close after b opened
    assert state.tag_editor_id == "b"
    toggle(state, "b", False)
    assert state.tag_editor_id == ""

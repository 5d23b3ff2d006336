"""CSV of trades with their journal fields: writing, and parsing with line-numbered errors."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter

from paperdesk_api.errors import Invalid
from paperdesk_api.kit.schemas import is_symbol
from paperdesk_api.modules.journal import schemas

COLUMNS = (
    "id",
    "symbol",
    "side",
    "status",
    "qty",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "pnl",
    "gross_pnl",
    "fees",
    "pnl_pct",
    "holding_seconds",
    "mae",
    "mfe",
    "tags",
    "notes",
    "rating",
    "planned_stop",
    "r_multiple",
    "setup",
)
JOURNAL_COLUMNS = ("tags", "notes", "rating", "planned_stop", "setup")
NEW_TRADE_COLUMNS = ("symbol", "side", "qty", "entry_time", "entry_price")
MAX_ROWS = 100_000
_TAG: TypeAdapter[str] = TypeAdapter(schemas.TagName)


def write_csv(trades: Sequence[schemas.Trade]) -> str:
    """One row per trade, the contract's columns, tags joined by ``;``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in trades:
        data = t.model_dump(mode="json")
        data["tags"] = ";".join(t.tags)
        writer.writerow(["" if data[c] is None else data[c] for c in COLUMNS])
    return out.getvalue()


@dataclass
class CsvRow:
    """One parsed line: the journal fields present in the file and the trade's own fields."""

    line: int
    id: uuid.UUID | None
    journal: dict[str, Any] = field(default_factory=dict)
    trade: dict[str, Any] = field(default_factory=dict)


class _Line:
    def __init__(self, line: int, cells: dict[str, str]) -> None:
        self.line = line
        self.cells = cells

    def fail(self, message: str) -> Invalid:
        return Invalid(f"line {self.line}: {message}", code="invalid_csv")

    def text(self, name: str) -> str:
        return (self.cells.get(name) or "").strip()

    def dec(self, name: str, *, positive: bool = False) -> Decimal | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail(f"{name} is not a number: {raw[:40]!r}") from None
        if not value.is_finite() or (positive and value <= 0):
            raise self.fail(f"{name} must be a {'positive ' if positive else ''}number")
        return value

    def time(self, name: str) -> datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            raise self.fail(f"{name} is not an ISO-8601 time: {raw[:40]!r}") from None
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)

    def journal(self, present: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "tags" in present:
            try:
                out["tags"] = [
                    _TAG.validate_python(t) for t in self.text("tags").split(";") if t.strip()
                ]
            except ValueError as exc:
                raise self.fail(f"bad tag: {_first_error(exc)}") from None
        if "notes" in present:
            out["notes"] = self.cells.get("notes") or ""
        if "rating" in present:
            raw = self.text("rating")
            if raw and (not raw.isdigit() or not 1 <= int(raw) <= 5):
                raise self.fail(f"rating must be 1 to 5, not {raw[:10]!r}")
            out["rating"] = int(raw) if raw else None
        if "planned_stop" in present:
            out["planned_stop"] = self.dec("planned_stop", positive=True)
        if "setup" in present:
            setup = self.text("setup")
            if len(setup) > 100:
                raise self.fail("setup is longer than 100 characters")
            out["setup"] = setup or None
        for key in ("notes", "setup"):
            if isinstance(out.get(key), str) and "\x00" in out[key]:
                raise self.fail(f"{key} contains a NUL character")
        return out

    def trade(self) -> dict[str, Any]:
        missing = [c for c in NEW_TRADE_COLUMNS if not self.text(c)]
        if missing:
            raise self.fail(f"a new trade needs {', '.join(missing)}")
        symbol = self.text("symbol").upper()
        if not is_symbol(symbol):
            raise self.fail(f"not a valid symbol: {symbol[:40]!r}")
        side = self.text("side").lower()
        if side not in ("long", "short"):
            raise self.fail("side must be long or short")
        qty = self.dec("qty", positive=True)
        entry_price = self.dec("entry_price", positive=True)
        entry_time = self.time("entry_time")
        exit_time, exit_price = self.time("exit_time"), self.dec("exit_price", positive=True)
        if (exit_time is None) != (exit_price is None):
            raise self.fail("exit_time and exit_price go together")
        if exit_time is not None and entry_time is not None and exit_time < entry_time:
            raise self.fail("exit_time is before entry_time")
        assert qty is not None
        assert entry_price is not None
        assert entry_time is not None
        direction = 1 if side == "long" else -1
        closed = exit_price is not None
        fees = self.dec("fees") or Decimal(0)
        gross = self.dec("gross_pnl")
        if gross is None:
            gross = (exit_price - entry_price) * qty * direction if exit_price else Decimal(0)
        pnl = self.dec("pnl")
        if pnl is None:
            pnl = gross - fees
        pct = self.dec("pnl_pct")
        if pct is None:
            pct = pnl / (entry_price * qty) * 100
        holding = None
        if exit_time is not None:
            holding = int((exit_time - entry_time).total_seconds())
        return {
            "symbol": symbol,
            "side": side,
            "status": "closed" if closed else "open",
            "source": "import",
            "qty": qty,
            "open_qty": Decimal(0) if closed else qty,
            "entry_time": entry_time,
            "entry_price": entry_price,
            "exit_time": exit_time,
            "exit_price": exit_price,
            "gross_pnl": gross,
            "fees": fees,
            "realized_pnl": pnl if closed else -fees,
            "pnl": pnl,
            "pnl_pct": pct,
            "holding_seconds": holding,
            "fill_count": 0,
            "mae": self.dec("mae"),
            "mfe": self.dec("mfe"),
        }


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", exc))
    return str(exc)


def parse_csv(text: str, known: set[uuid.UUID]) -> list[CsvRow]:
    """Parse a whole file; rows whose id is in ``known`` only carry journal fields.

    Raises:
        Invalid: the first bad line, by number (nothing is half-read).
    """
    if "\x00" in text:
        raise Invalid("line 1: the file contains NUL characters", code="invalid_csv")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "id" not in header:
        raise Invalid("line 1: the header must name the columns, id first", code="invalid_csv")
    reader.fieldnames = header
    present = set(header) & set(JOURNAL_COLUMNS)
    rows: list[CsvRow] = []
    try:
        for cells in reader:
            line = _Line(reader.line_num, {k: v for k, v in cells.items() if k is not None})
            if None in cells:
                raise line.fail("more cells than columns")
            if len(rows) >= MAX_ROWS:
                raise line.fail(f"more than {MAX_ROWS} rows")
            raw_id = line.text("id")
            trade_id = None
            if raw_id:
                try:
                    trade_id = uuid.UUID(raw_id)
                except ValueError:
                    raise line.fail(f"id is not a UUID: {raw_id[:40]!r}") from None
            row = CsvRow(line=line.line, id=trade_id, journal=line.journal(present))
            if trade_id not in known:
                row.trade = line.trade()
            rows.append(row)
    except csv.Error as exc:
        raise Invalid(f"line {reader.line_num}: {exc}", code="invalid_csv") from None
    return rows

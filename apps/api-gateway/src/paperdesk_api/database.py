"""Schema upgrades and reference data (instruments)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from paperdesk_core.config import get_settings
from paperdesk_core.db import session_scope
from paperdesk_core.db.models import Instrument
from paperdesk_core.universe import DEFAULT_UNIVERSE
from sqlalchemy import select

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def upgrade(url: str | None = None) -> None:
    """Apply every Alembic migration, then seed the instrument universe."""
    settings = get_settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", (url or settings.db_url).replace("%", "%%"))
    command.upgrade(cfg, "head")
    seed_instruments()


def seed_instruments() -> int:
    """Insert instruments of the default universe that are missing; return how many."""
    added = 0
    with session_scope() as session:
        have = set(session.scalars(select(Instrument.symbol)))
        for spec in DEFAULT_UNIVERSE:
            if spec.symbol in have:
                continue
            session.add(
                Instrument(
                    symbol=spec.symbol,
                    name=spec.name,
                    asset_class=spec.asset_class,
                    exchange=spec.exchange,
                    currency=spec.currency,
                    source="sim",
                    tick_size=spec.tick_size,
                    calendar=spec.calendar,
                )
            )
            added += 1
    return added

"""Settings for every PaperDesk process: one class, read from the environment."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

FeedName = Literal["sim", "replay", "finnhub"]


class Settings(BaseSettings):
    """PaperDesk settings; env prefix ``PAPERDESK_`` except the standard names."""

    model_config = SettingsConfigDict(env_prefix="PAPERDESK_", extra="ignore")

    data_dir: Path = Path("./.paperdesk")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PAPERDESK_DATABASE_URL")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "PAPERDESK_REDIS_URL")
    )
    feed: FeedName = "sim"
    finnhub_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("FINNHUB_API_KEY", "PAPERDESK_FINNHUB_API_KEY")
    )
    finnhub_ws_url: str = "wss://ws.finnhub.io"
    finnhub_rest_url: str = "https://finnhub.io/api/v1"
    alphavantage_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ALPHAVANTAGE_API_KEY", "PAPERDESK_ALPHAVANTAGE_API_KEY"),
    )
    alphavantage_url: str = "https://www.alphavantage.co/query"
    secret_key: str = "dev-insecure-change-me"  # noqa: S105  (embedded default only)
    api_url: str = "http://127.0.0.1:8000"
    token_ttl_seconds: int = 12 * 3600
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    sim_tick_hz: float = 4.0
    sim_seed: int = 42
    stream_maxlen: int = 200_000
    parquet_roll_seconds: float = 60.0
    parquet_roll_rows: int = 500_000
    feed_max_lag_seconds: float = 30.0
    worker_heartbeat_ttl_seconds: int = 30
    # API processes (uvicorn workers) and each one's asyncio PostgreSQL pool for POST /orders.
    api_workers: int = Field(default=1, ge=1, le=64)
    api_pg_pool_size: int = Field(default=16, ge=1, le=200)
    # The paper fill model (see paperdesk_core/trading/fill_model.py and the README).
    slippage_bps: Decimal = Field(default=Decimal("5"), ge=0)
    participation_rate: Decimal = Field(default=Decimal("1"), gt=0, le=1)
    commission_model: Literal["per_share", "bps"] = "per_share"
    commission_per_share: Decimal = Field(default=Decimal("0"), ge=0)
    commission_min: Decimal = Field(default=Decimal("0"), ge=0)
    commission_bps: Decimal = Field(default=Decimal("0"), ge=0)

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.data_dir.resolve() / 'paperdesk.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache)."""
    return Settings()

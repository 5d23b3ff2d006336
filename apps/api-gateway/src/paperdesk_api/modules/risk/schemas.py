"""Risk limit and state schemas (percentages are fractions, 0.10 = 10%)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from paperdesk_api.kit.schemas import Schema
from paperdesk_api.modules.orders.schemas import Dec

Pct = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]


class RiskLimits(Schema):
    max_order_notional: Dec
    max_position_pct: Dec
    max_daily_loss_pct: Dec
    max_drawdown_pct: Dec


class RiskLimitsUpdate(Schema):
    max_order_notional: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    max_position_pct: Annotated[Decimal, Field(gt=0, le=10, allow_inf_nan=False)] | None = None
    max_daily_loss_pct: Pct | None = None
    max_drawdown_pct: Pct | None = None


class RiskState(Schema):
    state: str
    reason: str
    halted: bool


class HaltRequest(Schema):
    reason: Annotated[str, Field(max_length=200)] = ""

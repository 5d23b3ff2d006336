"""orders: partial index on the open orders by creation time

The fill engine polls for open orders it does not work yet (a lost publish); without
this index that poll scanned every order ever placed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'partially_filled')")


def upgrade() -> None:
    op.create_index(
        "ix_orders_open_created",
        "orders",
        ["created_at"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_open_created", table_name="orders")

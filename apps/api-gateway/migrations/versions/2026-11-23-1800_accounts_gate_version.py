"""accounts: gate_version, bumped by every change the order gate's decision reads

On PostgreSQL the order gate reads an account without locking it and writes the order
only if ``gate_version`` is still the one it read (an optimistic check); accepted orders,
fills, resets and halts bump it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("gate_version", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("accounts", "gate_version")

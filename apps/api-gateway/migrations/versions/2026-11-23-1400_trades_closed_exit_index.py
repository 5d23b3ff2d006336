"""trades: analytics index on (account_id, status, exit_time)

Analytics read an account's closed trades by exit time (date filters on the exit); the
index replaces (account_id, exit_time), which nothing else reads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_account_exit")
        batch_op.create_index(
            "ix_trades_account_status_exit", ["account_id", "status", "exit_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_account_status_exit")
        batch_op.create_index("ix_trades_account_exit", ["account_id", "exit_time"], unique=False)

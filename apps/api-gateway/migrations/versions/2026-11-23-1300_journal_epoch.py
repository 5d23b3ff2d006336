"""journal epoch: an account reset starts a fresh journal (fills tagged with the epoch)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("journal_epoch", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("journal_epoch", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_column("journal_epoch")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("journal_epoch")

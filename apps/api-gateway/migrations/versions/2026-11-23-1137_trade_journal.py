"""trade journal: materialised trades, journal fields and tags keyed by trade id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:37:15.921681
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trade_journal",
        sa.Column("trade_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("planned_stop", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("setup", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trade_journal_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trade_id", name=op.f("pk_trade_journal")),
    )
    with op.batch_alter_table("trade_journal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trade_journal_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "trade_tags",
        sa.Column("trade_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trade_tags_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trade_id", "tag", name=op.f("pk_trade_tags")),
    )
    with op.batch_alter_table("trade_tags", schema=None) as batch_op:
        batch_op.create_index("ix_trade_tags_account_tag", ["account_id", "tag"], unique=False)

    op.create_table(
        "trades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("open_qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("entry_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_price", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("exit_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_price", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("gross_pnl", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("pnl", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("pnl_pct", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("holding_seconds", sa.Integer(), nullable=True),
        sa.Column("fill_count", sa.Integer(), nullable=False),
        sa.Column("opening_fill_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("mae", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("mfe", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("excursions_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trades_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index("ix_trades_account_entry", ["account_id", "entry_time"], unique=False)
        batch_op.create_index("ix_trades_account_exit", ["account_id", "exit_time"], unique=False)
        batch_op.create_index(
            "ix_trades_account_symbol_status", ["account_id", "symbol", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_account_symbol_status")
        batch_op.drop_index("ix_trades_account_exit")
        batch_op.drop_index("ix_trades_account_entry")

    op.drop_table("trades")
    with op.batch_alter_table("trade_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_trade_tags_account_tag")

    op.drop_table("trade_tags")
    with op.batch_alter_table("trade_journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_journal_account_id"))

    op.drop_table("trade_journal")

"""accounts: reserved_open, the cash held by open orders, kept by a trigger (PostgreSQL)

The order gate read the reservations by summing the account's open orders for every
order, a cost that grew with the open orders. On PostgreSQL a row trigger on ``orders``
now keeps the sum on the account row, in the transaction that changes an order's status
or reservation (placement, fills, cancels, expiry, reset). Every writer of an order
already holds the account's row lock, so the trigger's update takes no new lock order.
On other databases the column stays 0 and the gate sums the orders.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION orders_reserved_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta numeric := 0;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status IN ('new', 'partially_filled') THEN
    delta := delta - OLD.reserved_cash;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN ('new', 'partially_filled') THEN
    delta := delta + NEW.reserved_cash;
  END IF;
  IF delta <> 0 THEN
    UPDATE accounts SET reserved_open = reserved_open + delta
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END;
  END IF;
  RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE TRIGGER orders_reserved_open
  AFTER INSERT OR DELETE OR UPDATE OF status, reserved_cash ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_reserved_open()
"""

BACKFILL = """
UPDATE accounts a SET reserved_open = s.total
  FROM (SELECT account_id, sum(reserved_cash) AS total FROM orders
         WHERE status IN ('new', 'partially_filled') GROUP BY account_id) s
 WHERE s.account_id = a.id
"""


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column(
            "reserved_open",
            sa.Numeric(precision=28, scale=10),
            server_default="0",
            nullable=False,
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)
        op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER orders_reserved_open ON orders")
        op.execute("DROP FUNCTION orders_reserved_open()")
    op.drop_column("accounts", "reserved_open")

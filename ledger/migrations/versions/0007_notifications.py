"""Direct messages people choose with /notify (issue 13).

`notify_prefs` holds each Discord user's choices. `accounts.low_below` keeps the linked
user's `low` threshold on the account row (NULL while `low` is off or nobody is linked),
so that the charge path decides a `low` notice from the row it reads anyway.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
# Matches the ledger's bound on amounts (`ledger.notices.MAX_LOW_THRESHOLD`).
MAX_THRESHOLD = 1_000_000_000_000


def upgrade() -> None:
    op.create_table(
        "notify_prefs",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("on_failed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("on_low", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("low_threshold", BIG, nullable=False),
        sa.Column("on_rollover", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("on_payment", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_us", BIG, nullable=False),
        sa.CheckConstraint(
            f"low_threshold BETWEEN 1 AND {MAX_THRESHOLD}", name="low_threshold_in_range"
        ),
    )
    # A plain ADD COLUMN on both databases: the accounts table is never rebuilt for it.
    op.add_column("accounts", sa.Column("low_below", BIG))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("low_below")
    op.drop_table("notify_prefs")

"""The ledger: accounts, journal, generations, refunds, seen events, link codes.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(128)
# Tokens and instants (microseconds since the epoch, UTC) are 64-bit everywhere.
BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", ID, primary_key=True),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("daily", BIG, nullable=False),
        sa.Column("monthly", BIG, nullable=False),
        sa.Column("rollover", BIG, nullable=False),
        sa.Column("api_credits", BIG, nullable=False),
        sa.Column("anchor_us", BIG),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("pending_plan", sa.String(32)),
        sa.Column("relaxed_used", BIG, nullable=False),
        sa.Column("withheld_renewal", sa.Boolean(), nullable=False),
        sa.Column("withheld_upgrade", BIG, nullable=False),
        sa.Column("processed_us", BIG, nullable=False),
        sa.Column("last_write_us", BIG, nullable=False),
        sa.Column("created_us", BIG, nullable=False),
        sa.Column("discord_user_id", ID, unique=True),
        sa.CheckConstraint("daily >= 0", name="daily_not_negative"),
        sa.CheckConstraint("monthly >= 0", name="monthly_not_negative"),
        sa.CheckConstraint("rollover >= 0", name="rollover_not_negative"),
        sa.CheckConstraint("api_credits >= 0", name="api_credits_not_negative"),
        sa.CheckConstraint("relaxed_used >= 0", name="relaxed_used_not_negative"),
        sa.CheckConstraint("status IN ('active', 'past_due')", name="known_status"),
    )
    op.create_table(
        "journal",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bucket", sa.String(16)),
        sa.Column("amount", BIG, nullable=False),
        sa.Column("balance_after", BIG),
        sa.Column("due_us", BIG, nullable=False),
        sa.Column("recorded_us", BIG, nullable=False),
        sa.Column("reference", sa.String(160)),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("balance_after IS NULL OR balance_after >= 0", name="never_negative"),
    )
    op.create_index("journal_by_account", "journal", ["account_id", "id"])
    op.create_table(
        "generations",
        sa.Column("generation_id", ID, primary_key=True),
        sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("cost", BIG, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("daily", BIG, nullable=False),
        sa.Column("monthly", BIG, nullable=False),
        sa.Column("rollover", BIG, nullable=False),
        sa.Column("api", BIG, nullable=False),
        sa.Column("relaxed", BIG, nullable=False),
        sa.Column("charged_us", BIG, nullable=False),
        sa.Column("finished_us", BIG),
        sa.Column("reason", sa.Text()),
        sa.Column("settings", sa.Text()),
    )
    op.create_index("generations_by_account", "generations", ["account_id", "charged_us"])
    op.create_table(
        "refunds",
        # One refund per generation, whoever asks and however often: the key says so.
        sa.Column(
            "generation_id", ID, sa.ForeignKey("generations.generation_id"), primary_key=True
        ),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("amount", BIG, nullable=False),
        sa.Column("reference", sa.String(160), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("at_us", BIG, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("event_id", ID, primary_key=True),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("recorded_us", BIG, nullable=False),
    )
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("expires_us", BIG, nullable=False),
        sa.Column("used_us", BIG),
    )


def downgrade() -> None:
    for table in ("link_codes", "events", "refunds", "generations", "journal", "accounts"):
        op.drop_table(table)

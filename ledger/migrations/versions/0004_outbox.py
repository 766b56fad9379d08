"""The outbox of things to tell people, and leases for jobs that must run once.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WAITING = sa.text("done_us IS NULL")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(32)),
        sa.Column("ticket_id", BIG),
        # Adding an item whose key exists adds nothing: a job run twice decides once.
        sa.Column("key", sa.String(200), unique=True),
        sa.Column("created_us", BIG, nullable=False),
        sa.Column("due_us", BIG, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until_us", BIG),
        sa.Column("done_us", BIG),
        sa.Column("outcome", sa.String(16)),
    )
    op.create_index(
        "outbox_waiting",
        "outbox",
        ["due_us", "id"],
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until_us", BIG, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("outbox")

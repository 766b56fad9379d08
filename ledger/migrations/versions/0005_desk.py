"""Tickets that live in the triage channel: message ids, conversation, SLA, ratings.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from ledger.tickets import OPEN_STATES, RATINGS, TicketSide

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = sa.text("state IN (" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")")
RATED = f"rating IS NULL OR rating BETWEEN {RATINGS[0]} AND {RATINGS[-1]}"
SIDE = "last_reply_by IS NULL OR last_reply_by IN (" + ", ".join(f"'{s}'" for s in TicketSide) + ")"


def _columns() -> list[sa.Column]:
    return [
        # Where the ticket lives in the triage channel (Discord ids, as text like user ids).
        sa.Column("triage_message_id", sa.String(32)),
        sa.Column("thread_id", sa.String(32)),
        # The conversation: who wrote last (staff or user) and when.
        sa.Column("last_reply_by", sa.String(8), sa.CheckConstraint(SIDE, name="known_side")),
        sa.Column("last_reply_us", BIG),
        # Timed jobs: the SLA reminder, the warning before auto-close (for the current wait).
        sa.Column("reminded_us", BIG),
        sa.Column("warned_us", BIG),
        sa.Column("rating", sa.SmallInteger(), sa.CheckConstraint(RATED, name="known_rating")),
        sa.Column("rated_us", BIG),
        # Opened approved in bulk by an incident: no triage message, thread or rating request.
        sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def upgrade() -> None:
    # Plain ADD COLUMN (with its CHECK inline) on both databases: no table copy, so the
    # tickets' partial indexes stay as 0002 made them.
    for column in _columns():
        op.add_column("tickets", column)
    # The timed jobs look for open tickets by these; the index holds open tickets only.
    op.create_index(
        "open_tickets_by_wait",
        "tickets",
        ["last_reply_by", "last_reply_us"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "ticket_replies",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BIG, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("at_us", BIG, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        # The user has not received it yet (DMs closed): it waits for them in /tickets.
        sa.Column("waiting", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_index("ticket_replies_waiting", "ticket_replies", ["user_id", "waiting", "id"])


def downgrade() -> None:
    op.drop_table("ticket_replies")
    op.drop_index("open_tickets_by_wait", "tickets")
    for column in reversed(_columns()):
        op.drop_column("tickets", column.name)

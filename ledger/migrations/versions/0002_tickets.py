"""Support tickets and their history (used by diagnostics).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from ledger.tickets import OPEN_STATES, TicketState

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The states come from the one enum that names them. A migration that adds a state must
# recreate `known_state` from the enum too, so old and new databases end up alike.
STATES = ", ".join(f"'{state}'" for state in TicketState)
OPEN = sa.text("state IN (" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")")


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(128)),
        sa.Column("generation_id", sa.String(128)),
        sa.Column("tokens", BIG, nullable=False, server_default="0"),
        sa.Column("details", sa.Text()),
        sa.Column("answers", sa.Text()),
        sa.Column("created_us", BIG, nullable=False),
        sa.Column("updated_us", BIG, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("first_response_us", BIG),
        sa.Column("resolved_us", BIG),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("refunded", BIG, nullable=False, server_default="0"),
        sa.Column("notice_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint(f"state IN ({STATES})", name="known_state"),
    )
    # At most one open refund ticket per generation: the database says so, whatever races.
    op.create_index(
        "one_open_ticket_per_generation",
        "tickets",
        ["generation_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index("tickets_by_state", "tickets", ["state", "created_us"])
    op.create_index("tickets_by_user", "tickets", ["user_id", "created_us"])
    op.create_table(
        "ticket_log",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BIG, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("at_us", BIG, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ticket_log_by_ticket", "ticket_log", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_table("ticket_log")
    op.drop_table("tickets")

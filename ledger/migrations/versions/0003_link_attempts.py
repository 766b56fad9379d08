"""Failed `/link` attempts, so the lockout holds across processes and restarts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # One row per failed code (wrong, used or expired); rows older than the window are
    # pruned when the same user fails again.
    op.create_table(
        "link_attempts",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("discord_user_id", sa.String(32), nullable=False),
        sa.Column("at_us", BIG, nullable=False),
    )
    op.create_index("link_attempts_by_user", "link_attempts", ["discord_user_id", "at_us"])


def downgrade() -> None:
    op.drop_table("link_attempts")

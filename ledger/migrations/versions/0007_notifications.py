"""Direct messages people choose with /notify (issue 13).

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the work


def downgrade() -> None:
    pass

"""Incident refunds and alerts (issue 12).

`generations.model` keeps the model a charge named (from its settings), so that an
incident can select and count failures by model. Two partial indexes hold failed
generations only, by the instant their failure was reported: one for every model, one
per model. `incident_alerts` remembers each alert; its key (model, hour) and the check
made under a per-model lock keep alerts to one per model per hour.

Revision ID: 0006
Revises: 0005
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FAILED = sa.text("status = 'failed'")
MAX_MODEL = 128  # `ledger.events.MAX_ID`
CHUNK = 1_000


def upgrade() -> None:
    op.add_column("generations", sa.Column("model", sa.String(MAX_MODEL)))
    _fill_models()
    op.create_index(
        "failed_by_time",
        "generations",
        ["finished_us"],
        sqlite_where=FAILED,
        postgresql_where=FAILED,
    )
    op.create_index(
        "failed_by_model",
        "generations",
        ["model", "finished_us"],
        sqlite_where=FAILED,
        postgresql_where=FAILED,
    )
    op.create_table(
        "incident_alerts",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(MAX_MODEL), nullable=False),
        # The hour (microseconds since the epoch, a multiple of 3,600,000,000) of `at_us`.
        sa.Column("hour_us", BIG, nullable=False),
        # The latest failure the alert counted, and the window it covers.
        sa.Column("at_us", BIG, nullable=False),
        sa.Column("since_us", BIG, nullable=False),
        sa.Column("until_us", BIG, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_us", BIG, nullable=False),
        sa.UniqueConstraint("model", "hour_us", name="one_alert_per_model_hour"),
    )
    op.create_index("incident_alerts_by_model", "incident_alerts", ["model", "at_us"])


def _fill_models() -> None:
    """Read each stored charge's model from its settings, as new charges store it."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT generation_id, settings FROM generations"
            " WHERE settings IS NOT NULL AND settings LIKE '%\"model\"%'"
        )
    ).fetchall()
    update = sa.text("UPDATE generations SET model = :model WHERE generation_id = :gid")
    found = []
    for gid, settings in rows:
        try:
            values = json.loads(settings)
        except ValueError:
            continue
        model = values.get("model") if isinstance(values, dict) else None
        if isinstance(model, str) and model:
            clean = "".join(
                "\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in model
            )
            found.append({"gid": gid, "model": clean[:MAX_MODEL]})
    for start in range(0, len(found), CHUNK):
        conn.execute(update, found[start : start + CHUNK])


def downgrade() -> None:
    op.drop_table("incident_alerts")
    op.drop_index("failed_by_model", "generations")
    op.drop_index("failed_by_time", "generations")
    with op.batch_alter_table("generations") as batch:
        batch.drop_column("model")

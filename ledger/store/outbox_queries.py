"""The SQL for the outbox and for leases, with `:name` parameters (see `queries`)."""

from __future__ import annotations

__all__ = ["OUTBOX_COLUMNS", "OUTBOX_OVERRIDES", "OUTBOX_SQL"]

OUTBOX_COLUMNS = (
    "id",
    "kind",
    "topic",
    "payload",
    "user_id",
    "ticket_id",
    "key",
    "created_us",
    "attempts",
)
_CLAIMABLE = (
    "SELECT id FROM outbox WHERE done_us IS NULL AND due_us <= :now"
    " AND (claimed_until_us IS NULL OR claimed_until_us < :now) ORDER BY due_us, id LIMIT :limit"
)
_CLAIM = (
    "UPDATE outbox SET claimed_by = :holder, claimed_until_us = :until,"
    " attempts = attempts + 1 WHERE id IN ({claimable}) RETURNING " + ", ".join(OUTBOX_COLUMNS)
)

OUTBOX_SQL: dict[str, str] = {
    "outbox_add": "INSERT INTO outbox (kind, topic, payload, user_id, ticket_id, key,"
    " created_us, due_us) VALUES (:kind, :topic, :payload, :user_id, :ticket_id, :key,"
    " :created_us, :due_us) ON CONFLICT (key) DO NOTHING",
    "outbox_claim": _CLAIM.format(claimable=_CLAIMABLE),
    "outbox_finish": "UPDATE outbox SET done_us = :now, outcome = :outcome,"
    " claimed_until_us = NULL WHERE id = :id AND done_us IS NULL",
    "outbox_retry": "UPDATE outbox SET claimed_until_us = NULL, due_us = :due"
    " WHERE id = :id AND done_us IS NULL",
    "outbox_waiting": "SELECT COUNT(*) FROM outbox WHERE done_us IS NULL",
    "outbox_outcome": "SELECT done_us, outcome, attempts FROM outbox WHERE id = :id",
    "lease_take": "INSERT INTO leases (name, holder, until_us) VALUES (:name, :holder, :until)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_us = excluded.until_us"
    " WHERE leases.until_us < :now OR leases.holder = excluded.holder RETURNING holder",
    "lease_release": "UPDATE leases SET until_us = 0 WHERE name = :name AND holder = :holder",
}

OUTBOX_OVERRIDES = {
    # Two processes claiming at once take different rows instead of waiting for each other.
    "outbox_claim": _CLAIM.format(claimable=_CLAIMABLE + " FOR UPDATE SKIP LOCKED"),
}

"""The SQL for the outbox, leases and notification choices, with `:name` parameters.

(See `queries` for how parameters are written.)
"""

from __future__ import annotations

from ledger.store.queries import ACCOUNT_COLUMNS

__all__ = ["CHOICE_COLUMNS", "OUTBOX_COLUMNS", "OUTBOX_OVERRIDES", "OUTBOX_SQL"]

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

CHOICE_COLUMNS = ("on_failed", "on_low", "low_threshold", "on_rollover", "on_payment")
_CHOICES = ", ".join(CHOICE_COLUMNS)

OUTBOX_SQL: dict[str, str] = {
    "outbox_add": "INSERT INTO outbox (kind, topic, payload, user_id, ticket_id, key,"
    " created_us, due_us) VALUES (:kind, :topic, :payload, :user_id, :ticket_id, :key,"
    " :created_us, :due_us) ON CONFLICT (key) DO NOTHING",
    # Nobody to tell (no linked user): kept as delivered to nobody, never claimed.
    "outbox_add_done": "INSERT INTO outbox (kind, topic, payload, user_id, ticket_id, key,"
    " created_us, due_us, done_us, outcome) VALUES (:kind, :topic, :payload, :user_id,"
    " :ticket_id, :key, :created_us, :due_us, :created_us, :outcome)"
    " ON CONFLICT (key) DO NOTHING",
    "outbox_claim": _CLAIM.format(claimable=_CLAIMABLE),
    "outbox_finish": "UPDATE outbox SET done_us = :now, outcome = :outcome,"
    " claimed_until_us = NULL WHERE id = :id AND done_us IS NULL",
    "outbox_retry": "UPDATE outbox SET claimed_until_us = NULL, due_us = :due"
    " WHERE id = :id AND done_us IS NULL",
    "outbox_waiting": "SELECT COUNT(*) FROM outbox WHERE done_us IS NULL",
    "outbox_waiting_kind": "SELECT COUNT(*) FROM outbox WHERE done_us IS NULL AND kind = :kind",
    "outbox_item": "SELECT " + ", ".join(OUTBOX_COLUMNS) + " FROM outbox WHERE id = :id",
    "outbox_outcome": "SELECT done_us, outcome, attempts FROM outbox WHERE id = :id",
    "lease_take": "INSERT INTO leases (name, holder, until_us) VALUES (:name, :holder, :until)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_us = excluded.until_us"
    " WHERE leases.until_us < :now OR leases.holder = excluded.holder RETURNING holder",
    "lease_release": "UPDATE leases SET until_us = 0 WHERE name = :name AND holder = :holder",
    "choices": f"SELECT {_CHOICES} FROM notify_prefs WHERE user_id = :user",
    "choices_save": f"INSERT INTO notify_prefs (user_id, {_CHOICES}, updated_us) VALUES (:user,"
    " :on_failed, :on_low, :low_threshold, :on_rollover, :on_payment, :now)"
    " ON CONFLICT (user_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*CHOICE_COLUMNS, "updated_us")),
    "choices_to_account": "UPDATE accounts SET low_below = :low_below"
    " WHERE discord_user_id = :user",
    # The accounts whose linked user wants `rollover` notices and that have a renewal.
    "rollover_watch": "SELECT " + ", ".join(f"a.{c}" for c in ACCOUNT_COLUMNS) + " FROM"
    " notify_prefs p JOIN accounts a ON a.discord_user_id = p.user_id"
    " WHERE p.on_rollover AND a.anchor_us IS NOT NULL ORDER BY a.account_id",
}

OUTBOX_OVERRIDES = {
    # Two processes claiming at once take different rows instead of waiting for each other.
    "outbox_claim": _CLAIM.format(claimable=_CLAIMABLE + " FOR UPDATE SKIP LOCKED"),
}

"""The SQL for support tickets and their log, with `:name` parameters (see `queries`)."""

from __future__ import annotations

from ledger.tickets import OPEN_STATES, TicketKind, TicketSide

__all__ = ["TICKET_COLUMNS", "TICKET_OVERRIDES", "TICKET_SQL"]

TICKET_COLUMNS = (
    "id",
    "kind",
    "category",
    "state",
    "user_id",
    "account_id",
    "generation_id",
    "tokens",
    "details",
    "answers",
    "created_us",
    "updated_us",
    "claimed_by",
    "first_response_us",
    "resolved_us",
    "decided_by",
    "decision_reason",
    "refunded",
    "notice_pending",
    "triage_message_id",
    "thread_id",
    "last_reply_by",
    "last_reply_us",
    "reminded_us",
    "warned_us",
    "rating",
    "rated_us",
    "quiet",
)
_NEW = (*TICKET_COLUMNS[1:12], "quiet")
"""What a new ticket is stored with; the rest starts empty."""
_CHANGING = (
    "state",
    *TICKET_COLUMNS[11:19],
    "last_reply_by",
    "last_reply_us",
    "reminded_us",
    "warned_us",
)
"""What a ticket's life changes: its state, times, claim, decision, notice, conversation.
The triage ids and the rating have statements of their own, which set them once."""
_REPLY = "id, ticket_id, user_id, at_us, actor, text, waiting"
_OPEN = ", ".join(f"'{state}'" for state in OPEN_STATES)
_SELECT = (
    "SELECT "
    + ", ".join(f"t.{c}" for c in TICKET_COLUMNS)
    + ", g.reason AS failure_reason FROM tickets t"
    " LEFT JOIN generations g ON g.generation_id = t.generation_id"
)
_LOG = "at_us, actor, action, from_state, to_state, note"
_WAITING_ON_USER = f"t.state IN ({_OPEN}) AND t.last_reply_by = '{TicketSide.STAFF}'"
_QUEUE_WHERE = (
    f" WHERE ((CAST(:state AS VARCHAR(16)) IS NULL AND t.state IN ({_OPEN})) OR t.state = :state)"
    " AND (CAST(:category AS VARCHAR(32)) IS NULL OR t.category = :category)"
)
_OVERDUE = (
    f"t.state IN ({_OPEN}) AND t.first_response_us IS NULL AND t.created_us < :overdue_before"
)

TICKET_SQL: dict[str, str] = {
    "ticket_insert": f"INSERT INTO tickets ({', '.join(_NEW)})"
    f" VALUES ({', '.join(':' + c for c in _NEW)}) RETURNING id",
    "ticket": f"{_SELECT} WHERE t.id = :id",
    "ticket_lock": f"{_SELECT} WHERE t.id = :id",
    "ticket_update": "UPDATE tickets SET "
    + ", ".join(f"{c} = :{c}" for c in _CHANGING)
    + " WHERE id = :id",
    "ticket_open_count": f"SELECT COUNT(*) FROM tickets WHERE state IN ({_OPEN})",
    "ticket_open_count_for_user": "SELECT COUNT(*) FROM tickets"
    f" WHERE user_id = :user AND state IN ({_OPEN})",
    "ticket_open_for_generation": "SELECT id FROM tickets"
    f" WHERE generation_id = :gid AND state IN ({_OPEN})",
    "tickets_open_refund_generations": "SELECT generation_id FROM tickets"
    f" WHERE user_id = :user AND kind = '{TicketKind.REFUND}' AND state IN ({_OPEN})",
    "tickets_of_user": f"{_SELECT} WHERE t.user_id = :user"
    " ORDER BY t.created_us DESC, t.id DESC LIMIT :limit OFFSET :offset",
    "tickets_with_notice": f"{_SELECT} WHERE t.user_id = :user AND t.notice_pending = :yes"
    " ORDER BY t.id",
    "tickets_notice_taken": "UPDATE tickets SET notice_pending = :no"
    " WHERE user_id = :user AND notice_pending = :yes",
    # Overdue tickets (no staff response within the SLA) first, then oldest first.
    "tickets_queue": f"{_SELECT}{_QUEUE_WHERE}"
    f" ORDER BY CASE WHEN {_OVERDUE} THEN 0 ELSE 1 END, t.created_us, t.id"
    " LIMIT :limit OFFSET :offset",
    "tickets_queue_count": f"SELECT COUNT(*) FROM tickets t{_QUEUE_WHERE}",
    "tickets_of_user_count": "SELECT COUNT(*) FROM tickets WHERE user_id = :user",
    "tickets_overdue_unreminded": f"{_SELECT} WHERE {_OVERDUE} AND t.reminded_us IS NULL"
    " ORDER BY t.created_us, t.id LIMIT :limit",
    "tickets_to_warn": f"{_SELECT} WHERE {_WAITING_ON_USER} AND t.warned_us IS NULL"
    " AND t.last_reply_us <= :replied_before ORDER BY t.last_reply_us, t.id LIMIT :limit",
    "tickets_to_close": f"{_SELECT} WHERE {_WAITING_ON_USER} AND t.warned_us <= :warned_before"
    " AND t.last_reply_us <= :replied_before ORDER BY t.last_reply_us, t.id LIMIT :limit",
    "ticket_set_message": "UPDATE tickets SET triage_message_id = :message"
    " WHERE id = :id AND triage_message_id IS NULL",
    "ticket_set_thread": "UPDATE tickets SET thread_id = :thread"
    " WHERE id = :id AND thread_id IS NULL",
    "ticket_rate": "UPDATE tickets SET rating = :rating, rated_us = :at"
    " WHERE id = :id AND rating IS NULL",
    "ticket_reply_insert": "INSERT INTO ticket_replies (ticket_id, user_id, at_us, actor, text)"
    " VALUES (:ticket_id, :user_id, :at_us, :actor, :text) RETURNING id",
    "ticket_reply": f"SELECT {_REPLY} FROM ticket_replies WHERE id = :id",
    "ticket_replies_waiting": f"SELECT {_REPLY} FROM ticket_replies"
    " WHERE user_id = :user AND waiting = :yes ORDER BY id",
    "ticket_reply_received": "UPDATE ticket_replies SET waiting = :no"
    " WHERE id = :id AND waiting = :yes",
    "tickets_since": f"{_SELECT} WHERE t.created_us >= :since ORDER BY t.created_us, t.id",
    "ticket_log_insert": f"INSERT INTO ticket_log (ticket_id, {_LOG})"
    " VALUES (:ticket_id, :at_us, :actor, :action, :from_state, :to_state, :note)",
    "ticket_log": f"SELECT ticket_id, {_LOG} FROM ticket_log WHERE ticket_id = :id ORDER BY id",
    "ticket_logs_since": f"SELECT ticket_id, {_LOG} FROM ticket_log WHERE ticket_id IN"
    " (SELECT id FROM tickets WHERE created_us >= :since) ORDER BY id",
}

TICKET_OVERRIDES = {
    # A decision holds the ticket's row until it commits: two moderators, one refund.
    "ticket_lock": TICKET_SQL["ticket_lock"] + " FOR UPDATE OF t",
}

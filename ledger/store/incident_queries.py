"""The SQL of incidents: selecting failures to refund, paying them set by set, alerts.

(See `queries` for how parameters are written and a set of ids is passed (`in_ids`), and
`batch_queries` for how a set of rows is passed on each database.)
"""

from __future__ import annotations

from ledger.store.queries import GENERATION_COLUMNS, in_ids
from ledger.tickets import OPEN_STATES, TicketKind

__all__ = [
    "ALERT_COLUMNS",
    "DECIDED_TICKET_COLUMNS",
    "INCIDENT_POSTGRES",
    "INCIDENT_SQL",
    "REFUND_COLUMNS",
]

REFUND_COLUMNS = ("generation_id", "account_id", "amount", "reference", "actor", "at_us")
DECIDED_TICKET_COLUMNS = (
    "kind",
    "category",
    "state",
    "user_id",
    "account_id",
    "generation_id",
    "tokens",
    "answers",
    "created_us",
    "updated_us",
    "first_response_us",
    "resolved_us",
    "decided_by",
    "decision_reason",
    "refunded",
    "notice_pending",
    "quiet",
)
ALERT_COLUMNS = ("model", "hour_us", "at_us", "since_us", "until_us", "failures", "created_us")

_GEN = ", ".join(f"g.{c}" for c in GENERATION_COLUMNS)
_OPEN = ", ".join(f"'{state}'" for state in OPEN_STATES)
_DEDUCTED = "(g.daily + g.monthly + g.rollover + g.api)"
# Failed after a charge that deducted something, reported in the window, not refunded;
# walked in (reported instant, id) order, a page at a time from the last one seen.
_CANDIDATES = (
    f"SELECT {_GEN}, 0 AS refunded FROM generations g"
    " WHERE g.status = 'failed' AND g.finished_us >= :since AND g.finished_us <= :until"
    " AND g.finished_us >= :after_us AND (g.finished_us > :after_us OR g.generation_id > :after_id)"
    f" AND {_DEDUCTED} > 0"
    " AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.generation_id = g.generation_id)"
)
_PAGE = " ORDER BY g.finished_us, g.generation_id LIMIT :limit"
_ALERT_STATS = (
    f"SELECT COUNT(*), COUNT(DISTINCT g.account_id), COALESCE(SUM(CASE WHEN NOT EXISTS"
    " (SELECT 1 FROM refunds r WHERE r.generation_id = g.generation_id)"
    f" THEN {_DEDUCTED} ELSE 0 END), 0) FROM generations g"
    " WHERE g.status = 'failed' AND g.model = :model"
    " AND g.finished_us >= :since AND g.finished_us <= :until"
)


def _common(dialect: str) -> dict[str, str]:
    return {
        "incident_candidates": _CANDIDATES + _PAGE,
        "incident_candidates_of_model": _CANDIDATES + " AND g.model = :model" + _PAGE,
        "incident_open_tickets": "SELECT id, generation_id FROM tickets"
        f" WHERE kind = '{TicketKind.REFUND}' AND state IN ({_OPEN})"
        f" AND {in_ids('generation_id', dialect)} ORDER BY id",
        "incident_ticket_insert": f"INSERT INTO tickets ({', '.join(DECIDED_TICKET_COLUMNS)})"
        f" VALUES ({', '.join(':' + c for c in DECIDED_TICKET_COLUMNS)}) RETURNING id",
        # The models of the failures a write just applied, with the latest failure of each.
        "incident_failed_models": "SELECT g.model AS model, MAX(g.finished_us) AS at_us"
        " FROM generations g WHERE g.status = 'failed' AND g.model IS NOT NULL"
        f" AND {in_ids('g.generation_id', dialect)}"
        " GROUP BY g.model ORDER BY g.model",
        "incident_alert_near": "SELECT id FROM incident_alerts WHERE model = :model"
        " AND at_us > :after AND at_us < :before",
        "incident_alert_stats": _ALERT_STATS,
        "incident_alert_insert": f"INSERT INTO incident_alerts ({', '.join(ALERT_COLUMNS)})"
        f" VALUES ({', '.join(':' + c for c in ALERT_COLUMNS)})"
        " ON CONFLICT (model, hour_us) DO NOTHING RETURNING id",
        "incident_alert": "SELECT model, since_us, until_us FROM incident_alerts WHERE id = :id",
    }


INCIDENT_SQL: dict[str, str] = {
    **_common("sqlite"),
    # One writer at a time: nothing can have been opened since the first read.
    "incident_open_tickets_late": _common("sqlite")["incident_open_tickets"],
    "incident_refund_insert": "INSERT INTO refunds (" + ", ".join(REFUND_COLUMNS) + ")"
    " VALUES (" + ", ".join("?" * len(REFUND_COLUMNS)) + ")",
}

INCIDENT_POSTGRES: dict[str, str] = {
    **_common("postgresql"),
    # Open refund tickets are locked (in id order) before any account, as a moderator's
    # decision locks its ticket before its account: the two never wait on each other
    # in opposite orders.
    "incident_open_tickets": _common("postgresql")["incident_open_tickets"] + " FOR UPDATE",
    # Read again once the accounts are locked: tickets opened meanwhile, those nobody holds.
    "incident_open_tickets_late": _common("postgresql")["incident_open_tickets"]
    + " FOR UPDATE SKIP LOCKED",
    # One model's alerts are decided one transaction at a time, even from several
    # processes, so that two batches of failures cannot both see no alert and post one.
    "incident_alert_lock": "SELECT pg_advisory_xact_lock(1768842084, hashtext(:model))",
    "incident_refund_insert": "INSERT INTO refunds (" + ", ".join(REFUND_COLUMNS) + ")"
    " SELECT " + ", ".join(REFUND_COLUMNS) + " FROM unnest(:generation_id::varchar[],"
    " :account_id::varchar[], :amount::bigint[], :reference::varchar[], :actor::varchar[],"
    " :at_us::bigint[]) AS u(" + ", ".join(REFUND_COLUMNS) + ")",
}
"""PostgreSQL's forms (`incident_refund_insert` takes one array per column there)."""

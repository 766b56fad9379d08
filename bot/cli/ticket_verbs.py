"""`tokendesk tickets export`: every ticket with its history, as CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.cli.ledger_verbs import configured_ledger, iso
from diagnostics.desk import TicketDesk
from ledger import Ticket, TicketLogEntry, to_us

log = logging.getLogger(__name__)

__all__ = ["register", "spreadsheet_safe", "ticket_record"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may run as a formula at the start of a cell (OWASP, CSV injection)."""

FIELDS = (
    "id",
    "kind",
    "category",
    "state",
    "user_id",
    "account_id",
    "generation_id",
    "tokens",
    "details",
    "created_at",
    "claimed_by",
    "first_response_at",
    "resolved_at",
    "decided_by",
    "decision_reason",
    "refunded",
)


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `tickets export` to the `tokendesk` parser."""
    p = verbs.add_parser("tickets", help="support tickets")
    actions = p.add_subparsers(dest="tickets_verb", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="every ticket with its history")
    export.add_argument(
        "--since", type=_since, help="only tickets opened since (YYYY-MM-DD or ISO instant)"
    )
    export.add_argument("--format", choices=("csv", "json"), default="json")
    export.set_defaults(handler=export_tickets)


def _since(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date like 2026-03-01 or an ISO instant") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_us(moment)


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: text that starts like a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def ticket_record(ticket: Ticket, history: list[TicketLogEntry]) -> dict[str, Any]:
    """A ticket and its history as plain values."""
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "category": ticket.category,
        "state": ticket.state,
        "user_id": ticket.user_id,
        "account_id": ticket.account_id,
        "generation_id": ticket.generation_id,
        "tokens": ticket.tokens,
        "details": ticket.details,
        "created_at": iso(ticket.created_us),
        "claimed_by": ticket.claimed_by,
        "first_response_at": iso(ticket.first_response_us),
        "resolved_at": iso(ticket.resolved_us),
        "decided_by": ticket.decided_by,
        "decision_reason": ticket.decision_reason,
        "refunded": ticket.refunded,
        "answers": [list(pair) for pair in ticket.answers],
        "history": [
            {
                "at": iso(entry.at_us),
                "actor": entry.actor,
                "action": entry.action.value,
                "from": entry.from_state and entry.from_state.value,
                "to": entry.to_state and entry.to_state.value,
                "note": entry.note,
            }
            for entry in history
        ],
    }


async def export_tickets(args: argparse.Namespace) -> int:
    async with configured_ledger() as service:
        exported = await TicketDesk(service).export(args.since)
    records = [ticket_record(t, h) for t, h in exported]
    if args.format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, "answers", "history"])
    writer.writeheader()
    for record in records:
        row = {
            **{k: record[k] for k in FIELDS},
            "answers": json.dumps(record["answers"], ensure_ascii=False),
            "history": json.dumps(record["history"], ensure_ascii=False),
        }
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    print(out.getvalue(), end="")
    return 0

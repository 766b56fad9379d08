"""`tokendesk tickets export`: every ticket with its history, or the figures, as CSV or JSON.

Each ticket carries its rating, its time to first response and to resolution (seconds)
and whether it waited past the SLA. `--summary` prints the figures over the same
tickets instead: ratings (count and average), median and 90th percentile of the time to
first response and to resolution, and overdue counts.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.cli.ledger_verbs import configured_ledger, iso
from bot.settings import load_settings
from diagnostics.desk import TicketDesk
from diagnostics.desk_stats import Stats, stats_of, waited_past
from diagnostics.tickets import TicketPolicy
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
    "rating",
    "first_response_s",
    "resolution_s",
    "overdue",
)
SUMMARY = (
    "tickets",
    "ratings",
    "rating_average",
    "first_response_median_s",
    "first_response_p90_s",
    "resolution_median_s",
    "resolution_p90_s",
    "overdue",
    "overdue_open",
    "refunded_tokens",
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
    export.add_argument(
        "--summary",
        action="store_true",
        help="print the figures (ratings, response and resolution times, overdue) instead",
    )
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


def _seconds(us: int | None) -> float | None:
    return None if us is None else round(us / 1_000_000, 3)


def ticket_record(
    ticket: Ticket, history: list[TicketLogEntry], *, now_us: int = 0, sla_us: int = 0
) -> dict[str, Any]:
    """A ticket and its history as plain values."""
    first = ticket.first_response_us
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
        "rating": ticket.rating,
        "first_response_s": _seconds(None if first is None else first - ticket.created_us),
        "resolution_s": _seconds(
            None if ticket.resolved_us is None else ticket.resolved_us - ticket.created_us
        ),
        "overdue": waited_past(ticket, now_us, sla_us),
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


def summary_record(stats: Stats, tickets: int) -> dict[str, Any]:
    """The figures of the exported tickets as plain values (times in seconds)."""
    return {
        "tickets": tickets,
        "ratings": stats.ratings,
        "rating_average": None if stats.rating_average is None else round(stats.rating_average, 2),
        "first_response_median_s": _seconds(stats.median_first_response_us),
        "first_response_p90_s": _seconds(stats.p90_first_response_us),
        "resolution_median_s": _seconds(stats.median_resolution_us),
        "resolution_p90_s": _seconds(stats.p90_resolution_us),
        "overdue": stats.overdue,
        "overdue_open": stats.overdue_open,
        "refunded_tokens": stats.refunded_tokens,
    }


async def export_tickets(args: argparse.Namespace) -> int:
    policy = TicketPolicy(sla_hours=load_settings().sla_hours)
    async with configured_ledger() as service:
        exported = await TicketDesk(service, policy).export(args.since)
        now = service.now_us()
    if args.summary:
        tickets = [t for t, _ in exported]
        figures = summary_record(stats_of(tickets, 0, now, policy.sla_us), len(tickets))
        if args.format == "json":
            print(json.dumps(figures, indent=2))
        else:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(("figure", "value"))
            writer.writerows((k, "" if figures[k] is None else figures[k]) for k in SUMMARY)
            print(out.getvalue(), end="")
        return 0
    records = [ticket_record(t, h, now_us=now, sla_us=policy.sla_us) for t, h in exported]
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

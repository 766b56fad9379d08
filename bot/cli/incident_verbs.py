"""`tokendesk incident refund`: what `/incident refund` does, as the operator.

The window is checked before the database is opened: a malformed instant, a window
that ends before it starts or an empty model is one line and exit 2, and nothing is
written.
"""

from __future__ import annotations

import argparse
import logging

from bot.cli.errors import CliError
from bot.cli.ledger_verbs import configured_ledger
from bot.cli.visible import visible
from bot.incidents import BadWindow, parse_window, refunded_text
from diagnostics.desk import TicketDesk
from diagnostics.incidents import OPERATOR

log = logging.getLogger(__name__)

__all__ = ["register"]


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `incident refund` to the `tokendesk` parser."""
    p = verbs.add_parser("incident", help="incidents: refund every failure of a window")
    actions = p.add_subparsers(dest="incident_verb", required=True, metavar="ACTION")
    refund = actions.add_parser(
        "refund",
        help="refund every charged failure reported between two instants (both included)",
    )
    refund.add_argument(
        "--since", required=True, help="ISO 8601 with an offset, e.g. 2026-03-10T09:00:00Z"
    )
    refund.add_argument("--until", required=True, help="ISO 8601 with an offset; included")
    refund.add_argument("--model", help="only failures of this model")
    refund.add_argument("--reason", help="why, as the users' decision DMs give it")
    refund.set_defaults(handler=incident_refund)


async def incident_refund(args: argparse.Namespace) -> int:
    try:
        window = parse_window(args.since, args.until, args.model)
    except BadWindow as exc:
        raise CliError(f"incident refund: {exc}") from None
    async with configured_ledger() as service:
        done = await TicketDesk(service).refund_incident(window, OPERATOR, args.reason)
    print(visible(refunded_text(done)))
    if done.tickets:
        numbers = sorted(done.tickets.values())
        print(
            f"tickets #{numbers[0]} to #{numbers[-1]}"
            if len(numbers) > 1
            else f"ticket #{numbers[0]}"
        )
    return 0

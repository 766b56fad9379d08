"""Ticket figures: counts, refunded tokens, response and resolution times, ratings, SLA.

Pure: the tickets, the instant and the SLA are passed in.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ledger import Ticket, TicketCategory, TicketState

log = logging.getLogger(__name__)

__all__ = ["Stats", "percentile", "stats_of", "waited_past"]


@dataclass(frozen=True)
class Stats:
    """Ticket figures over a window of days (tickets opened in it).

    Times are in microseconds, None when no ticket has one yet. `overdue_open` counts
    tickets that wait past the SLA for a first response now; `overdue` those that waited
    past it at all (answered late, or not yet).
    """

    days: int
    by_category: dict[TicketCategory, int]
    by_state: dict[TicketState, int]
    refunded_tokens: int
    median_first_response_us: int | None
    median_resolution_us: int | None
    p90_first_response_us: int | None = None
    p90_resolution_us: int | None = None
    ratings: int = 0
    rating_average: float | None = None
    overdue: int = 0
    overdue_open: int = 0


def percentile(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile (`share` 0.9: the value 90% of them do not exceed)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _median(values: Sequence[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def stats_of(tickets: Sequence[Ticket], days: int, now_us: int, sla_us: int) -> Stats:
    """The figures of `tickets` (those opened in the window), at `now_us`."""
    by_category: dict[TicketCategory, int] = {}
    by_state: dict[TicketState, int] = {}
    for t in tickets:
        by_category[t.category] = by_category.get(t.category, 0) + 1
        by_state[t.state] = by_state.get(t.state, 0) + 1
    first = [t.first_response_us - t.created_us for t in tickets if t.first_response_us]
    done = [t.resolved_us - t.created_us for t in tickets if t.resolved_us]
    rated = [t.rating for t in tickets if t.rating is not None]
    late = [t for t in tickets if waited_past(t, now_us, sla_us)]
    return Stats(
        days=days,
        by_category=by_category,
        by_state=by_state,
        refunded_tokens=sum(t.refunded for t in tickets),
        median_first_response_us=_median(first),
        median_resolution_us=_median(done),
        p90_first_response_us=percentile(first, 0.9),
        p90_resolution_us=percentile(done, 0.9),
        ratings=len(rated),
        rating_average=sum(rated) / len(rated) if rated else None,
        overdue=len(late),
        overdue_open=sum(1 for t in late if t.overdue(now_us, sla_us)),
    )


def waited_past(ticket: Ticket, now_us: int, sla_us: int) -> bool:
    """Whether the ticket waited longer than the SLA for a first staff response (it was
    answered late, or is still waiting)."""
    if ticket.quiet:
        return False  # decided as it opened: it never waited for anyone
    if ticket.first_response_us is not None:
        return ticket.first_response_us - ticket.created_us > sla_us
    return ticket.overdue(now_us, sla_us)

"""Prometheus metrics (SPEC section 7), one registry per process.

Counters move where the work is done: interactions in the bot's interaction gate,
events in the webhook, refunds wherever the ticket desk pays one. Gauges about the
database (`tokendesk_tickets_open`, `tokendesk_notifications_pending`) are read from
an async *source* at scrape time, with a short timeout; a gauge without a source stays
0. `tokendesk_notifications_pending` counts the direct messages in the outbox not yet
delivered (the source is set in `bot.services`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE", "EVENT_OUTCOMES", "Metrics", "Source"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
EVENT_OUTCOMES = ("applied", "late", "refused", "skipped", "rejected")
SOURCE_TIMEOUT_S = 2.0
Source = Callable[[], Awaitable[float]]


class Metrics:
    """Every tokendesk metric, in a registry of its own (so tests can hold several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.interactions = Counter(
            "tokendesk_interactions",
            "Interactions handled, by command (or component) and outcome.",
            ["command", "outcome"],
            registry=r,
        )
        self.interaction_seconds = Histogram(
            "tokendesk_interaction_duration_seconds",
            "Seconds from an interaction's arrival to the end of its handling.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.events = Counter(
            "tokendesk_events", "Platform events by outcome.", ["outcome"], registry=r
        )
        for outcome in EVENT_OUTCOMES:
            self.events.labels(outcome)
        self.refunded_tokens = Counter(
            "tokendesk_refunded_tokens",
            "Tokens (and API credits) returned by refunds this process paid.",
            registry=r,
        )
        self.tickets_open = Gauge(
            "tokendesk_tickets_open", "Tickets open or claimed, read at scrape time.", registry=r
        )
        self.notifications_pending = Gauge(
            "tokendesk_notifications_pending",
            "Direct messages decided but not delivered yet, read at scrape time.",
            registry=r,
        )
        self._sources: list[tuple[Gauge, Source]] = []

    def watch(self, gauge: Gauge, source: Source) -> None:
        """Set `gauge` from `source()` at every scrape."""
        self._sources.append((gauge, source))

    def interaction(self, command: str, outcome: str, seconds: float) -> None:
        """Count one finished interaction."""
        self.interactions.labels(command, outcome).inc()
        self.interaction_seconds.observe(seconds)

    def events_done(self, outcomes: list[str]) -> None:
        """Count events by outcome."""
        for outcome in outcomes:
            self.events.labels(outcome).inc()

    async def render(self) -> bytes:
        """Refresh the gauges from their sources, then the registry in the text format."""
        for gauge, source in self._sources:
            try:
                gauge.set(await asyncio.wait_for(source(), SOURCE_TIMEOUT_S))
            except Exception as exc:  # a scrape must not fail because one gauge did
                name = gauge.describe()[0].name
                log.warning("metrics: %s not refreshed: %s", name, exc or type(exc).__name__)
        return generate_latest(self.registry)

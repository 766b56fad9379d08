"""The composition root: every service the bot uses, built in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.account.chart import ChartDrawer
from bot.metrics import Metrics
from bot.settings import Settings
from diagnostics.canned import CannedReplies, load_replies
from diagnostics.desk import Decided, IncidentRefunds, Opened, TicketDesk
from diagnostics.flow_model import FlowSet
from diagnostics.flows import load_default_flows, load_flows
from diagnostics.tickets import Refused, TicketPolicy
from ledger import (
    Clock,
    LedgerService,
    OutboxKind,
    PricingTable,
    SystemClock,
    load_default_pricing,
    open_ledger,
)

log = logging.getLogger(__name__)

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    """What the cogs are given: nothing is looked up from globals."""

    settings: Settings
    clock: Clock
    ledger: LedgerService
    pricing: PricingTable
    desk: TicketDesk
    flows: FlowSet
    replies: CannedReplies = field(default_factory=load_replies)
    """Canned replies for `/ticket reply` (the operator's file, or the shipped one)."""
    defer_after: float = 1.5
    """Seconds an answer may take before the interaction is deferred (Discord allows 3)."""
    metrics: Metrics = field(default_factory=Metrics)
    charts: ChartDrawer = field(default_factory=ChartDrawer)
    """Draws `/usage` charts off the event loop."""

    async def close(self) -> None:
        """Release the chart worker and the database."""
        self.charts.close()
        await self.ledger.close()


def read_flows(folder: str | None) -> FlowSet:
    """The troubleshooting flows: the operator's folder of `*.toml` files, or the shipped ones.

    Raises:
        FlowError: a flow file is broken; the error names the file and the step.
    """
    if folder:
        return load_flows(sorted(Path(folder).glob("*.toml")))
    return load_default_flows()


def read_replies(path: str | None) -> CannedReplies:
    """The canned replies: the operator's file (`TOKENDESK_REPLIES_FILE`) or the shipped one.

    Raises:
        CannedError: the file is broken; the error names the file, the reply and why.
    """
    return load_replies(Path(path) if path else None)


class CountingDesk(TicketDesk):
    """The ticket desk, counting the tokens its refunds return (`tokendesk_refunded_tokens`).

    Every refund is paid by `act` (an approval), `open_refund` (auto-approval) or
    `refund_incident`.
    """

    def __init__(self, ledger: LedgerService, policy: TicketPolicy, metrics: Metrics) -> None:
        super().__init__(ledger, policy)
        self.metrics = metrics

    async def act(self, *args: Any, **kwargs: Any) -> Decided | Refused:
        result = await super().act(*args, **kwargs)
        if isinstance(result, Decided) and result.refund is not None:
            self.metrics.refunded_tokens.inc(result.refund.total)
        return result

    async def refund_incident(self, *args: Any, **kwargs: Any) -> IncidentRefunds:
        done = await super().refund_incident(*args, **kwargs)
        self.metrics.refunded_tokens.inc(done.total)
        return done

    async def open_refund(self, *args: Any, **kwargs: Any) -> Opened | Refused:
        result = await super().open_refund(*args, **kwargs)
        if isinstance(result, Opened) and result.auto is not None:
            self.metrics.refunded_tokens.inc(result.auto.total)
        return result


async def build_services(
    settings: Settings, clock: Clock | None = None, metrics: Metrics | None = None
) -> Services:
    """Load the flows, upgrade the schema, open the database and build the services.

    Raises:
        FlowError: a troubleshooting flow file is broken (names the file and step).
        CannedError: the canned replies file is broken (names the file and reply).
        DatabaseUnavailable: or a driver error, when the database cannot be reached.
    """
    clock = clock or SystemClock()
    replies = read_replies(settings.replies_file)  # a broken replies file stops start-up
    flows = read_flows(settings.flows_dir)  # and so does a broken flow file
    ledger = await open_ledger(
        settings.database_url,
        clock,
        pool_size=settings.db_pool_size,
        incident_threshold=settings.incident_threshold,
    )
    metrics = metrics or Metrics()
    policy = TicketPolicy(
        refund_max_age_days=settings.refund_max_age_days,
        max_open_per_user=settings.max_open_tickets,
        auto_approve_up_to=settings.auto_approve_up_to,
        sla_hours=settings.sla_hours,
        auto_close_days=settings.auto_close_days,
    )
    desk = CountingDesk(ledger, policy, metrics)
    metrics.watch(metrics.tickets_open, desk.open_count)
    metrics.watch(metrics.notifications_pending, lambda: ledger.deliveries.waiting(OutboxKind.DM))
    return Services(
        settings=settings,
        clock=clock,
        ledger=ledger,
        pricing=load_default_pricing(),
        desk=desk,
        flows=flows,
        replies=replies,
        metrics=metrics,
    )

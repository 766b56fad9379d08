"""The composition root: every service the bot uses, built in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from diagnostics.desk import TicketDesk
from diagnostics.flow_model import FlowSet
from diagnostics.flows import load_default_flows, load_flows
from diagnostics.tickets import TicketPolicy
from ledger.clock import Clock, SystemClock
from ledger.pricing import PricingTable
from ledger.pricing_file import load_default_pricing
from ledger.service import LedgerService
from ledger.store.database import Database, open_database
from ledger.store.migrate import upgrade

log = logging.getLogger(__name__)

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    """What the cogs are given: nothing is looked up from globals."""

    settings: Settings
    clock: Clock
    ledger: LedgerService
    pricing: PricingTable
    db: Database
    desk: TicketDesk
    flows: FlowSet
    defer_after: float = 1.5
    """Seconds an answer may take before the interaction is deferred (Discord allows 3)."""

    async def close(self) -> None:
        """Release the database."""
        await self.db.close()


def read_flows(folder: str | None) -> FlowSet:
    """The troubleshooting flows: the operator's folder of `*.toml` files, or the shipped ones.

    Raises:
        FlowError: a flow file is broken; the error names the file and the step.
    """
    if folder:
        return load_flows(sorted(Path(folder).glob("*.toml")))
    return load_default_flows()


async def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Load the flows, upgrade the schema, open the database and build the services.

    Raises:
        FlowError: a troubleshooting flow file is broken (names the file and step).
        DatabaseUnavailable: or a driver error, when the database cannot be reached.
    """
    clock = clock or SystemClock()
    flows = read_flows(settings.flows_dir)  # a broken flow file stops start-up here
    await upgrade(settings.database_url)
    db = open_database(settings.database_url, pool_size=settings.db_pool_size)
    ledger = LedgerService(db, clock)
    policy = TicketPolicy(
        refund_max_age_days=settings.refund_max_age_days,
        max_open_per_user=settings.max_open_tickets,
        auto_approve_up_to=settings.auto_approve_up_to,
    )
    return Services(
        settings=settings,
        clock=clock,
        ledger=ledger,
        pricing=load_default_pricing(),
        db=db,
        desk=TicketDesk(ledger, policy),
        flows=flows,
    )

"""The ledger: token rules, storage and event ingestion. Knows nothing of Discord.

This module is the ledger's API: `diagnostics` and `bot` import from here and nowhere
deeper (an import-linter contract keeps it so). Everything else in the package is its
own business.

Where things live:
    plans.py, plans.toml      the plan catalogue (allowances, caps, relaxed, prices)
    cycles.py                 UTC calendar arithmetic: midnights, renewals, month clamping
    resets.py                 lazy resets: daily expiry and top-up, renewal, rollover, plan end
    spending.py               charges, relaxed mode, refunds to buckets, adjustments
    subscriptions.py          opening accounts, plan changes, payments
    apply.py                  what one event does to an account (a pure decision)
    events.py                 parsing and validating event lines (SPEC 2 bounds)
    lines.py                  numbered lines from a byte stream, in bounded memory
    ingest.py                 a stream of lines: validate, apply in batches, report
    batch.py                  a batch of events applied in memory (the rules of apply.py)
    balance.py                what a balance read shows, previews of the next resets
    refunds.py                refund eligibility (the one rule) and its results
    why.py, usage.py          why a balance moved (causes); use per day, by model, forecast
    insight.py                the units of work that read what why and usage need
    linking.py                one-time link codes
    tickets.py                ticket states, actions, categories and records
    operations.py             units of work over a transaction, one per operation
    unit_of_work.py           the typed unit of work other packages run in one transaction
    outbox.py, deliveries.py  what to tell people, decided in the transaction; its delivery
    notices.py, notify.py     direct messages people choose: when each is due; choices, jobs
    service.py                LedgerService: one awaitable call, one transaction
    pricing.py, pricing.toml  what a generation costs (for /cost)
    errors.py                 the exception tree
    store/                    every SQL statement and the two database engines
"""

from __future__ import annotations

from ledger.balance import Balance, DailyPreview, RenewalPreview
from ledger.clock import Clock, FixedClock, SystemClock
from ledger.cycles import DAY_US, from_us, next_midnight, to_us
from ledger.deliveries import Deliveries
from ledger.errors import CatalogueError, Conflict, DatabaseUnavailable, LedgerError, PricingError
from ledger.events import MAX_LINE_BYTES, Event, Invalid, parse_event, parse_line
from ledger.incidents import (
    ALERT_SPACING_US,
    ALERT_WINDOW_US,
    DEFAULT_INCIDENT_THRESHOLD,
    INCIDENT_ALERT,
    INCIDENT_BATCH,
    IncidentWindow,
)
from ledger.ingest import (
    IngestReport,
    LineResult,
    ingest_lines,
    ingest_parsed,
    ingest_stream,
    split_lines,
)
from ledger.insight import MAX_USAGE_DAYS, MAX_WHY_HOURS
from ledger.linking import (
    LINK_ATTEMPT_LIMIT,
    LINK_ATTEMPT_WINDOW_US,
    LINK_CODE_TTL_US,
    LinkOutcome,
    LinkResult,
)
from ledger.notices import (
    DEFAULT_LOW_THRESHOLD,
    MAX_LOW_THRESHOLD,
    ROLLOVER_NOTICE_US,
    NoticeTopic,
    NotifyChoices,
)
from ledger.notify import ROLLOVER_JOB
from ledger.operations import AdjustResult, EventResult
from ledger.outbox import OutboxItem, OutboxKind, OutboxOutcome
from ledger.plans import FREE, Catalogue, Plan, load_catalogue
from ledger.pricing import Limits, PricedModel, PricingTable, Quote, QuoteLine, Refusal
from ledger.pricing_file import load_default_pricing, load_pricing
from ledger.refunds import Refunded, RefundProblem, RefundRefusal, refund_problem
from ledger.service import LedgerService
from ledger.state import AccountState, Generation, HistoryRow
from ledger.store.database import open_database
from ledger.store.urls import DEFAULT_URL as DEFAULT_DATABASE_URL
from ledger.store.urls import STATEMENT_TIMEOUT_S
from ledger.store.urls import check_url as check_database_url
from ledger.store.urls import safe_url as safe_database_url
from ledger.store.urls import url_password as database_password
from ledger.store.urls import where as database_place
from ledger.tickets import (
    RATINGS,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketKind,
    TicketLogEntry,
    TicketReply,
    TicketSide,
    TicketState,
)
from ledger.unit_of_work import IncidentBook, OutboxBook, TicketBook, UnitOfWork
from ledger.usage import FORECAST_DAYS, DayUse, Forecast, ModelUse, UsageReport
from ledger.why import Cause, Change, ChangeCause, Charged, WhyReport

__all__ = [
    "ALERT_SPACING_US",
    "ALERT_WINDOW_US",
    "DAY_US",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_INCIDENT_THRESHOLD",
    "DEFAULT_LOW_THRESHOLD",
    "FORECAST_DAYS",
    "FREE",
    "INCIDENT_ALERT",
    "INCIDENT_BATCH",
    "LINK_ATTEMPT_LIMIT",
    "LINK_ATTEMPT_WINDOW_US",
    "LINK_CODE_TTL_US",
    "MAX_LINE_BYTES",
    "MAX_LOW_THRESHOLD",
    "MAX_USAGE_DAYS",
    "MAX_WHY_HOURS",
    "RATINGS",
    "ROLLOVER_JOB",
    "ROLLOVER_NOTICE_US",
    "STATEMENT_TIMEOUT_S",
    "AccountState",
    "AdjustResult",
    "Balance",
    "Catalogue",
    "CatalogueError",
    "Cause",
    "Change",
    "ChangeCause",
    "Charged",
    "Clock",
    "Conflict",
    "DailyPreview",
    "DatabaseUnavailable",
    "DayUse",
    "Deliveries",
    "Event",
    "EventResult",
    "FixedClock",
    "Forecast",
    "Generation",
    "HistoryRow",
    "IncidentBook",
    "IncidentWindow",
    "IngestReport",
    "Invalid",
    "LedgerError",
    "LedgerService",
    "Limits",
    "LineResult",
    "LinkOutcome",
    "LinkResult",
    "ModelUse",
    "NoticeTopic",
    "NotifyChoices",
    "OutboxBook",
    "OutboxItem",
    "OutboxKind",
    "OutboxOutcome",
    "Plan",
    "PricedModel",
    "PricingError",
    "PricingTable",
    "Quote",
    "QuoteLine",
    "RefundProblem",
    "RefundRefusal",
    "Refunded",
    "Refusal",
    "RenewalPreview",
    "SystemClock",
    "Ticket",
    "TicketAction",
    "TicketBook",
    "TicketCategory",
    "TicketKind",
    "TicketLogEntry",
    "TicketReply",
    "TicketSide",
    "TicketState",
    "UnitOfWork",
    "UsageReport",
    "WhyReport",
    "check_database_url",
    "database_password",
    "database_place",
    "from_us",
    "ingest_lines",
    "ingest_parsed",
    "ingest_stream",
    "load_catalogue",
    "load_default_pricing",
    "load_pricing",
    "next_midnight",
    "open_ledger",
    "parse_event",
    "parse_line",
    "refund_problem",
    "safe_database_url",
    "split_lines",
    "to_us",
    "upgrade_schema",
]


async def upgrade_schema(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to the newest schema revision.

    Args:
        url: a SQLite or PostgreSQL URL.

    Returns:
        The revision before (None for an empty database) and after.

    Raises:
        DatabaseUnavailable: the database cannot be reached or the URL is not usable.
    """
    from ledger.store.migrate import upgrade  # Alembic is heavy: load it only to migrate

    return await upgrade(url)


async def open_ledger(
    url: str,
    clock: Clock | None = None,
    *,
    pool_size: int | None = None,
    catalogue: Catalogue | None = None,
    upgrade: bool = True,
    incident_threshold: int = DEFAULT_INCIDENT_THRESHOLD,
) -> LedgerService:
    """The ledger service over the database at `url`, its schema upgraded first.

    Args:
        url: a SQLite or PostgreSQL URL.
        clock: where the present comes from (default: the system's UTC clock).
        pool_size: PostgreSQL connections to keep (default 10); ignored for SQLite.
        catalogue: the plans (default: the shipped `plans.toml`).
        upgrade: whether to upgrade the schema first.
        incident_threshold: failures of one model within 15 minutes that raise an alert.

    Raises:
        DatabaseUnavailable: the database cannot be reached, opened or upgraded.
        CatalogueError: the plan file is broken.
    """
    if upgrade:
        await upgrade_schema(url)
    db = open_database(url, pool_size=pool_size)
    return LedgerService(
        db, clock or SystemClock(), catalogue, incident_threshold=incident_threshold
    )

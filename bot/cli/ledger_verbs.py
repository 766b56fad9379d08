"""Ledger verbs: `ingest`, `balance`, `history`, `link-code`, `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.cli.errors import CliError
from bot.cli.ingest_output import IngestOutput
from bot.cli.visible import visible
from bot.settings import load_settings
from bot.words import BUCKET_NAMES, describe_row, duration, plan_name, tokens
from ledger import (
    LINK_CODE_TTL_US,
    Balance,
    HistoryRow,
    LedgerService,
    from_us,
    ingest_stream,
    open_ledger,
    upgrade_schema,
)

log = logging.getLogger(__name__)

__all__ = ["balance_json", "history_json", "iso", "register"]


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the ledger verbs to the `tokendesk` parser."""
    p = verbs.add_parser("ingest", help="apply platform events from a file (- for stdin)")
    p.add_argument("file", help="a JSON-lines file of events, or - for standard input")
    p.set_defaults(handler=ingest)
    p = verbs.add_parser("balance", help="what /balance shows, for an account or Discord user")
    p.add_argument("account", help="an account_id or a linked Discord user id")
    p.add_argument("--json", action="store_true", help="print JSON (fields as in SPEC)")
    p.set_defaults(handler=balance)
    p = verbs.add_parser("history", help="the latest journal rows of an account")
    p.add_argument("account", help="an account_id or a linked Discord user id")
    p.add_argument("--limit", type=int, default=10, help="how many rows (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON (fields as in SPEC)")
    p.set_defaults(handler=history)
    p = verbs.add_parser("link-code", help="a one-time code the account's owner gives to /link")
    p.add_argument("account", help="the account_id to link")
    p.set_defaults(handler=link_code)
    p = verbs.add_parser("db", help="database maintenance")
    db_verbs = p.add_subparsers(dest="db_verb", required=True, metavar="ACTION")
    db_verbs.add_parser("upgrade", help="bring the schema to the current version").set_defaults(
        handler=db_upgrade
    )


@asynccontextmanager
async def configured_ledger() -> AsyncIterator[LedgerService]:
    """The ledger at the configured database, its schema upgraded first."""
    settings = load_settings()
    service = await open_ledger(
        settings.database_url, incident_threshold=settings.incident_threshold
    )
    try:
        yield service
    finally:
        await service.close()


def iso(us: int | None) -> str | None:
    """An instant as ISO 8601 in UTC with a Z, or None."""
    return None if us is None else from_us(us).isoformat().replace("+00:00", "Z")


async def db_upgrade(args: argparse.Namespace) -> int:
    before, after = await upgrade_schema(load_settings().database_url)
    if before == after:
        print(f"database schema already at revision {after}")
    else:
        print(f"database schema upgraded from {before or 'empty'} to revision {after}")
    return 0


async def ingest(args: argparse.Namespace) -> int:
    if args.file == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = await asyncio.to_thread(open, args.file, "rb")  # closed below
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    output = IngestOutput()
    try:
        async with configured_ledger() as service:
            report = await ingest_stream(service, stream, output.batch)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    output.finish(report)
    return 0 if report.ok else 1


def balance_json(b: Balance) -> dict[str, Any]:
    """The `balance --json` object, exactly the fields SPEC section 3 lists."""
    return {
        "account_id": b.account_id,
        "plan": b.plan,
        "status": b.status,
        "buckets": {"daily": b.daily, "monthly": b.monthly, "rollover": b.rollover},
        "total": b.total,
        "display_total": b.display_total,
        "rollover_cap": b.rollover_cap,
        "relaxed": {
            "eligible": b.relaxed_eligible,
            "active": b.relaxed_active,
            "used_today": b.relaxed_used_today,
        },
        "api_credits": b.api_credits,
        "next_daily_reset": iso(b.next_daily_reset_us),
        "next_renewal": iso(b.next_renewal_us),
    }


def history_json(rows: list[HistoryRow]) -> list[dict[str, Any]]:
    """The `history --json` list, newest first."""
    return [
        {
            "at": iso(r.at_us),
            "kind": r.kind,
            "bucket": r.bucket,
            "amount": r.amount,
            "reference": r.reference,
        }
        for r in rows
    ]


def _unknown(who: str) -> CliError:
    return CliError(f"no account or linked Discord user {who!r}")


async def balance(args: argparse.Namespace) -> int:
    async with configured_ledger() as service:
        b = await service.balance(args.account)
        if b is None:
            raise _unknown(args.account)
        if args.json:
            print(json.dumps(balance_json(b), indent=2))
            return 0
        name = plan_name(b.plan, service.catalogue)
    status = "" if b.status == "active" else "  (payment past due)"
    lines = [f"{visible(b.account_id)}: {name} plan{status}"]
    shown = f"{tokens(b.display_total)}" + (" (relaxed, never owed)" if b.display_total < 0 else "")
    lines.append(f"  tokens      {shown}")
    for bucket in ("daily", "monthly", "rollover"):
        lines.append(f"    {BUCKET_NAMES[bucket]:<14}{tokens(getattr(b, bucket)):>12}")
    if b.rollover_cap:
        lines.append(f"    rollover cap  {tokens(b.rollover_cap):>12}")
    relaxed = "not on this plan"
    if b.relaxed_eligible:
        relaxed = "active" if b.relaxed_active else "available when tokens run out"
    lines.append(f"  relaxed     {relaxed}; used today {tokens(b.relaxed_used_today)}")
    lines.append(f"  API credits {tokens(b.api_credits)} (a separate pool, not tokens)")
    lines.append(f"  next daily reset {iso(b.next_daily_reset_us)}")
    lines.append(f"  next renewal     {iso(b.next_renewal_us) or 'none (free plan)'}")
    print("\n".join(lines))
    return 0


async def history(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    async with configured_ledger() as service:
        rows = await service.history(args.account, args.limit)
    if rows is None:
        raise _unknown(args.account)
    if args.json:
        print(json.dumps(history_json(rows), indent=2))
        return 0
    if not rows:
        print("no journal rows yet")
    for row in rows:
        due = " (due, not yet written)" if row.pending else ""
        print(f"{iso(row.at_us)}  {row.amount:>+10,}  {visible(describe_row(row))}{due}")
    return 0


async def link_code(args: argparse.Namespace) -> int:
    async with configured_ledger() as service:
        code = await service.create_link_code(args.account)
    if code is None:
        raise CliError(f"no account {args.account!r}")
    print(code)
    print(
        f"Valid for {duration(LINK_CODE_TTL_US)}, once. The account's owner types /link code:{code}"
    )
    return 0

"""`why` and `usage`: how a balance moved, and use per day with a forecast (SPEC 3)."""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from bot.cli.errors import CliError
from bot.cli.ledger_verbs import configured_ledger, iso
from bot.cli.visible import visible
from bot.explanations import change_sentence, forecast_sentence, totals_sentence
from bot.words import tokens
from ledger import FREE, MAX_USAGE_DAYS, MAX_WHY_HOURS, UsageReport, WhyReport

log = logging.getLogger(__name__)

__all__ = ["register", "usage_json", "why_json"]


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `why` and `usage` to the `tokendesk` parser."""
    p = verbs.add_parser("why", help="how the balance got from N hours ago to now")
    p.add_argument("account", help="an account_id or a linked Discord user id")
    p.add_argument("--hours", type=int, default=24, help="how far back (default 24)")
    p.add_argument("--json", action="store_true", help="print JSON (fields as in SPEC)")
    p.set_defaults(handler=why)
    p = verbs.add_parser("usage", help="use per day and by model, and the run-out forecast")
    p.add_argument("account", help="an account_id or a linked Discord user id")
    p.add_argument("--days", type=int, default=30, help="how many days (default 30)")
    p.add_argument("--json", action="store_true", help="print JSON (fields as in SPEC)")
    p.set_defaults(handler=usage)


def why_json(report: WhyReport) -> dict[str, Any]:
    """The `why --json` object, exactly the fields SPEC section 3 lists."""
    return {
        "account_id": report.account_id,
        "from": iso(report.from_us),
        "to": iso(report.to_us),
        "total_before": report.total_before,
        "total_after": report.total_after,
        "api_before": report.api_before,
        "api_after": report.api_after,
        "relaxed_tokens": report.relaxed_tokens,
        "causes": [
            {
                "cause": cause.cause.value,
                "pool": cause.pool,
                "amount": cause.amount,
                "count": cause.count,
                "references": list(cause.references),
            }
            for cause in report.causes
        ],
    }


def usage_json(report: UsageReport) -> dict[str, Any]:
    """The `usage --json` object, exactly the fields SPEC section 3 lists."""
    forecast = report.forecast
    return {
        "account_id": report.account_id,
        "days": [
            {
                "date": day.day.isoformat(),
                "tokens": day.tokens,
                "api_credits": day.api_credits,
                "relaxed": day.relaxed,
                "generations": day.generations,
            }
            for day in report.days
        ],
        "by_model": [
            {
                "model": model.model,
                "tokens": model.tokens,
                "api_credits": model.api_credits,
                "generations": model.generations,
            }
            for model in report.by_model
        ],
        "forecast": {
            "pace_per_day": forecast.pace_per_day,
            "runs_out_at": iso(forecast.runs_out_us),
            "before_next_grant": forecast.before_next_grant,
        },
    }


def _iso(us: int) -> str:
    return iso(us) or ""


async def why(args: argparse.Namespace) -> int:
    if not 1 <= args.hours <= MAX_WHY_HOURS:
        raise CliError(f"--hours must be between 1 and {MAX_WHY_HOURS:,}")
    async with configured_ledger() as service:
        report = await service.why(args.account, args.hours)
    if report is None:
        raise CliError(f"no account or linked Discord user {args.account!r}")
    if args.json:
        print(json.dumps(why_json(report), indent=2))
        return 0
    print(totals_sentence(report, _iso))
    if not report.changes:
        print("  nothing changed in that time")
    for change in report.changes:
        due = " (due, not yet written)" if change.pending else ""
        amount = f"{change.amount:+,}" if change.amount else "0"
        print(f"  {amount:>10}  {change_sentence(change, _iso, show=visible)}{due}")
    return 0


async def usage(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_USAGE_DAYS:
        raise CliError(f"--days must be between 1 and {MAX_USAGE_DAYS}")
    async with configured_ledger() as service:
        report = await service.usage(args.account, args.days)
        balance = await service.balance(args.account)
    if report is None or balance is None:
        raise CliError(f"no account or linked Discord user {args.account!r}")
    if args.json:
        print(json.dumps(usage_json(report), indent=2))
        return 0
    print(f"{report.account_id}: use per day, last {args.days} days (UTC)")
    for day in report.days:
        api = f", {tokens(day.api_credits)} API credits" if day.api_credits else ""
        relaxed = f", {tokens(day.relaxed)} relaxed" if day.relaxed else ""
        print(
            f"  {day.day.isoformat()}  {tokens(day.tokens):>10} tokens{api}{relaxed}"
            f"  ({day.generations} generations)"
        )
    if report.by_model:
        print("by model:")
        for model in report.by_model[:10]:
            name = visible(model.model or "(not given)")
            print(f"  {name:<24} {tokens(model.tokens):>10} tokens  {model.generations} gens")
    free = balance.plan == FREE
    print(forecast_sentence(report.forecast, balance.total, _iso, free=free))
    return 0

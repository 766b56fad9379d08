"""A demo ledger: one account per situation people ask about, with a believable history."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger import IngestReport, LedgerService, ingest_lines

log = logging.getLogger(__name__)

__all__ = [
    "DEMO_PEOPLE",
    "DemoPerson",
    "demo_events",
    "demo_situations",
    "load_demo",
    "outage_window",
]

OUTAGE_MODEL = "kino"
OUTAGE_STUDIOS = 5
"""Unlinked studio accounts hit by the demo outage, besides carol."""
OUTAGE_FAILURES = 24


@dataclass(frozen=True)
class DemoPerson:
    """A sandbox user and the account situation they stand for."""

    name: str
    account_id: str | None
    situation: str
    roles: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoPerson("alice", "demo-free", "free plan, all 150 daily tokens spent today"),
    DemoPerson("bob", "demo-artisan", "Artisan, out of tokens and generating in relaxed mode"),
    DemoPerson("carol", "demo-maestro", "Maestro, rollover bank close to its cap"),
    DemoPerson("dave", "demo-apprentice", "Apprentice, payment failed (past due)"),
    DemoPerson("erin", "demo-failed", "Apprentice with a failed generation that was charged"),
    DemoPerson("sam", None, "support team member (not linked)", ("Support",)),
    DemoPerson("mona", None, "moderator (not linked)", ("Support", "Moderator")),
    DemoPerson("newbie", None, "not linked to any account yet"),
)


def demo_events(now: datetime, discord_ids: dict[str, str]) -> list[dict]:
    """Platform events, all in the past of `now`, that build the demo accounts."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    events: list[dict] = []

    def today(fraction: float) -> datetime:
        return midnight + (now - midnight) * fraction

    def add(kind: str, at: datetime, account: str, **fields: object) -> None:
        events.append(
            {
                "id": f"demo-{len(events) + 1}",
                "type": kind,
                "at": at.isoformat(),
                "account_id": account,
                **fields,
            }
        )

    def gen(at: datetime, account: str, gid: str, cost: int, *, ok: bool = True) -> None:
        settings = {"model": "phoenix", "width": 1024, "height": 1024}
        add(
            "generation.charged",
            at,
            account,
            generation_id=gid,
            source="web",
            cost=cost,
            settings=settings,
        )
        finished = at + timedelta(seconds=40)
        if ok:
            add("generation.succeeded", finished, account, generation_id=gid)
        else:
            add(
                "generation.failed",
                finished,
                account,
                generation_id=gid,
                reason="the image service timed out",
            )

    def created(account: str, person: str, plan: str, days_ago: float) -> None:
        add(
            "account.created",
            now - timedelta(days=days_ago),
            account,
            plan=plan,
            discord_user_id=discord_ids[person],
        )

    created("demo-free", "alice", "free", 12)
    gen(today(0.2), "demo-free", "gen-a1", 90)
    gen(today(0.5), "demo-free", "gen-a2", 60)

    created("demo-artisan", "bob", "artisan", 20)
    gen(now - timedelta(days=9), "demo-artisan", "gen-b1", 24_000)
    gen(today(0.3), "demo-artisan", "gen-b2", 1_200)
    gen(today(0.6), "demo-artisan", "gen-b3", 80)

    created("demo-maestro", "carol", "maestro", 100)
    gen(now - timedelta(days=99), "demo-maestro", "gen-c1", 5_000)
    gen(now - timedelta(days=2), "demo-maestro", "gen-c2", 1_500)

    created("demo-apprentice", "dave", "apprentice", 40)
    gen(now - timedelta(days=35), "demo-apprentice", "gen-d1", 8_000)
    add("payment.failed", now - timedelta(days=14), "demo-apprentice")

    created("demo-failed", "erin", "apprentice", 5)
    gen(now - timedelta(days=2), "demo-failed", "gen-e1", 30)
    gen(now - timedelta(days=1), "demo-failed", "gen-e7", 120, ok=False)
    add("api_credits.added", now - timedelta(days=4), "demo-failed", amount=500)
    add(
        "generation.charged",
        now - timedelta(hours=5),
        "demo-failed",
        generation_id="api-e1",
        source="api",
        cost=40,
    )
    # An outage: model kino failed for carol and five busy studios, 24 times in 12 minutes
    # (an incident alert in the triage channel; `/incident refund` for moderators).
    start, _ = outage_window(now)
    for n in range(OUTAGE_STUDIOS):
        add("account.created", now - timedelta(days=30), f"demo-studio-{n + 1}", plan="maestro")
    for n in range(OUTAGE_FAILURES):
        account = "demo-maestro" if n % 6 == 0 else f"demo-studio-{n % 6}"
        at = start + timedelta(minutes=5, seconds=30 * n)
        gid = f"gen-kino-{n + 1}"
        settings = {"model": OUTAGE_MODEL, "width": 1024, "height": 1024}
        add(
            "generation.charged",
            at - timedelta(seconds=20),
            account,
            generation_id=gid,
            source="web",
            cost=200 + 10 * (n % 3),
            settings=settings,
        )
        add("generation.failed", at, account, generation_id=gid, reason="kino workers down")
    return events


def outage_window(now: datetime) -> tuple[datetime, datetime]:
    """The hour of the demo outage: three hours before `now`, on the hour (UTC)."""
    start = (now - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(hours=1)


def demo_situations(now: datetime) -> dict[str, str]:
    """Each demo user's situation in words; the moderator's says how to try an incident."""
    start, end = outage_window(now)

    def stamp(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")

    hint = (
        f"; {OUTAGE_MODEL} failed {OUTAGE_FAILURES} times between {start:%H:%M} and"
        f" {end:%H:%M} UTC: see `channel triage`, or /incident refund"
        f" since:{stamp(start)} until:{stamp(end)}"
    )
    return {p.name: p.situation + (hint if p.name == "mona" else "") for p in DEMO_PEOPLE}


async def load_demo(ledger: LedgerService, discord_ids: dict[str, str]) -> IngestReport:
    """Ingest the demo events into `ledger` (as the platform would send them)."""
    events = demo_events(ledger.clock.now(), discord_ids)
    lines = [(n, json.dumps(e).encode()) for n, e in enumerate(events, start=1)]
    report = await ingest_lines(ledger, lines)
    if not report.ok:
        raise RuntimeError(f"demo events rejected: {report.rejected}")
    return report

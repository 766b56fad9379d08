""" "How did we do?": one DM per ended ticket, one rating kept, figures in stats and export."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from tests.audit import query
from tests.bot.desk import delivered, eventually, fields
from tests.bot.processes import ROOT, clean_env
from tests.bot.test_tickets import _erin


async def _rating_dm(desk, erin):
    found = await eventually(
        lambda: [m for m in desk.emu.dms_to(erin) if m.embeds[0]["title"] == "How did we do?"]
    )
    assert len(found) == 1
    return found[0]


async def test_a_decided_ticket_asks_once_and_keeps_the_first_rating(desk):
    await _erin(desk)
    await desk.start()
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    desk.clock.advance(minutes=90)
    await desk.emu.slash(mona, "ticket approve", id=1)
    dm = await _rating_dm(desk, erin)
    assert [c["label"] for c in dm.components[0]["components"]] == ["1", "2", "3", "4", "5"]
    assert "#1 is approved" in dm.embeds[0]["description"]

    four, two = await asyncio.gather(
        desk.emu.click(dm, "tdr:rate:1:4", user=erin),
        desk.emu.click(dm, "tdr:rate:1:2", user=erin),
    )  # a double click: both presses reach the bot
    answers = sorted(r.embeds[0]["title"] for r in (four, two))
    assert answers == ["Already rated", "Thank you"]
    ticket = await desk.services.desk.get(1)
    kept = 4 if four.embeds[0]["title"] == "Thank you" else 2
    assert ticket.rating == kept
    assert desk.emu.dms_to(erin)[-1].components == []  # the buttons are gone

    again = await desk.emu.forge(erin.user, "tdr:rate:1:1", on=dm)  # a replayed press
    assert again.embeds[0]["title"] == "This no longer works"  # no such button any more
    assert (await desk.services.desk.get(1)).rating == kept
    log = [e.action for e in await desk.services.desk.log(1)]
    assert log.count("rate") == 1
    assert await delivered(desk.services)
    rows = await query(
        desk.services.ledger.db.url, "SELECT COUNT(*) FROM outbox WHERE topic = ?", "rating"
    )
    assert rows == [(1,)]

    sam = desk.person("sam", "Support")
    shown = fields((await desk.emu.slash(sam, "ticket stats")).embeds[0])
    assert shown["Ratings"] == f"1 rating, average {kept:.1f} out of 5"
    assert shown["Median resolution"] == shown["90th percentile resolution"] == "1 h 30 min"


async def test_someone_else_cannot_rate_a_users_ticket(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.emu.slash(sam, "ticket close", id=1)
    dm = await _rating_dm(desk, erin)
    pressed = await desk.emu.forge(desk.person("bob").user, "tdr:rate:1:1", on=dm)
    assert pressed.embeds[0]["title"] == "Not yours"
    assert (await desk.services.desk.get(1)).rating is None


def test_the_export_shows_ratings_times_and_overdue_figures(tmp_path):
    """`tokendesk tickets export --summary` and each ticket's own figures."""
    from datetime import UTC, datetime

    from diagnostics.desk import TicketDesk
    from ledger.clock import FixedClock
    from ledger.events import parse_event
    from ledger.service import LedgerService
    from ledger.store.database import open_database
    from ledger.store.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    async def prepare() -> None:
        await upgrade(url)
        clock = FixedClock(start)
        ledger = LedgerService(open_database(url), clock)
        events = [
            ("account.created", {"plan": "free", "discord_user_id": "7"}),
            ("generation.charged", {"generation_id": "g1", "source": "web", "cost": 9}),
            ("generation.failed", {"generation_id": "g1"}),
            ("generation.charged", {"generation_id": "g2", "source": "web", "cost": 9}),
            ("generation.failed", {"generation_id": "g2"}),
        ]
        for n, (kind, extra) in enumerate(events):
            at = start.isoformat()
            body = {"id": f"e{n}", "type": kind, "account_id": "a", "at": at, **extra}
            await ledger.apply(parse_event(body, ledger.catalogue))
        desk = TicketDesk(ledger)
        await desk.open_refund("7", "g1")
        await desk.open_refund("7", "g2")
        clock.advance(hours=2)
        await desk.act(1, "deny", "discord:9", "delivered")  # answered in 2 h
        await desk.rate(1, "7", 5)
        clock.advance(hours=30)
        await desk.act(2, "approve", "discord:9")  # answered in 32 h: past the SLA
        await desk.rate(2, "7", 2)
        await ledger.db.close()

    asyncio.run(prepare())
    env = {**clean_env(), "TOKENDESK_DATABASE_URL": url}

    def export(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "tickets", "export", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    figures = json.loads(export("--summary"))
    assert figures["tickets"] == 2 and figures["ratings"] == 2
    assert figures["rating_average"] == 3.5
    assert figures["first_response_median_s"] == 17 * 3600.0  # (2 h + 32 h) / 2
    assert figures["first_response_p90_s"] == 32 * 3600.0
    assert figures["resolution_p90_s"] == 32 * 3600.0
    assert (figures["overdue"], figures["overdue_open"]) == (1, 0)

    tickets = json.loads(export())
    assert [(t["rating"], t["first_response_s"], t["overdue"]) for t in tickets] == [
        (5, 7200.0, False),
        (2, 115200.0, True),
    ]
    rows = dict(
        line.split(",", 1) for line in export("--summary", "--format", "csv").splitlines()[1:]
    )
    assert rows["ratings"] == "2" and rows["rating_average"] == "3.5" and rows["overdue"] == "1"

"""SPEC 4: /link refuses after too many failed codes, says when to try again, and the
count survives a restart because it lives in the database."""

from __future__ import annotations

from datetime import timedelta

from bot.app import TokendeskBot
from bot.services import build_services
from ledger.linking import LINK_ATTEMPT_LIMIT, LINK_ATTEMPT_WINDOW_US
from tests.bot.desk import ledger_rows

WINDOW = timedelta(microseconds=LINK_ATTEMPT_WINDOW_US)


async def _restart(desk) -> None:
    """A new bot with new services (connections, caches) on the same database file."""
    await desk.stop()
    old = desk.services
    desk.services = await build_services(old.settings, desk.clock)
    await old.close()
    desk.bot = TokendeskBot(desk.services, guild_ready_timeout=0.05)
    await desk.emu.start_client(desk.bot)


async def test_failed_codes_lock_link_until_the_oldest_leaves_the_window_across_a_restart(desk):
    await desk.send("account.created", "2026-03-01T09:00:00Z", "acc-new", plan="maestro")
    start = desk.clock.now()
    desk.clock.set(start - WINDOW - timedelta(minutes=5))
    expired = await desk.services.ledger.create_link_code("acc-new")
    desk.clock.set(start)
    used = await desk.services.ledger.create_link_code("acc-new")
    await desk.start()
    await desk.emu.slash(desk.person("owner"), "link", code=used)
    guesser = desk.person("guesser")

    tries = [used, expired, "WRONG001", "WRONG002", "WRONG003", "WRONG004"]
    titles = []
    for code in tries[:LINK_ATTEMPT_LIMIT]:
        titles.append((await desk.emu.slash(guesser, "link", code=code)).embeds[0]["title"])
        desk.clock.advance(minutes=1)
    assert titles[:2] == ["That code was already used", "That code has expired"]
    assert set(titles[2:]) == {"That code does not exist"}

    fresh = await desk.services.ledger.create_link_code("acc-new")
    before = await ledger_rows(desk.services)
    locked = await desk.emu.slash(guesser, "link", code=fresh)
    retry = int((start + WINDOW).timestamp())  # when the first failure leaves the window
    embed = locked.embeds[0]
    assert locked.ephemeral and embed["title"] == "Too many codes that did not work"
    assert f"<t:{retry}:R>" in embed["description"]
    window_minutes = LINK_ATTEMPT_WINDOW_US // 60_000_000
    assert (
        f"{LINK_ATTEMPT_LIMIT} codes in the last {window_minutes} minutes" in embed["description"]
    )
    assert await ledger_rows(desk.services) == before  # the good code is still unused

    await _restart(desk)
    desk.clock.set(start + WINDOW - timedelta(seconds=1))
    still = await desk.emu.slash(guesser, "link", code=fresh)
    assert still.embeds[0]["title"] == "Too many codes that did not work"
    assert f"<t:{retry}:R>" in still.embeds[0]["description"]

    desk.clock.set(start + WINDOW)
    linked = await desk.emu.slash(guesser, "link", code=fresh)
    assert linked.embeds[0]["title"] == "Linked"
    assert (await desk.services.ledger.account(desk.uid("guesser"), by_user=True)) is not None

"""User slash commands end to end: real discord.py over real sockets, real ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.emulator import CommandNotAvailable
from tests.bot.desk import fields

STAMP_ABSOLUTE = re.compile(r"<t:\d+:f>")
STAMP_RELATIVE = re.compile(r"<t:\d+:R>")


async def _free_and_artisan(desk) -> None:
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-alice",
        plan="free",
        discord_user_id=desk.uid("alice"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T08:00:00Z",
        "acc-alice",
        generation_id="g-1",
        source="web",
        cost=113,
    )
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-bob",
        plan="artisan",
        discord_user_id=desk.uid("bob"),
    )
    await desk.send("api_credits.added", "2026-03-02T09:00:00Z", "acc-bob", amount=750)
    await desk.send(
        "generation.charged",
        "2026-03-10T09:00:00Z",
        "acc-bob",
        generation_id="g-2",
        source="web",
        cost=25_040,
    )
    desk.clock.set(desk.clock.now().replace(hour=12))


async def test_balance_shows_the_ledger_numbers_ephemerally(desk):
    await _free_and_artisan(desk)
    await desk.start()
    reply = await desk.emu.slash(desk.person("alice"), "balance")
    assert reply.ephemeral and reply.acknowledgements == 1
    embed = reply.embeds[0]
    shown = fields(embed)
    ledger = await desk.services.ledger.balance("acc-alice")
    assert (shown["Daily"], shown["Monthly"]) == (str(ledger.daily), "0")
    assert "**37** tokens" in embed["description"]
    assert shown["Plan"] == "Free"


async def test_relaxed_user_sees_the_negative_display_and_that_it_is_never_owed(desk):
    await _free_and_artisan(desk)
    await desk.start()
    reply = await desk.emu.slash(desk.person("bob"), "balance")
    embed = reply.embeds[0]
    assert "**-40** tokens (relaxed mode)" in embed["description"]
    assert "never owed" in embed["description"]
    api = fields(embed)["API credits (separate pool)"]
    assert api.startswith("750 credits") and "not tokens" in api
    relaxed = await desk.emu.slash(desk.person("bob"), "relaxed")
    assert "Active" in relaxed.embeds[0]["description"]
    assert fields(relaxed.embeds[0])["Relaxed usage today"] == "40 tokens"


async def test_reset_shows_both_times_as_discord_timestamps_and_what_they_do(desk):
    await _free_and_artisan(desk)
    await desk.start()
    reply = await desk.emu.slash(desk.person("alice"), "reset")
    daily = fields(reply.embeds[0])["Daily reset"]
    assert STAMP_ABSOLUTE.search(daily) and STAMP_RELATIVE.search(daily)
    assert "<t:1773187200:f>" in daily  # 2026-03-11T00:00:00Z
    assert "37 daily tokens expire; you get 150" in daily
    bob = fields((await desk.emu.slash(desk.person("bob"), "reset")).embeds[0])
    assert "<t:1775034000:f>" in bob["Renewal"]  # 2026-04-01T09:00:00Z
    assert "You get 25,000 new monthly tokens" in bob["Renewal"]


async def _carl(desk) -> None:
    """carl (apprentice since Jan 5) left 4,100 monthly tokens unspent in his first cycle."""
    await desk.send(
        "account.created",
        "2026-01-05T10:00:00Z",
        "acc-carl",
        plan="apprentice",
        discord_user_id=desk.uid("carl"),
    )
    await desk.send(
        "generation.charged",
        "2026-01-20T10:00:00Z",
        "acc-carl",
        generation_id="gen-big",
        source="web",
        cost=4_400,
    )


async def test_history_explains_each_row_in_plain_words(desk):
    await _carl(desk)
    await desk.send(
        "account.created",
        "2026-03-09T10:00:00Z",
        "acc-dee",
        plan="free",
        discord_user_id=desk.uid("dee"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-09T11:00:00Z",
        "acc-dee",
        generation_id="g-12",
        source="web",
        cost=113,
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T08:00:00Z",
        "acc-dee",
        generation_id="g-13",
        source="web",
        cost=12,
    )
    await desk.start()
    dee = (await desk.emu.slash(desk.person("dee"), "history")).embeds[0]["description"]
    assert "charged 12 daily tokens for generation g-13" in dee
    assert "daily reset: 37 expired, 150 granted" in dee
    carl = await desk.emu.slash(desk.person("carl"), "history", limit=3)
    text = carl.embeds[0]["description"]
    assert "rolled over 4,100 unspent monthly tokens" in text
    assert len(text.splitlines()) == 3
    assert STAMP_RELATIVE.search(text)


async def test_rollover_shows_the_bank_its_cap_and_the_next_roll(desk):
    await _carl(desk)
    desk.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))
    await desk.start()
    embed = (await desk.emu.slash(desk.person("carl"), "rollover")).embeds[0]
    shown = fields(embed)
    assert (shown["In the bank"], shown["Cap"]) == ("12,600", "25,500 (3x monthly)")
    assert "8,500 unspent monthly tokens roll over" in shown["At renewal"]


async def test_an_unlinked_user_is_told_how_to_link_and_can_link(desk):
    await desk.send("account.created", "2026-03-01T09:00:00Z", "acc-new", plan="maestro")
    await desk.start()
    newbie = desk.person("newbie")
    reply = await desk.emu.slash(newbie, "balance")
    assert reply.embeds[0]["title"] == "Link your account first"
    assert "/link" in reply.embeds[0]["description"]
    code = await desk.services.ledger.create_link_code("acc-new")
    linked = await desk.emu.slash(newbie, "link", code=code.lower())
    assert linked.embeds[0]["title"] == "Linked"
    again = await desk.emu.slash(newbie, "link", code=code)
    assert again.embeds[0]["title"] == "That code was already used"
    wrong = await desk.emu.slash(newbie, "link", code="NOPE1234")
    assert wrong.embeds[0]["title"] == "That code does not exist"
    balance = await desk.emu.slash(newbie, "balance")
    assert fields(balance.embeds[0])["Monthly"] == "60,000"


async def test_a_link_code_expires_after_15_minutes(desk):
    await desk.send("account.created", "2026-03-01T09:00:00Z", "acc-new", plan="free")
    await desk.start()
    code = await desk.services.ledger.create_link_code("acc-new")
    desk.clock.advance(minutes=15, seconds=1)
    reply = await desk.emu.slash(desk.person("late"), "link", code=code)
    assert reply.embeds[0]["title"] == "That code has expired"


async def test_history_limit_outside_1_to_25_is_refused_by_discord_itself(desk):
    await desk.start()
    with pytest.raises(Exception, match="limit"):
        await desk.emu.slash(desk.person("x"), "history", limit=26)


async def test_a_slow_answer_is_deferred_then_sent_once(desk):
    desk.services.defer_after = 0
    await _free_and_artisan(desk)
    await desk.start()
    reply = await desk.emu.slash(desk.person("alice"), "balance")
    assert reply.acknowledgements == 1
    assert reply.ephemeral and "37" in reply.embeds[0]["description"]


async def test_an_unexpected_failure_gives_an_incident_id_not_a_failed_interaction(desk, caplog):
    await desk.start()
    await desk.services.ledger.close()
    reply = await desk.emu.slash(desk.person("alice"), "balance")
    text = reply.embeds[0]["description"]
    incident = re.search(r"Incident `([0-9A-F]{8})`", text)
    assert incident and reply.ephemeral
    assert any(incident.group(1) in record.getMessage() for record in caplog.records)


async def test_commands_nobody_synced_do_not_exist(desk):
    await desk.start()
    with pytest.raises(CommandNotAvailable):
        await desk.emu.slash(desk.person("alice"), "teleport")

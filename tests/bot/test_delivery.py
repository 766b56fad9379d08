"""The outbox delivered through the emulator: once, even after a process died mid-delivery."""

from __future__ import annotations

import asyncio

import discord

from bot.delivery import send_once
from bot.tickets.embeds import decision_notice
from tests.audit import query
from tests.bot.desk import delivered
from tests.bot.test_tickets import _erin, posted, triage


async def _outbox(desk, topic: str = "decision") -> list[tuple]:
    """The outbox items of one topic (erin's failed generation is also a `failed` notice)."""
    return await query(
        desk.services.ledger.db.url,
        "SELECT topic, user_id, outcome, attempts FROM outbox WHERE topic = ?",
        topic,
    )


def _decisions(desk, person) -> list:
    return [m for m in desk.emu.dms_to(person) if m.embeds[0]["title"].startswith("Refund")]


async def test_a_decision_is_told_once_though_the_process_that_sent_it_died(desk):
    await _erin(desk)
    await desk.start()
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    deliverer = desk.bot.deliverer
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    assert await delivered(desk.services)  # the triage message and its thread's first line
    await deliverer.stop()  # this process delivers nothing until the "dead" one is gone
    await desk.emu.click(message, "tdk:approve:1", user=mona)

    # Another process claimed the DM (the oldest item), sent it, and died before writing
    # that it had.
    deliveries = desk.services.ledger.deliveries
    (item,) = [
        i for i in await deliveries.claim("dead-process", lease_s=0.2) if i.topic == "decision"
    ]
    ticket = await desk.services.desk.get(1)
    channel = await desk.bot.create_dm(discord.Object(id=int(ticket.user_id)))
    await send_once(channel, item, embed=decision_notice(ticket))
    assert len(_decisions(desk, erin)) == 1

    desk.clock.advance(seconds=1)  # its lease runs out: this process takes the item over
    deliverer.start()
    for _ in range(100):
        rows = await _outbox(desk)
        if rows and rows[0][2] is not None:
            break
        await asyncio.sleep(0.05)
    assert rows == [("decision", desk.uid("erin"), "sent", 2)]
    dms = _decisions(desk, erin)
    assert len(dms) == 1 and dms[0].embeds[0]["title"] == "Refund approved: ticket #1"


async def test_a_closed_dm_is_recorded_as_unreachable_and_waits_in_tickets(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    erin.user.dms_open = False
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    mona = desk.person("mona", "Moderator")
    await desk.emu.click((await posted(desk))[-1], "tdk:approve:1", user=mona)
    for _ in range(100):
        rows = await _outbox(desk)
        if rows and rows[0][2] is not None:
            break
        await asyncio.sleep(0.05)
    assert rows == [("decision", desk.uid("erin"), "unreachable", 1)]  # not retried forever
    mine = await desk.emu.slash(erin, "tickets")
    assert "#1 was **approved**" in mine.embeds[0]["fields"][0]["value"]


async def test_the_emulator_returns_the_first_message_for_a_repeated_nonce(desk):
    await desk.start()
    erin = desk.person("erin")
    channel = await desk.bot.create_dm(discord.Object(id=erin.id))
    first = await channel.send("hello", nonce="tdk42")
    again = await channel.send("hello again", nonce="tdk42")
    other = await channel.send("hello", nonce="tdk43")
    assert again.id == first.id and other.id != first.id
    assert [m.content for m in desk.emu.dms_to(erin)] == ["hello", "hello"]


async def test_delivering_gives_way_to_interactions_in_flight(desk):
    """A ticket's triage message waits while an interaction is being handled, then goes."""
    await _erin(desk)
    await desk.start()
    assert await delivered(desk.services)
    desk.bot.deliverer.patience_s = 60.0  # here: wait for the interaction, however long
    url = desk.services.ledger.db.url
    with desk.bot.gate.handling():  # an interaction in flight
        await desk.services.desk.open_refund(desk.uid("erin"), "g-fail")
        desk.bot.deliverer.poke()
        sql = "SELECT attempts FROM outbox WHERE kind = 'triage'"
        for _ in range(500):  # until the deliverer has the item in hand
            if (await query(url, sql))[0][0]:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert triage(desk) == []  # in hand, not sent: the interaction comes first
    assert len(await posted(desk)) == 1  # sent once nothing is in flight


async def test_delivering_waits_for_a_quiet_moment_not_just_a_gap_between_interactions(desk):
    """An interaction that has just ended still holds deliveries back until things calm down."""
    await _erin(desk)
    await desk.start()
    assert await delivered(desk.services)
    desk.bot.deliverer.patience_s = 60.0
    desk.bot.gate.calm_s = 1.0  # here: a second without interactions makes a quiet moment
    url = desk.services.ledger.db.url
    with desk.bot.gate.handling():
        await desk.services.desk.open_refund(desk.uid("erin"), "g-fail")
        desk.bot.deliverer.poke()
        sql = "SELECT attempts FROM outbox WHERE kind = 'triage'"
        for _ in range(500):  # until the deliverer has the item in hand
            if (await query(url, sql))[0][0]:
                break
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # nothing in flight now, but an interaction just ended
    assert triage(desk) == []
    assert len(await posted(desk)) == 1  # sent once the second has passed

"""The triage channel stays live: each ticket's message shows it as it is, whoever changed it,
and its thread has a line for every action and message."""

from __future__ import annotations

import asyncio

from diagnostics.desk import SYSTEM
from diagnostics.opening import open_refund_in
from tests.audit import query
from tests.bot.desk import delivered, eventually, fields
from tests.bot.test_tickets import _erin, posted, triage


def buttons(message) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def shown(desk, probe, within: float = 5.0):
    """The (only) triage message once `probe(message)` holds for it."""

    def check():
        found = triage(desk)
        return found[-1] if found and probe(found[-1]) else None

    return await eventually(check, within)


def lines(desk, message) -> list[str]:
    return [m.content for m in desk.emu.thread_messages(message)]


async def test_the_triage_message_follows_the_ticket_and_its_thread_tells_each_step(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    mona = desk.person("mona", "Moderator")
    await desk.emu.slash(erin, "refund", generation_id="g-fail", details="timed out")
    message = (await posted(desk))[-1]
    embed = message.embeds[0]
    assert fields(embed)["State"] == "open, waiting for the support team"
    opened_at = desk.clock.now().timestamp()
    assert f"since <t:{int(opened_at)}:R>" in fields(embed)["Waiting"]
    assert buttons(message) == ["Claim", "Approve", "Deny", "Close"]

    desk.clock.advance(minutes=5)
    await desk.emu.click(message, "tdk:claim:1", user=sam)
    claimed = await shown(desk, lambda m: "Claimed by" in fields(m.embeds[0]))
    assert fields(claimed.embeds[0])["Claimed by"] == f"<@{sam.id}>"  # a mention, not an id
    assert fields(claimed.embeds[0])["State"] == "being looked at"
    assert buttons(claimed) == ["Approve", "Deny", "Close"]  # claimed: no Claim any more

    await desk.emu.slash(mona, "ticket approve", id=1)  # a command, not the button
    approved = await shown(desk, lambda m: not m.components)
    assert fields(approved.embeds[0])["State"] == "approved"
    assert fields(approved.embeds[0])["Refunded"] == "120 tokens"
    assert len(triage(desk)) == 1  # one message per ticket, edited in place

    assert await delivered(desk.services)
    thread = desk.emu.thread_of(approved)
    assert thread is not None and thread.name == "Ticket #1: refund"
    said = lines(desk, approved)
    assert len(said) == 3
    assert said[0].startswith("\N{INBOX TRAY} Opened by") and f"<@{erin.id}>" in said[0]
    assert f"Claimed by <@{sam.id}>" in said[1]
    assert f"Approved by <@{mona.id}>" in said[2] and "120 tokens" in said[2]
    assert all(m.pings == () for m in desk.emu.thread_messages(approved))  # nobody pinged
    ticket = await desk.services.desk.get(1)
    assert ticket.triage_message_id == str(approved.id) and ticket.thread_id == str(thread.id)


async def test_a_change_made_outside_the_bot_shows_on_the_triage_message(desk):
    """The system (or any process) changes the ticket in the database; the message follows."""
    await _erin(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    await posted(desk)
    closed = await desk.services.desk.act(1, "close", SYSTEM, "duplicate of another ticket")
    assert closed.ticket.state == "closed"
    desk.bot.deliverer.poke()
    message = await shown(desk, lambda m: fields(m.embeds[0])["State"] == "closed")
    assert message.components == []
    assert fields(message.embeds[0])["Reason"] == "duplicate of another ticket"
    assert await delivered(desk.services)
    assert "Closed by the system" in lines(desk, message)[-1]


async def test_notes_and_user_text_in_the_thread_ping_nobody_and_stay_text(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    hostile = "@everyone <@&123456789012345678> [click](https://evil.example) **loud**"
    await desk.emu.slash(sam, "ticket note", id=1, text=hostile)
    assert await delivered(desk.services)
    note = desk.emu.thread_messages(message)[-1]
    assert note.pings == ()
    assert "**loud**" not in note.content and "\\*\\*loud\\*\\*" in note.content
    assert "\\[click](" in note.content  # no masked link
    assert "<@&123456789012345678>" not in note.content and "@everyone" not in note.content


async def test_a_retry_after_a_crash_finds_the_message_and_thread_already_made(desk):
    """A process posted the triage message and started its thread, then died before
    storing either: the next delivery finds both instead of making a second of each."""
    await _erin(desk)
    await desk.start()
    await desk.bot.deliverer.stop()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    deliveries = desk.services.ledger.deliveries
    (item,) = await deliveries.claim("dead-process", limit=1, lease_s=0.5)
    assert item.kind == "triage"
    channel = desk.bot.get_partial_messageable(desk.guild.default_channel.id)
    first = await channel.send("posting...", nonce="tdt1")  # the ticket's own nonce
    await desk.bot.http.start_thread_with_message(
        channel.id, first.id, name="Ticket #1: refund", auto_archive_duration=10080
    )

    desk.clock.advance(seconds=1)  # its lease ran out: this process takes the item over
    desk.bot.deliverer.start()
    assert await delivered(desk.services)
    assert [m.id for m in triage(desk)] == [first.id]  # no second message
    message = triage(desk)[0]
    assert message.embeds[0]["title"] == "Ticket #1: refund"  # brought up to date
    ticket = await desk.services.desk.get(1)
    assert ticket.triage_message_id == str(first.id) and ticket.thread_id == str(first.id)
    assert len(lines(desk, message)) == 1  # the "opened" line, in the one thread


async def test_a_thread_line_waits_for_its_thread(desk):
    await _erin(desk)
    await desk.start()
    assert await delivered(desk.services)  # the failed generation's DM, decided earlier
    await desk.bot.deliverer.stop()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    deliveries = desk.services.ledger.deliveries
    (held,) = await deliveries.claim("slow-process", limit=1, lease_s=5)  # the TRIAGE item
    desk.bot.deliverer.start()
    url = desk.services.ledger.db.url
    sql = "SELECT kind, outcome, attempts, claimed_until_us FROM outbox WHERE kind != 'dm'"
    sql += " ORDER BY id"
    for _ in range(500):  # until this process has tried the line and handed it back
        rows = await query(url, sql)
        if rows[1][2] >= 1 and rows[1][3] is None:
            break
        await asyncio.sleep(0.01)
    # the line waits, undelivered, given back for later; the triage item is still held
    assert [row[:3] for row in rows] == [("triage", None, 1), ("thread", None, 1)]
    assert rows[0][3] is not None and rows[1][3] is None
    assert triage(desk) == []

    desk.clock.advance(seconds=10)  # the slow process's lease ran out; the line is due again
    desk.bot.deliverer.poke()
    assert await delivered(desk.services)
    message = triage(desk)[-1]
    assert len(lines(desk, message)) == 1
    rows = await query(url, "SELECT kind, outcome FROM outbox WHERE kind != 'dm' ORDER BY id")
    assert rows == [("triage", "sent"), ("thread", "sent")]
    assert held.ticket_id == 1


async def test_tickets_opened_quietly_post_nothing_to_the_triage_channel(desk):
    """Tickets an incident opens approved in bulk: no triage message, thread or rating."""
    await _erin(desk)
    await desk.start()
    policy = desk.services.desk.policy
    erin = desk.uid("erin")
    opened = await desk.services.ledger.write(
        lambda uow: open_refund_in(uow, policy, erin, "g-fail", quiet=True)
    )
    assert opened.ticket.quiet
    approved = await desk.services.desk.act(opened.ticket.id, "approve", "discord:1")
    assert approved.ticket.state == "approved"
    desk.bot.deliverer.poke()
    assert await delivered(desk.services)
    await asyncio.sleep(0.05)
    assert triage(desk) == []
    sql = "SELECT kind, topic FROM outbox WHERE topic != 'failed'"  # not the failure's DM
    kinds = await query(desk.services.ledger.db.url, sql)
    assert kinds == [("dm", "decision")]  # the user is still told of the refund

"""The desk's timed jobs at fixed instants: one SLA reminder, a warning a day before auto-close,
the close; none lost or repeated across runs, restarts and processes."""

from __future__ import annotations

from bot.tickets.deadlines import DeskTimer
from tests.audit import query
from tests.bot.desk import delivered, eventually, fields
from tests.bot.test_tickets import _erin, posted, triage


def timer(desk) -> DeskTimer:
    return next(job for job in desk.bot.background if isinstance(job, DeskTimer))


async def _outbox(desk, topic: str) -> list[tuple]:
    sql = "SELECT kind, ticket_id, outcome FROM outbox WHERE topic = ? ORDER BY id"
    return await query(desk.services.ledger.db.url, sql, topic)


async def _restart(desk) -> None:
    assert await delivered(desk.services)
    await desk.stop()
    await desk.start()


async def _bob(desk) -> None:
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-b",
        plan="free",
        discord_user_id=desk.uid("bob"),
    )


async def test_an_overdue_ticket_comes_first_and_its_thread_gets_one_reminder(desk):
    await _erin(desk)
    await _bob(desk)
    desk.clock.set(desk.clock.now().replace(hour=11))
    await desk.start()
    sam = desk.person("sam", "Support")
    bob_ticket = await desk.services.desk.open_complaint(desk.uid("bob"), "billing")
    await desk.emu.slash(sam, "ticket claim", id=bob_ticket.ticket.id)  # answered at once
    desk.clock.advance(hours=1)
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")  # #2, 12:00
    await posted(desk, 2)

    desk.clock.advance(hours=23, minutes=59)
    assert (await timer(desk).run_once()).reminded == ()
    desk.clock.advance(minutes=2)  # 24 h 1 min without a response
    assert (await timer(desk).run_once()).reminded == (2,)
    assert await delivered(desk.services)

    erins = next(m for m in triage(desk) if m.embeds[0]["title"] == "Ticket #2: refund")
    reminder = desk.emu.thread_messages(erins)[-1]
    support = desk.role("Support")
    assert reminder.content.startswith(f"<@&{support.id}> ")
    assert "more than 24 hours for a first response" in reminder.content
    assert reminder.pings == (f"role:{support.id}",)  # the support role, and nobody else
    assert "overdue" in fields(erins.embeds[0])["Waiting"]  # its triage message says so

    queue = await desk.emu.slash(sam, "ticket queue")
    first, second = queue.embeds[0]["description"].splitlines()
    assert first.startswith("**#2** refund") and "overdue" in first  # overdue first, marked
    assert second.startswith("**#1** billing")  # older, but answered
    assert "overdue" not in second

    desk.clock.advance(hours=1)
    assert (await timer(desk).run_once()).reminded == ()  # once, however often it runs
    await _restart(desk)
    desk.clock.advance(hours=1)
    assert (await timer(desk).run_once()).reminded == ()  # and across a restart
    assert await delivered(desk.services)
    assert await _outbox(desk, "sla") == [("thread", 2, "sent")]
    said = [m.content for m in desk.emu.thread_messages(erins)]
    assert sum("first response" in line for line in said) == 1
    stats = fields((await desk.emu.slash(sam, "ticket stats")).embeds[0])
    assert stats["Overdue (no response within 24 h)"] == "1 in all, 1 still waiting"


async def test_one_process_at_a_time_runs_the_deadlines(desk):
    await desk.start()
    first, second = timer(desk), DeskTimer(desk.bot)
    assert await first.run_once() is not None
    assert await second.run_once() is None  # the lease is held
    await first.stop()  # a clean stop lets it go
    assert await second.run_once() is not None
    desk.clock.advance(minutes=10)  # a holder that died: its lease runs out
    assert await first.run_once() is not None


async def test_a_ticket_waiting_on_the_user_is_warned_a_day_before_it_closes(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    await desk.emu.slash(sam, "ticket reply", id=1, text="Which model was it?")
    replied = desk.clock.now()
    assert await delivered(desk.services)

    desk.clock.advance(days=5, hours=23)
    swept = await timer(desk).run_once()
    assert (swept.warned, swept.closed) == ((), ())
    desk.clock.advance(hours=1)  # six days without an answer
    assert (await timer(desk).run_once()).warned == (1,)
    assert await delivered(desk.services)
    warning = desk.emu.dms_to(erin)[-1]
    closes = int(replied.timestamp()) + 7 * 86_400
    assert warning.embeds[0]["title"] == "Ticket #1 closes soon"
    assert f"<t:{closes}:R>" in warning.embeds[0]["description"]
    assert warning.components[0]["components"][0]["label"] == "Reply"

    await _restart(desk)
    desk.clock.advance(hours=12)
    swept = await timer(desk).run_once()
    assert (swept.warned, swept.closed) == ((), ())  # warned once, not closed early
    desk.clock.advance(hours=12)  # seven days
    assert (await timer(desk).run_once()).closed == (1,)
    ticket = await desk.services.desk.get(1)
    assert ticket.state == "closed" and ticket.decided_by == "system:no-answer"
    assert await delivered(desk.services)
    closed = await eventually(lambda: not triage(desk)[-1].components and triage(desk)[-1])
    assert fields(closed.embeds[0])["State"] == "closed"
    lines = [m.content for m in desk.emu.thread_messages(message)]
    assert "did not answer for 7 days" in lines[-1] and "closes <t:" in lines[-2]
    assert [d.embeds[0]["title"] for d in desk.emu.dms_to(erin)][-1] == "How did we do?"
    assert (await timer(desk).run_once()).closed == ()
    assert await _outbox(desk, "closing") == [("dm", 1, "sent"), ("thread", 1, "sent")]


async def test_a_warning_missed_while_no_bot_ran_comes_first_and_the_close_a_day_later(desk):
    await _erin(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    await desk.emu.slash(desk.person("sam", "Support"), "ticket reply", id=1, text="Still there?")
    await desk.stop()
    desk.clock.advance(days=10)  # nobody ran the jobs meanwhile
    await desk.start()
    swept = await timer(desk).run_once()
    assert (swept.warned, swept.closed) == ((1,), ())  # warned now, not closed unwarned
    desk.clock.advance(hours=23)
    assert (await timer(desk).run_once()).closed == ()
    desk.clock.advance(hours=1)
    assert (await timer(desk).run_once()).closed == (1,)


async def test_an_answer_from_the_user_stops_the_clock(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.emu.slash(sam, "ticket reply", id=1, text="Which model?")
    dm = (await eventually(lambda: desk.emu.dms_to(erin)))[-1]
    desk.clock.advance(days=3)
    pressed = await desk.emu.click(dm, "tdr:reply:1", user=erin)
    field = pressed.modal["components"][0]["components"][0]["custom_id"]
    await desk.emu.submit_modal(pressed, {field: "phoenix"})
    desk.clock.advance(days=10)
    swept = await timer(desk).run_once()
    assert (swept.warned, swept.closed) == ((), ())
    assert (await desk.services.desk.get(1)).state == "open"

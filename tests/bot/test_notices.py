"""SPEC 6 direct messages end to end: decided with their cause, delivered by the bot once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from bot.account.jobs import RolloverJob
from tests.audit import query
from tests.bot.desk import eventually
from tests.bot.test_tickets import posted


async def _outbox(desk, topic: str) -> list[tuple]:
    return await query(
        desk.services.ledger.db.url,
        "SELECT user_id, outcome, attempts FROM outbox WHERE topic = ? ORDER BY id",
        topic,
    )


async def _settled(desk, topic: str, count: int = 1) -> list[tuple]:
    """The notices of a topic once `count` of them have an outcome."""
    rows: list[tuple] = []

    async def done() -> bool:
        nonlocal rows
        rows = await _outbox(desk, topic)
        return sum(1 for row in rows if row[1] is not None) >= count

    for _ in range(200):
        if await done():
            break
        await eventually(lambda: False, within=0.02)
    return rows


async def _erin(desk, *, plan: str = "apprentice", at: str = "2026-03-01T09:00:00Z") -> None:
    await desk.send(
        "account.created",
        at,
        "acc-e",
        plan=plan,
        discord_user_id=desk.uid("erin"),
    )


async def _fail(desk, gid: str, at: str, cost: int = 120) -> None:
    await desk.send("generation.charged", at, "acc-e", generation_id=gid, source="web", cost=cost)
    await desk.send("generation.failed", at, "acc-e", generation_id=gid, reason="timed out")


async def test_a_failed_dm_opens_the_refund_ticket_from_its_button(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    await _fail(desk, "g-x", "2026-03-10T12:00:00Z")
    assert await _settled(desk, "failed") == [(desk.uid("erin"), "sent", 1)]
    (dm,) = desk.emu.dms_to(erin)
    assert dm.embeds[0]["title"] == "A generation failed after it was charged"
    assert "`g-x` failed and cost you 120 tokens." in dm.embeds[0]["description"]
    assert "timed out" in dm.embeds[0]["description"]
    button = dm.components[0]["components"][0]["custom_id"]
    opened = await desk.emu.click(dm, "Ask for a refund")
    assert opened.embeds[0]["title"] == "Ticket #1: refund of g-x"
    assert opened.message.components == []  # the button is gone once used
    assert (await posted(desk))[-1].embeds[0]["title"].startswith("Ticket #1")
    again = await desk.emu.forge(erin, button, on=dm)  # pressed again (an old client)
    assert again.embeds[0]["title"] == "This no longer works"
    tickets = await query(desk.services.ledger.db.url, "SELECT id, generation_id FROM tickets")
    assert tickets == [(1, "g-x")]


async def test_a_failed_dm_says_so_when_it_was_refunded_before_delivery(desk):
    await _erin(desk)
    policy = desk.services.desk.policy  # small refunds are approved at once
    desk.services.desk.policy = dataclasses.replace(policy, auto_approve_up_to=500)
    await _fail(desk, "g-x", "2026-03-10T12:00:00Z")
    opened = await desk.services.desk.open_refund(desk.uid("erin"), "g-x")
    assert opened.auto is not None
    await desk.start()  # notices decided while no bot ran are delivered when one starts
    assert await _settled(desk, "failed") == [(desk.uid("erin"), "sent", 1)]
    dms = desk.emu.dms_to(desk.person("erin"))
    failed = [m for m in dms if m.embeds[0]["title"].startswith("A generation failed")]
    assert len(failed) == 1 and failed[0].components == []
    assert "refunded already" in failed[0].embeds[0]["description"]


async def test_a_kind_switched_off_is_skipped_and_closed_dms_are_unreachable(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    await desk.services.ledger.change_notify_choices(
        desk.uid("erin"), lambda c: c.toggled("failed")
    )
    await _fail(desk, "g-1", "2026-03-10T12:00:00Z")
    assert await _settled(desk, "failed") == [(desk.uid("erin"), "skipped", 1)]
    await desk.services.ledger.change_notify_choices(
        desk.uid("erin"), lambda c: c.toggled("failed")
    )
    erin.user.dms_open = False
    await _fail(desk, "g-2", "2026-03-10T12:01:00Z")
    rows = await _settled(desk, "failed", 2)
    assert rows[1] == (desk.uid("erin"), "unreachable", 1)  # recorded, not retried forever
    assert desk.emu.dms_to(erin) == []


async def test_low_payment_and_rollover_each_arrive_once(desk):
    await _erin(desk, plan="maestro", at="2026-01-01T00:00:00Z")  # 60,000 a month, cap 180,000
    erin = desk.person("erin")
    ledger = desk.services.ledger
    user = desk.uid("erin")
    await desk.start()
    for kind in ("low", "rollover", "payment"):
        await ledger.change_notify_choices(user, lambda c, k=kind: c.toggled(k))
    await ledger.change_notify_choices(user, lambda c: c.with_threshold(59_000))

    # low: the charge that crosses 59,000 tells erin; the next one does not.
    await desk.send(
        "generation.charged",
        "2026-01-02T10:00:00Z",
        "acc-e",
        generation_id="g-1",
        source="web",
        cost=1_500,
    )
    await desk.send(
        "generation.charged",
        "2026-01-02T11:00:00Z",
        "acc-e",
        generation_id="g-2",
        source="web",
        cost=100,
    )
    assert await _settled(desk, "low") == [(user, "sent", 1)]
    low = desk.emu.dms_to(erin)[-1].embeds[0]
    assert low["title"] == "Your tokens are running low"
    assert "**58,500** tokens left, below the 59,000" in low["description"]

    # payment
    await desk.send("payment.failed", "2026-01-03T10:00:00Z", "acc-e")
    assert await _settled(desk, "payment") == [(user, "sent", 1)]
    assert desk.emu.dms_to(erin)[-1].embeds[0]["title"] == "A payment failed"
    await desk.send("payment.succeeded", "2026-01-03T11:00:00Z", "acc-e")

    # rollover: on Apr 28 the May 1 renewal is under three days away and will overflow.
    desk.clock.set(datetime(2026, 4, 28, 1, tzinfo=UTC))
    (job,) = [job for job in desk.bot.background if isinstance(job, RolloverJob)]
    assert await job.run_once() == 1
    assert await job.run_once() == 0  # decided once per renewal
    assert await _settled(desk, "rollover") == [(user, "sent", 1)]
    rollover = desk.emu.dms_to(erin)[-1].embeds[0]
    assert rollover["title"] == "Rollover tokens will be lost at your renewal"
    assert "<t:" in rollover["description"] and "cap is 180,000" in rollover["description"]
    assert len(desk.emu.dms_to(erin)) == 3


async def test_notifications_pending_counts_dms_not_yet_delivered(desk):
    await _erin(desk)
    await _fail(desk, "g-1", "2026-03-10T12:00:00Z")
    text = (await desk.services.metrics.render()).decode()
    assert "tokendesk_notifications_pending 1.0" in text

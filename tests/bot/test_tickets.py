"""Refund tickets, triage and decisions end to end, through the real bot and the emulator."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator import CommandNotAvailable
from bot.roles import STAFF_PERMISSIONS
from tests.bot.desk import eventually, fields


async def _erin(desk) -> None:
    """erin (apprentice) has a failed generation that took 50 daily + 70 monthly tokens."""
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-e",
        plan="apprentice",
        discord_user_id=desk.uid("erin"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-01T10:00:00Z",
        "acc-e",
        generation_id="g-warm",
        source="web",
        cost=8_400,
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T08:00:00Z",
        "acc-e",
        generation_id="g-fail",
        source="web",
        cost=120,
    )
    await desk.send("generation.failed", "2026-03-10T08:01:00Z", "acc-e", generation_id="g-fail")
    await desk.send(
        "generation.charged",
        "2026-03-10T08:02:00Z",
        "acc-e",
        generation_id="g-fine",
        source="web",
        cost=3,
    )
    await desk.send("generation.succeeded", "2026-03-10T08:03:00Z", "acc-e", generation_id="g-fine")
    # These tests follow decisions: erin's `failed` notice for g-fail is tested in
    # test_notices, so she does not want it here.
    await desk.services.ledger.change_notify_choices(
        desk.uid("erin"), lambda c: c.toggled("failed")
    )
    desk.clock.set(desk.clock.now().replace(hour=12, minute=0))


def triage(desk):
    return desk.emu.channel_messages(desk.guild.default_channel)


async def posted(desk, count: int = 1):
    """The triage channel once it has `count` messages (the deliverer posts them)."""
    return await eventually(lambda: (found := triage(desk)) and len(found) >= count and found)


async def test_the_full_refund_journey(desk):
    await _erin(desk)
    await desk.start()
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    sam = desk.person("sam", "Support")
    before = await desk.services.ledger.balance("acc-e")

    opened = await desk.emu.slash(erin, "refund", generation_id="g-fail", details="timed out")
    assert opened.ephemeral and opened.embeds[0]["title"] == "Ticket #1: refund"

    shown = await posted(desk)
    assert len(shown) == 1 and shown[-1].embeds[0]["title"] == "Ticket #1: refund"
    queue = await desk.emu.slash(sam, "ticket queue")
    assert "**#1** refund, open, 0 min old" in queue.embeds[0]["description"]

    desk.clock.advance(minutes=5)
    claimed = await desk.emu.click(shown[-1], "tdk:claim:1", user=sam)
    assert fields(claimed.embeds[0])["State"] == "being looked at"
    desk.clock.advance(minutes=5)
    approved = await desk.emu.click(shown[-1], "tdk:approve:1", user=mona)
    assert fields(approved.embeds[0])["Refunded"] == "120 tokens"

    after = await desk.services.ledger.balance("acc-e")
    assert (after.daily - before.daily, after.monthly - before.monthly) == (50, 70)
    dm = await eventually(lambda: desk.emu.dms_to(erin))
    assert dm and dm[-1].embeds[0]["title"] == "Refund approved: ticket #1"
    assert "120 tokens" in dm[-1].embeds[0]["description"]

    mine = await desk.emu.slash(erin, "tickets")
    assert "#1** refund: approved" in mine.embeds[0]["description"]
    stats = await desk.emu.slash(sam, "ticket stats", days=7)
    shown = fields(stats.embeds[0])
    assert shown["Refunded"] == "120 tokens" and "approved: 1" in shown["By state"]
    assert shown["Median first response"] == "5 min" and shown["Median resolution"] == "10 min"


async def test_without_the_moderator_role_approve_is_refused_and_changes_nothing(desk):
    await _erin(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    sam = desk.person("sam", "Support")
    before = await desk.services.ledger.balance("acc-e")
    pressed = await desk.emu.click((await posted(desk))[-1], "tdk:approve:1", user=sam)
    assert pressed.ephemeral and pressed.embeds[0]["title"] == "Staff only"
    typed = await desk.emu.slash(sam, "ticket approve", id=1)
    assert typed.embeds[0]["title"] == "Staff only"
    # Discord hides staff commands from members without Manage Messages; a server admin
    # can change that, and the bot still refuses anyone without the role.
    helper = desk.emu.add_role(desk.guild, "Helper", permissions=STAFF_PERMISSIONS.value)
    desk.emu.set_roles(desk.person("erin"), [helper])
    stranger = await desk.emu.slash(desk.person("erin"), "ticket queue")
    assert stranger.embeds[0]["title"] == "Staff only"
    assert (await desk.services.desk.get(1)).state == "open"
    assert (await desk.services.ledger.balance("acc-e")).total == before.total


@pytest.mark.parametrize(
    ("gid", "words"),
    [
        ("g-fine", "did not fail"),
        ("g-nope", "can't find a generation"),
        ("g-theirs", "can't find a generation"),
        ("g-relaxed", "took no tokens"),
    ],
)
async def test_refunds_that_cannot_be_are_refused_with_a_clear_reason(desk, gid, words):
    await _erin(desk)
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-b",
        plan="artisan",
        discord_user_id=desk.uid("bob"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-02T10:00:00Z",
        "acc-b",
        generation_id="g-big",
        source="web",
        cost=25_000,
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T08:59:00Z",
        "acc-b",
        generation_id="g-theirs",
        source="web",
        cost=150,
    )
    await desk.send("generation.failed", "2026-03-10T09:00:00Z", "acc-b", generation_id="g-theirs")
    await desk.send(
        "generation.charged",
        "2026-03-10T09:01:00Z",
        "acc-b",
        generation_id="g-relaxed",
        source="web",
        cost=40,
    )
    await desk.send("generation.failed", "2026-03-10T09:02:00Z", "acc-b", generation_id="g-relaxed")
    await desk.start()
    who = "bob" if gid == "g-relaxed" else "erin"
    reply = await desk.emu.slash(desk.person(who), "refund", generation_id=gid)
    assert reply.embeds[0]["title"] == "No ticket opened"
    assert words in reply.embeds[0]["description"]
    assert await desk.services.desk.queue() == []


async def test_a_second_refund_of_the_same_generation_is_refused(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    again = await desk.emu.slash(erin, "refund", generation_id="g-fail")
    assert "already an open ticket for that generation: #1" in again.embeds[0]["description"]
    await desk.emu.slash(desk.person("mona", "Moderator"), "ticket approve", id=1)
    third = await desk.emu.slash(erin, "refund", generation_id="g-fail")
    assert "already been refunded" in third.embeds[0]["description"]
    assert len(await desk.services.desk.queue(state="approved")) == 1


async def test_a_flood_of_refunds_is_answered_politely_and_creates_nothing_extra(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    replies = [await desk.emu.slash(erin, "refund", generation_id="g-fail") for _ in range(6)]
    titles = [r.embeds[0]["title"] for r in replies]
    assert titles[0] == "Ticket #1: refund" and "Slow down" in titles
    assert all(r.acknowledgements == 1 for r in replies)
    assert len(await desk.services.desk.queue()) == 1


async def test_deny_asks_for_a_reason_and_the_user_hears_it_in_tickets_when_dms_are_closed(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    erin.user.dms_open = False
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    pressed = await desk.emu.click(
        (await posted(desk))[-1], "tdk:deny:1", user=desk.person("mona", "Moderator")
    )
    modal = pressed.modal
    assert modal is not None
    field_id = modal["components"][0]["components"][0]["custom_id"]
    denied = await desk.emu.submit_modal(pressed, {field_id: "it was delivered"})
    assert fields(denied.embeds[0])["State"] == "denied"
    assert desk.emu.dms_to(erin) == []
    mine = await desk.emu.slash(erin, "tickets")
    assert "#1 was **denied**" in fields(mine.embeds[0])["New since you last looked"]
    again = await desk.emu.slash(erin, "tickets")
    assert "New since you last looked" not in fields(again.embeds[0])


async def test_triage_buttons_still_work_after_the_bot_restarts(desk):
    await _erin(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    await desk.stop()
    await desk.start()  # a new bot instance: only its registered DynamicItems can answer
    approved = await desk.emu.click(message, "tdk:approve:1", user=desk.person("mona", "Moderator"))
    assert fields(approved.embeds[0])["State"] == "approved"


async def test_fifty_moderators_approving_at_once_pay_one_refund(desk):
    await _erin(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    mods = [desk.person(f"mod{n}", "Moderator") for n in range(50)]
    before = await desk.services.ledger.balance("acc-e")
    replies = await asyncio.gather(
        *(desk.emu.click(message, "tdk:approve:1", user=m) for m in mods)
    )
    refunded = [r for r in replies if r.embeds and fields(r.embeds[0]).get("Refunded")]
    assert len(refunded) == 1
    assert all(r.acknowledgements == 1 for r in replies)
    after = await desk.services.ledger.balance("acc-e")
    assert after.total - before.total == 120
    assert len(await eventually(lambda: desk.emu.dms_to(desk.person("erin")))) == 1


async def test_the_troubleshooter_uses_real_numbers_and_opens_a_refund_for_the_pick(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    menu = await desk.emu.slash(erin, "troubleshoot")
    assert menu.ephemeral
    failed = next(b for b in menu.buttons() if "failed" in b["label"])
    picker = await desk.emu.click(menu, failed["custom_id"])
    select = next(c for c in picker.components[0]["components"] if c["type"] == 3)
    assert [o["label"] for o in select["options"]] == ["g-fail"]
    assert select["options"][0]["description"] == "120 tokens"
    done = await desk.emu.select(picker, select["custom_id"], [select["options"][0]["value"]])
    assert "Ticket **#1** is open" in done.embeds[0]["description"]
    ticket = await desk.services.desk.get(1)
    assert ticket.generation_id == "g-fail" and ticket.answers


async def test_lookup_and_adjust_for_staff_only(desk):
    await _erin(desk)
    await desk.start()
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    looked = await desk.emu.slash(desk.person("sam", "Support"), "lookup", user=erin)
    assert fields(looked.embeds[0])["Monthly"] == "27"
    with pytest.raises(CommandNotAvailable):  # Discord hides it from members without the role
        await desk.emu.slash(erin, "adjust", user=erin, amount=500, reason="me")
    took = await desk.emu.slash(mona, "adjust", user=erin, amount=-1_000, reason="abuse")
    assert "applied -27" in took.embeds[0]["description"]
    assert (await desk.services.ledger.balance("acc-e")).total == 0


async def test_troubleshooter_buttons_work_after_a_restart_and_show_real_numbers(desk):
    await desk.send(
        "account.created",
        "2026-03-09T09:00:00Z",
        "acc-z",
        plan="free",
        discord_user_id=desk.uid("zoe"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T09:00:00Z",
        "acc-z",
        generation_id="g-z",
        source="web",
        cost=150,
    )
    desk.clock.set(desk.clock.now().replace(hour=12))
    await desk.start()
    zoe = desk.person("zoe")
    menu = await desk.emu.slash(zoe, "troubleshoot")
    await desk.stop()
    await desk.start()
    missing = next(b for b in menu.buttons() if "missing" in b["label"])
    step = await desk.emu.click(menu, missing["custom_id"])
    text = step.embeds[0]["description"]
    assert "- Daily: 0" in text and "- Total you can spend: 0" in text
    daily = next(b for b in step.buttons() if b["label"].startswith("My daily"))
    answer = await desk.emu.click(step, daily["custom_id"])
    assert "<t:1773187200:" in answer.embeds[0]["description"]  # 2026-03-11T00:00:00Z


async def test_staff_see_the_platforms_failure_reason_cut_to_1000_characters(desk):
    await desk.send(
        "account.created",
        "2026-03-10T09:00:00Z",
        "acc-t",
        plan="free",
        discord_user_id=desk.uid("tess"),
    )
    await desk.send(
        "generation.charged",
        "2026-03-10T09:30:00Z",
        "acc-t",
        generation_id="g-trace",
        source="web",
        cost=30,
    )
    trace = "worker crashed: " + "x" * 49_000  # a platform's whole stack trace
    await desk.send(
        "generation.failed", "2026-03-10T09:31:00Z", "acc-t", generation_id="g-trace", reason=trace
    )
    desk.clock.set(desk.clock.now().replace(hour=12))
    await desk.start()
    opened = await desk.emu.slash(desk.person("tess"), "refund", generation_id="g-trace")
    assert "Why it failed (platform)" not in fields(opened.embeds[0])  # the user sees none
    posted = await eventually(lambda: triage(desk))
    shown = fields(posted[-1].embeds[0])["Why it failed (platform)"]
    assert shown == trace[:1_000]
    history = await desk.emu.slash(desk.person("tess"), "history")
    assert "generation g-trace failed: worker crashed: xxx" in history.embeds[0]["description"]

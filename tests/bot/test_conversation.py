"""Talking with the user about a ticket: `/ticket reply`, the Reply button and its form,
closed DMs, and canned replies."""

from __future__ import annotations

from bot.emulator import Choice
from tests.audit import query
from tests.bot.desk import delivered, eventually, fields, ledger_rows
from tests.bot.test_tickets import _erin, posted


def _dm_text(message) -> str:
    return str(message.embeds) + message.content


async def _answer(desk, target, person, text: str):
    pressed = await desk.emu.click(target, "tdr:reply:1", user=person)
    assert pressed.modal is not None and pressed.modal["title"] == "Answer the support team"
    field = pressed.modal["components"][0]["components"][0]["custom_id"]
    return await desk.emu.submit_modal(pressed, {field: text})


async def test_staff_write_by_dm_as_the_support_team_and_the_user_answers(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]

    sent = await desk.emu.slash(sam, "ticket reply", id=1, text="Which model did you use?")
    assert sent.ephemeral and sent.embeds[0]["title"] == "Sent on ticket #1"
    dm = (await eventually(lambda: desk.emu.dms_to(erin)))[-1]
    assert dm.embeds[0]["title"] == "A message from the support team"
    assert dm.embeds[0]["description"] == "Which model did you use?"
    assert str(sam.id) not in _dm_text(dm) and "sam" not in _dm_text(dm)  # never named
    assert [c["label"] for c in dm.components[0]["components"]] == ["Reply"]

    answered = await _answer(desk, dm, erin, "phoenix, 1024x1024")
    assert answered.ephemeral and answered.embeds[0]["title"] == "Sent"
    log = await desk.services.desk.log(1)
    assert [(e.action, e.note) for e in log[-2:]] == [
        ("reply", "Which model did you use?"),
        ("answer", "phoenix, 1024x1024"),
    ]
    assert await delivered(desk.services)
    thread = [m.content for m in desk.emu.thread_messages(message)]
    assert f"<@{sam.id}> wrote to the user" in thread[-2]
    assert "The user answered" in thread[-1] and "phoenix, 1024x1024" in thread[-1]
    ticket = await desk.services.desk.get(1)
    assert ticket.first_response_us is not None and ticket.last_reply_by == "user"
    waiting = fields(desk.emu.channel_messages(desk.guild.default_channel)[-1].embeds[0])
    assert "on the support team since" in waiting["Waiting"]


async def test_with_dms_closed_the_message_waits_in_tickets(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    erin.user.dms_open = False
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.emu.slash(sam, "ticket reply", id=1, text="Could you send a screenshot?")
    assert await delivered(desk.services)
    url = desk.services.ledger.db.url
    outcome = await query(url, "SELECT outcome FROM outbox WHERE topic = 'reply'")
    assert outcome == [("unreachable",)]  # not retried forever
    assert desk.emu.dms_to(erin) == []

    mine = await desk.emu.slash(erin, "tickets")
    shown = fields(mine.embeds[0])
    assert shown["Message from the support team about #1"] == "Could you send a screenshot?"
    answered = await _answer(desk, mine, erin, "here it is")
    assert answered.embeds[0]["title"] == "Sent"
    again = await desk.emu.slash(erin, "tickets")  # handed over once
    assert "Message from the support team about #1" not in fields(again.embeds[0])


async def test_the_reply_button_and_form_act_only_for_their_user(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.emu.slash(sam, "ticket reply", id=1, text="Hello")
    dm = (await eventually(lambda: desk.emu.dms_to(erin)))[-1]
    bob = desk.person("bob")
    before = await ledger_rows(desk.services)

    pressed = await desk.emu.forge(bob.user, "tdr:reply:1", on=dm)  # erin's DM, bob's hand
    assert pressed.modal is None and pressed.embeds[0]["title"] == "Not yours"
    own = await desk.emu.slash(bob.user, "balance")  # bob's own message, erin's ticket number
    pressed = await desk.emu.forge(bob.user, "tdr:reply:1", on=own)
    assert pressed.modal is None  # not a button of that message: refused, no form
    form = await desk.emu.forge_modal(bob.user, "tdr:answer:1", {"answer": "I am erin"})
    assert form.embeds[0]["title"] == "This no longer works"  # a form never opened for him
    assert await ledger_rows(desk.services) == before
    assert (await _answer(desk, dm, erin, "it's me")).embeds[0]["title"] == "Sent"


async def test_a_reply_to_a_closed_ticket_is_refused(desk):
    await _erin(desk)
    await desk.start()
    sam = desk.person("sam", "Support")
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    await desk.emu.slash(sam, "ticket close", id=1)
    refused = await desk.emu.slash(sam, "ticket reply", id=1, text="one more thing")
    assert refused.embeds[0]["title"] == "Not sent"
    assert "is closed: nothing more is written on it" in refused.embeds[0]["description"]


async def test_canned_replies_are_suggested_and_filled_in_for_the_user(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")

    offered = await desk.emu.autocomplete(sam, "ticket reply", "text", "generation", id=1)
    assert offered and all(isinstance(c, Choice) for c in offered)
    picked = next(c for c in offered if c.name.startswith("Checked the generation"))
    assert picked.value == "canned:Checked the generation" and len(picked.name) <= 100
    (balance, *_) = await desk.emu.autocomplete(sam, "ticket reply", "text", "balance now")
    await desk.emu.slash(sam, "ticket reply", id=1, text=picked.value)
    await desk.emu.slash(sam, "ticket reply", id=1, text=balance.value)
    dms = await eventually(lambda: len(desk.emu.dms_to(erin)) >= 2 and desk.emu.dms_to(erin))
    first, second = (dm.embeds[0]["description"] for dm in dms[-2:])
    assert first.startswith(f"Hi <@{erin.id}>, we checked generation g-fail for ticket #1.")
    spendable = (await desk.services.ledger.balance("acc-e")).total
    assert f"right now you have {spendable:,} tokens to spend" in second

    unknown = await desk.emu.slash(sam, "ticket reply", id=1, text="canned:No such reply")
    assert unknown.embeds[0]["title"] == "Not sent"


async def test_canned_replies_are_offered_to_staff_in_the_support_server_only(desk):
    other = desk.emu.add_guild("elsewhere")
    own = desk.emu.add_role(other, "Support", permissions=8)
    outsider = desk.emu.add_member(other, "outsider", roles=[own])
    await desk.start()
    sam, erin = desk.person("sam", "Support"), desk.person("erin")
    assert await desk.emu.autocomplete(sam, "ticket reply", "text", "")
    helper = desk.emu.add_role(desk.guild, "Helper", permissions=1 << 13)
    desk.emu.set_roles(erin, [helper])  # sees staff commands, lacks the role
    assert await desk.emu.autocomplete(erin, "ticket reply", "text", "") == []
    desk.emu.register_commands(desk.emu.registered(desk.guild), guild=other)
    assert await desk.emu.autocomplete(outsider, "ticket reply", "text", "") == []

"""SPEC 4, who may do what and where: staff powers only in the support server.

Each attack from issue 8 is replayed end to end through the emulator, and every refusal
must be ephemeral, say "staff only" without naming the configured role, and leave every
ledger and ticket row exactly as it was.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.emulator import CommandNotAvailable
from bot.emulator.world import ADMINISTRATOR
from bot.roles import STAFF_PERMISSIONS
from tests.bot.desk import as_an_earlier_version_registered, eventually, fields, ledger_rows
from tests.bot.test_tickets import _erin, posted


async def _mallory(desk):
    """mallory owns another server the bot is in, with a role named like ours, and has an
    account with 150 tokens."""
    other = desk.emu.add_guild("Mallory's server")
    own = desk.emu.add_role(other, "Moderator", permissions=ADMINISTRATOR)
    mallory = desk.emu.add_member(other, "mallory", roles=[own])
    await desk.send(
        "account.created",
        "2026-03-10T09:00:00Z",
        "acc-m",
        plan="free",
        discord_user_id=str(mallory.id),
    )
    return other, mallory


async def _leave_stale_registrations(desk, other) -> list[dict]:
    """Start and stop the bot once to learn its commands, then register them everywhere
    the way an earlier version did: staff commands global, and in a server it left."""
    await desk.start()
    staff = desk.emu.registered(desk.guild)
    everything = as_an_earlier_version_registered(desk.emu.registered() + staff)
    await desk.stop()
    desk.emu.register_commands(everything)
    desk.emu.register_commands(everything, guild=other)
    return staff


def _staff_only(reply, *hidden: str) -> None:
    assert reply.ephemeral and reply.acknowledgements == 1
    embed = reply.embeds[0]
    text = f"{embed['title']} {embed['description']}"
    assert embed["title"] == "Staff only" and "staff only" in embed["description"]
    for secret in hidden:
        assert secret not in text


async def test_another_servers_moderator_gets_nothing_from_stale_or_current_registrations(desk):
    await _erin(desk)
    other, mallory = await _mallory(desk)
    staff = await _leave_stale_registrations(desk, other)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")

    # Discord now offers staff commands in the support server only.
    staff_names = {c["name"] for c in staff}
    assert staff_names == {"ticket", "lookup", "adjust", "incident", "Tokens"}
    assert not staff_names & {c["name"] for c in desk.emu.registered()}
    assert desk.emu.registered(other) == []
    with pytest.raises(CommandNotAvailable):
        await desk.emu.slash(mallory, "adjust", user=mallory, amount=1_000_000, reason="me")

    # A client still showing the old lists reaches the bot, and is refused.
    before = await ledger_rows(desk.services)
    erin = desk.emu.world.users[int(desk.uid("erin"))]
    attacks = [
        ("adjust", {"user": mallory, "amount": 1_000_000, "reason": "me"}),
        ("ticket approve", {"id": 1}),
        ("lookup", {"user": erin}),
        ("incident refund", {"since": "2026-03-10T00:00:00Z", "until": "2026-03-11T00:00:00Z"}),
    ]
    for command, options in attacks:
        reply = await desk.emu.slash(mallory, command, stale=True, options=options)
        _staff_only(reply, "Moderator", "Support")
        assert "150" not in str(reply.embeds) and "8,380" not in str(reply.embeds)
    assert await ledger_rows(desk.services) == before
    assert (await desk.services.ledger.balance("acc-m")).total == 150
    assert (await desk.services.desk.get(1)).state == "open"


async def test_a_role_named_like_the_configured_role_id_is_not_that_role(desk):
    await _erin(desk)
    real = desk.role("Moderator")
    desk.services.settings = dataclasses.replace(
        desk.services.settings, moderator_role=str(real.id)
    )
    impostor = desk.emu.add_role(desk.guild, str(real.id), permissions=STAFF_PERMISSIONS.value)
    faker = desk.emu.add_member(desk.guild, "faker", roles=[impostor])
    mona = desk.person("mona", "Moderator")
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    before = await ledger_rows(desk.services)

    typed = await desk.emu.slash(faker, "ticket approve", id=1)
    _staff_only(typed, str(real.id), "Moderator")
    pressed = await desk.emu.click((await posted(desk))[-1], "tdk:approve:1", user=faker)
    _staff_only(pressed, str(real.id), "Moderator")
    granted = await desk.emu.slash(faker, "adjust", user=faker, amount=5, reason="x")
    _staff_only(granted, str(real.id), "Moderator")
    assert await ledger_rows(desk.services) == before

    approved = await desk.emu.slash(mona, "ticket approve", id=1)  # the real role, by id
    assert fields(approved.embeds[0])["Refunded"] == "120 tokens"


async def test_a_name_setting_matches_only_the_support_servers_roles(desk):
    await _erin(desk)
    _, mallory = await _mallory(desk)
    await desk.start()
    await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
    before = await ledger_rows(desk.services)
    # mallory forges the Approve button onto a message of her own server
    answer = await desk.emu.slash(mallory, "balance")
    forged = await desk.emu.forge(mallory, "tdk:approve:1", on=answer)
    _staff_only(forged, "Moderator")
    assert await ledger_rows(desk.services) == before


async def test_staff_actions_from_a_dm_are_refused(desk):
    await _erin(desk)
    other, _ = await _mallory(desk)
    await desk.start()
    erin = desk.person("erin")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.emu.slash(desk.person("mona", "Moderator"), "ticket deny", id=1, reason="no")
    dm = (await eventually(lambda: desk.emu.dms_to(erin)))[-1]  # the decision, in a DM
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    await desk.stop()
    await _leave_stale_registrations(desk, other)
    await desk.start()
    before = await ledger_rows(desk.services)

    mona_in_dm = desk.person("mona").user  # a moderator of the support server, but in a DM
    typed = await desk.emu.slash(mona_in_dm, "ticket approve", stale=True, id=2)
    _staff_only(typed, "Moderator")
    assert "support server" in typed.embeds[0]["description"]
    pressed = await desk.emu.forge(mona_in_dm, "tdk:approve:2", on=dm)
    _staff_only(pressed, "Moderator")
    assert await ledger_rows(desk.services) == before


async def test_with_the_support_server_unset_staff_actions_name_the_setting(desk):
    await _erin(desk)
    other, _ = await _mallory(desk)
    assert await _leave_stale_registrations(desk, other)  # registered in the support server
    desk.services.settings = dataclasses.replace(desk.services.settings, guild_id=None)
    await desk.start()
    assert desk.emu.registered(desk.guild) == []  # no longer the support server: emptied
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    opened = await desk.emu.slash(erin, "refund", generation_id="g-fail")  # user commands work
    assert opened.embeds[0]["title"] == "Ticket #1: refund"
    before = await ledger_rows(desk.services)

    pressed = await desk.emu.click((await posted(desk))[-1], "tdk:approve:1", user=mona)
    _staff_only(pressed, "Moderator")
    assert "TOKENDESK_GUILD_ID" in pressed.embeds[0]["description"]
    typed = await desk.emu.slash(mona, "ticket approve", stale=True, id=1)
    _staff_only(typed, "Moderator")
    assert "TOKENDESK_GUILD_ID" in typed.embeds[0]["description"]
    assert await ledger_rows(desk.services) == before
    assert not {"ticket", "lookup", "adjust"} & {c["name"] for c in desk.emu.registered()}


async def test_forged_and_replayed_staff_custom_ids_are_refused_and_change_nothing(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    mine = await desk.emu.slash(erin, "tickets")
    before = await ledger_rows(desk.services)

    forged = await desk.emu.forge(erin, "tdk:approve:1", on=mine)  # not on that message
    _staff_only(forged, "Moderator")
    replayed = await desk.emu.click((await posted(desk))[-1], "tdk:approve:1", user=erin)
    _staff_only(replayed, "Moderator")
    support_only = await desk.emu.click((await posted(desk))[-1], "tdk:deny:1", user=sam)
    _staff_only(support_only, "Moderator")
    assert support_only.modal is None  # refused before the form opens
    modal = await desk.emu.forge_modal(
        erin, "tdk:why:1", {"reason": "x"}, on=(await posted(desk))[-1]
    )
    _staff_only(modal, "Moderator")  # a form the bot never opened for erin
    assert await ledger_rows(desk.services) == before


async def test_a_users_own_troubleshooter_does_nothing_for_someone_else(desk):
    await _erin(desk)
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-b",
        plan="free",
        discord_user_id=desk.uid("bob"),
    )
    await desk.start()
    erin, bob = desk.person("erin"), desk.person("bob")
    menu = await desk.emu.slash(erin, "troubleshoot")
    failed = next(b for b in menu.buttons() if "failed" in b["label"])
    picker = await desk.emu.click(menu, failed["custom_id"])
    select = next(c for c in picker.components[0]["components"] if c["type"] == 3)
    value = select["options"][0]["value"]
    before = await ledger_rows(desk.services)

    picked = await desk.emu.forge(bob, select["custom_id"], on=picker, values=[value])
    assert picked.ephemeral and picked.embeds[0]["title"] == "Not yours"
    pressed = await desk.emu.forge(bob, picker.buttons()[0]["custom_id"], on=picker)
    assert pressed.ephemeral and pressed.embeds[0]["title"] == "Not yours"
    assert await ledger_rows(desk.services) == before
    assert picker.message.embeds == picker.embeds  # erin's own picker is untouched

    done = await desk.emu.select(picker, select["custom_id"], [value])  # erin still can
    assert "Ticket **#1** is open" in done.embeds[0]["description"]


async def test_refund_of_another_accounts_generation_reads_exactly_like_an_unknown_id(desk):
    await _erin(desk)
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-b",
        plan="free",
        discord_user_id=desk.uid("bob"),
    )
    await desk.start()
    bob = desk.person("bob")
    before = await ledger_rows(desk.services)
    theirs = await desk.emu.slash(bob, "refund", generation_id="g-fail")  # erin's
    unknown = await desk.emu.slash(bob, "refund", generation_id="g-none")
    assert theirs.ephemeral and unknown.ephemeral
    assert theirs.embeds == unknown.embeds and theirs.content == unknown.content
    assert await ledger_rows(desk.services) == before

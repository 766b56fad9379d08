"""SPEC 4: where commands are registered, and user commands anywhere a user installs them."""

from __future__ import annotations

import dataclasses

from bot.roles import STAFF_PERMISSIONS
from tests.bot.desk import as_an_earlier_version_registered, fields, ledger_rows
from tests.bot.test_account_commands import _free_and_artisan

USER_COMMANDS = {
    "balance",
    "reset",
    "rollover",
    "relaxed",
    "history",
    "link",
    "cost",
    "plans",
    "troubleshoot",
    "refund",
    "tickets",
    "why",
    "usage",
    "notify",
}
STAFF_COMMANDS = {"ticket", "lookup", "adjust", "incident", "Tokens"}


async def test_user_commands_are_global_and_installable_staff_commands_are_the_servers(desk):
    await desk.start()
    everywhere = {c["name"]: c for c in desk.emu.registered()}
    assert set(everywhere) == USER_COMMANDS
    for command in everywhere.values():
        assert sorted(command["integration_types"]) == [0, 1]  # guild and user install
        assert sorted(command["contexts"]) == [0, 1, 2]  # guild, bot DM, private channel
        assert command["default_member_permissions"] is None
    support = {c["name"]: c for c in desk.emu.registered(desk.guild)}
    assert set(support) == STAFF_COMMANDS
    for command in support.values():
        assert command["default_member_permissions"] == str(STAFF_PERMISSIONS.value)
        assert command["contexts"] == [0] and command["integration_types"] == [0]


async def test_user_commands_answer_in_dms_and_user_installs_ephemerally(desk):
    await _free_and_artisan(desk)
    await desk.start()
    alice, bob = desk.person("alice"), desk.person("bob")
    group = desk.emu.add_private_channel(alice, bob)
    places = [  # (who, where, context Discord reports)
        (alice, {}, 0),  # the support server, through its install
        (alice.user, {}, 1),  # the bot's DM
        (alice, {"install": "user"}, 0),  # a server, through alice's own install
        (alice.user, {"channel": group, "install": "user"}, 2),  # a group DM, bot not in it
    ]
    for who, where, context in places:
        reply = await desk.emu.slash(who, "balance", **where)
        assert reply.ephemeral and reply.acknowledgements == 1, where
        assert "**37** tokens" in reply.embeds[0]["description"], where
        payload = reply.record.payload
        assert payload["context"] == context
        if where.get("install") == "user":
            assert payload["authorizing_integration_owners"] == {"1": str(alice.id)}
    history = await desk.emu.slash(alice.user, "history", channel=group, install="user")
    assert history.ephemeral and "charged 113" in history.embeds[0]["description"]


async def test_setting_the_support_server_after_a_run_without_it_removes_old_registrations(desk):
    await _free_and_artisan(desk)
    await desk.start()
    old = as_an_earlier_version_registered(desk.emu.registered() + desk.emu.registered(desk.guild))
    await desk.stop()
    desk.emu.register_commands(old)  # an earlier version ran without TOKENDESK_GUILD_ID
    support_id = desk.services.settings.guild_id
    desk.services.settings = dataclasses.replace(desk.services.settings, guild_id=None)
    await desk.start()
    assert {c["name"] for c in desk.emu.registered()} == USER_COMMANDS
    assert desk.emu.registered(desk.guild) == []
    await desk.stop()

    desk.services.settings = dataclasses.replace(desk.services.settings, guild_id=support_id)
    await desk.start()
    assert {c["name"] for c in desk.emu.registered()} == USER_COMMANDS
    assert {c["name"] for c in desk.emu.registered(desk.guild)} == STAFF_COMMANDS
    mona, alice = desk.person("mona", "Moderator"), desk.person("alice")
    before = await ledger_rows(desk.services)
    stale = await desk.emu.slash(
        mona, "adjust", stale=True, user=alice, amount=1_000_000, reason="old"
    )
    assert stale.ephemeral and stale.embeds[0]["title"] == "Staff only"
    assert await ledger_rows(desk.services) == before
    current = await desk.emu.slash(mona, "adjust", user=alice, amount=10, reason="welcome")
    assert "applied +10" in current.embeds[0]["description"]
    assert fields((await desk.emu.slash(alice, "balance")).embeds[0])["Daily"] == "47"

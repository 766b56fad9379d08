"""The emulator's places and registrations: contexts, installs, stale commands, forgery."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.emulator import CommandNotAvailable, Emulator, EmulatorError


class Again(discord.ui.View):
    @discord.ui.button(label="Again", custom_id="where:again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        meta = interaction.message.interaction_metadata if interaction.message else None
        made_for = meta.user.id if meta else None
        await interaction.response.send_message(f"made for {made_for}", ephemeral=True)


class PlaceBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            guild_ready_timeout=0.05,
        )
        self.missing: list[str] = []

    async def setup_hook(self) -> None:
        @app_commands.command(description="Where am I?")
        @app_commands.allowed_installs(guilds=True, users=True)
        @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
        async def where(interaction: discord.Interaction) -> None:
            text = (
                f"context={interaction.context.to_array()} "
                f"user_install={interaction.is_user_integration()} "
                f"guild_install={interaction.is_guild_integration()}"
            )
            await interaction.response.send_message(text, ephemeral=True, view=Again())

        @app_commands.command(description="Servers that installed the bot only")
        async def serveronly(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

        self.tree.add_command(where)
        self.tree.add_command(serveronly)
        self.tree.on_error = self.answer_error
        await self.tree.sync()

    async def answer_error(self, interaction: discord.Interaction, error: Exception) -> None:
        self.missing.append(type(error).__name__)
        await interaction.response.send_message(f"error {type(error).__name__}", ephemeral=True)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})  # type: ignore[arg-type]
        if interaction.type is discord.InteractionType.component and (
            data.get("custom_id") != "where:again"
        ):
            await interaction.response.send_message(f"unknown {data.get('custom_id')}")


async def started(emu: Emulator):
    guild = emu.add_guild("g")
    alice, bob = emu.add_member(guild, "alice"), emu.add_member(guild, "bob")
    bot = PlaceBot()
    await emu.start_client(bot)
    return guild, alice, bob, bot


async def test_contexts_and_installs_are_reported_and_enforced(emu: Emulator) -> None:
    _, alice, bob, _ = await started(emu)
    group = emu.add_private_channel(alice, bob)
    cases = [
        (alice, {}, "context=[0] user_install=False guild_install=True"),
        (alice, {"install": "user"}, "context=[0] user_install=True guild_install=False"),
        (alice.user, {}, "context=[1] user_install=False guild_install=False"),
        (alice.user, {"install": "user"}, "context=[1] user_install=True guild_install=False"),
        (alice.user, {"channel": group, "install": "user"}, "context=[2] user_install=True"),
    ]
    for who, where, expected in cases:
        reply = await emu.slash(who, "where", **where)
        assert reply.content.startswith(expected), where
    with pytest.raises(CommandNotAvailable):  # default contexts: guild and bot DM only
        await emu.slash(alice.user, "serveronly", channel=group, install="user")
    with pytest.raises(CommandNotAvailable):  # default install type: guild only
        await emu.slash(alice, "serveronly", install="user")
    with pytest.raises(EmulatorError):  # the bot is not in group DMs
        await emu.slash(alice.user, "where", channel=group)


async def test_removed_commands_stay_invocable_as_stale_and_single_routes_work(
    emu: Emulator,
) -> None:
    guild, alice, _, bot = await started(emu)
    assert [g.id async for g in bot.fetch_guilds(limit=None)] == [guild.id]
    listed = {c.name: c for c in await bot.tree.fetch_commands()}
    fetched = await bot.tree.fetch_command(listed["serveronly"].id)
    assert fetched.name == "serveronly"
    assert bot.application_id is not None
    await bot.http.delete_global_command(bot.application_id, listed["serveronly"].id)
    assert {c["name"] for c in emu.registered()} == {"where"}
    with pytest.raises(CommandNotAvailable):
        await emu.slash(alice, "serveronly")
    stale = await emu.slash(alice, "serveronly", stale=True)  # a client's old list
    assert stale.content == "ok"  # Discord delivers it, and this bot still routes it
    bot.tree.remove_command("serveronly")
    gone = await emu.slash(alice, "serveronly", stale=True)
    assert gone.content == "error CommandNotFound" and bot.missing == ["CommandNotFound"]
    with pytest.raises(discord.NotFound):
        await bot.tree.fetch_command(listed["serveronly"].id)
    emu.take_problems()  # the 404 above is recorded as Discord's answer, not a failure


async def test_messages_say_who_they_are_for_and_forgeries_reach_the_bot(emu: Emulator) -> None:
    _, alice, bob, _ = await started(emu)
    reply = await emu.slash(alice, "where")
    assert reply.message is not None and reply.message.metadata_json is not None
    again = await emu.click(reply, "where:again")
    assert again.content == f"made for {alice.id}"
    forged = await emu.forge(bob, "where:missing", on=reply)  # bob cannot even see it
    assert forged.content == "unknown where:missing"

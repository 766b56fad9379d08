"""The emulator's threads (started from a message, one per message, with messages of their
own) and user context-menu commands, as discord.py uses them."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.emulator import CommandNotAvailable, Emulator
from tests.bot.desk import eventually


class ThreadBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            guild_ready_timeout=0.05,
        )

    async def setup_hook(self) -> None:
        @app_commands.context_menu(name="Hello")
        async def hello(interaction: discord.Interaction, user: discord.User) -> None:
            await interaction.response.send_message(f"hello {user.name}", ephemeral=True)

        self.tree.add_command(hello)
        await self.tree.sync()


@pytest.fixture
async def started(emu: Emulator):
    guild = emu.add_guild("threads")
    bot = ThreadBot()
    await emu.start_client(bot)
    yield emu, guild, bot
    await emu.stop_client(bot)


async def test_a_thread_starts_once_from_a_message_and_takes_its_id(started):
    emu, guild, bot = started
    channel = bot.get_partial_messageable(guild.default_channel.id, guild_id=guild.id)
    message = await channel.send("a ticket")
    data = await bot.http.start_thread_with_message(
        channel.id, message.id, name="Ticket #1", auto_archive_duration=10080
    )
    assert int(data["id"]) == message.id and data["parent_id"] == str(channel.id)
    with pytest.raises(discord.HTTPException) as again:
        await bot.http.start_thread_with_message(
            channel.id, message.id, name="Ticket #1", auto_archive_duration=10080
        )
    assert again.value.code == 160004  # Discord's "a thread has already been created"
    assert emu.take_problems() == []  # a correct bot meets this in a race: not a problem

    thread = bot.get_partial_messageable(message.id, type=discord.ChannelType.public_thread)
    await thread.send("first line")
    (started_from,) = emu.channel_messages(guild.default_channel)
    emulated = emu.thread_of(started_from)
    assert emulated is not None and emulated.name == "Ticket #1"
    assert [m.content for m in emu.thread_messages(started_from)] == ["first line"]
    fetched = await bot.fetch_channel(message.id)
    assert isinstance(fetched, discord.Thread) and fetched.parent_id == channel.id
    cached = await eventually(lambda: bot.get_guild(guild.id).get_thread(message.id))
    assert cached is not None  # THREAD_CREATE reached the gateway client


async def test_a_thread_cannot_start_from_a_thread_or_without_the_permission(emu: Emulator):
    guild = emu.add_guild("no threads", bot_permissions=1024 | 2048)  # view and send only
    bot = ThreadBot()
    await emu.start_client(bot)
    try:
        channel = bot.get_partial_messageable(guild.default_channel.id, guild_id=guild.id)
        message = await channel.send("a ticket")
        with pytest.raises(discord.Forbidden):
            await bot.http.start_thread_with_message(
                channel.id, message.id, name="x", auto_archive_duration=60
            )
    finally:
        await emu.stop_client(bot)


async def test_a_user_command_runs_on_its_target_where_it_is_registered(started):
    emu, guild, _ = started
    alice, bob = emu.add_member(guild, "alice"), emu.add_member(guild, "bob")
    reply = await emu.context_menu(alice, "Hello", bob)
    assert reply.content == "hello bob" and reply.ephemeral
    with pytest.raises(CommandNotAvailable):
        await emu.context_menu(alice, "Goodbye", bob)

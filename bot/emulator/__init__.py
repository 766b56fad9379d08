"""A loopback Discord emulator: REST + gateway on 127.0.0.1 for the real discord.py client.

Start with :class:`Emulator` (``async with Emulator() as emu: ...``); see
:mod:`bot.emulator.driver` for the driver API.
"""

from bot.emulator.discordpy import configure_discordpy, restore_discordpy
from bot.emulator.driver import Emulator
from bot.emulator.errors import (
    CommandNotAvailable,
    ComponentNotFound,
    EmulatorError,
    InteractionFailed,
    InvalidOptionValue,
    Problem,
    ProblemsRecorded,
)
from bot.emulator.message import Message
from bot.emulator.records import SentMessage
from bot.emulator.result import Choice, InteractionResult
from bot.emulator.state import Channel, Guild, Member, Role, User

__all__ = [
    "Channel",
    "Choice",
    "CommandNotAvailable",
    "ComponentNotFound",
    "Emulator",
    "EmulatorError",
    "Guild",
    "InteractionFailed",
    "InteractionResult",
    "InvalidOptionValue",
    "Member",
    "Message",
    "Problem",
    "ProblemsRecorded",
    "Role",
    "SentMessage",
    "User",
    "configure_discordpy",
    "restore_discordpy",
]

"""A loopback Discord emulator: REST + gateway on 127.0.0.1 for the real discord.py client.

Start with :class:`Emulator` (``async with Emulator() as emu: ...``); see
:mod:`bot.emulator.driver` for the driver API. It serves the tests and the offline sandbox;
nothing in it knows tokendesk's ledger. Its modules, from the bottom up:

- ``world``, ``message``, ``snowflakes``: the emulated Discord's state (guilds, members,
  roles, channels, users, messages).
- ``problems``: Discord's error codes and the problems the emulator records.
- ``schema``, ``fastcheck``, ``rules``: validation against Discord's OpenAPI document.
- ``payloads``, ``bodies``: JSON as Discord sends and receives it.
- ``registry``, ``commands``, ``places``: registered commands and where a user may use them.
- ``transcripts``, ``interactions``, ``components``, ``result``: interactions in flight and
  what the bot answered.
- ``gateway``, ``dispatches``: the websocket and the events relayed over it.
- ``rest`` and ``rest_app``, ``rest_commands``, ``rest_messages``, ``rest_interactions``:
  the HTTP API, one module per family of routes, installed by ``server``.
- ``actions``, ``forgery``, ``driver``, ``discordpy``: acting as users, and pointing
  discord.py at the emulator.

import-linter checks that these modules import each other without cycles.
"""

from bot.emulator.discordpy import configure_discordpy, restore_discordpy
from bot.emulator.driver import Emulator
from bot.emulator.message import Message
from bot.emulator.problems import (
    CommandNotAvailable,
    ComponentNotFound,
    EmulatorError,
    InteractionFailed,
    InvalidOptionValue,
    Problem,
    ProblemsRecorded,
)
from bot.emulator.result import Choice, InteractionResult
from bot.emulator.transcripts import SentMessage
from bot.emulator.world import Channel, Guild, Member, Role, User

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

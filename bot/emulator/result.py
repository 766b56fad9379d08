"""What the driver hands back for an interaction: the bot's answer, as a user would see it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.emulator.message import Message
from bot.emulator.problems import Problem
from bot.emulator.transcripts import InteractionRecord, SentMessage
from bot.emulator.world import User, World

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    """An autocomplete suggestion."""

    name: str
    value: str | int | float


def walk_components(components: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return every component, depth first (rows, sections, containers, labels)."""
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        children = list(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                children.append(component[key])
        found.extend(walk_components(children))
    return found


class InteractionResult:
    """The bot's answer to one interaction; a live view (later follow-ups show up too).

    ``content``, ``embeds``, ``components`` and ``ephemeral`` describe the latest message
    the bot sent or changed for the interaction: the initial response, the edit that
    replaced a "thinking..." state, or the follow-up after a deferral.
    """

    def __init__(self, record: InteractionRecord, world: World) -> None:
        self._record = record
        self._world = world

    def __repr__(self) -> str:
        return (
            f"<InteractionResult id={self.id} type={self._record.type} "
            f"response_type={self.response_type} messages={len(self.messages)}>"
        )

    @property
    def id(self) -> int:
        """The interaction id."""
        return self._record.id

    @property
    def token(self) -> str:
        """The interaction token (to call Discord's API directly in tests)."""
        return self._record.token

    @property
    def user(self) -> User:
        """Who triggered the interaction."""
        return self._world.users[self._record.user_id]

    @property
    def record(self) -> InteractionRecord:
        """The underlying record (payload sent, problems, timings)."""
        return self._record

    @property
    def acknowledgements(self) -> int:
        """How many callbacks the bot attempted (1 is the only correct answer)."""
        return self._record.callbacks

    @property
    def response_type(self) -> int | None:
        """The accepted callback type (4 message, 5 deferred, 7 update, 9 modal, ...)."""
        return self._record.response_type

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent for this interaction, in order."""
        return self._record.sent

    @property
    def followups(self) -> list[SentMessage]:
        """Only the follow-up messages."""
        return [m for m in self._record.sent if m.action == "followup"]

    @property
    def last(self) -> SentMessage | None:
        """The latest message state shown to the user (``None`` if nothing was shown)."""
        shown = [m for m in self._record.sent if m.action not in ("defer", "delete")]
        return shown[-1] if shown else None

    @property
    def content(self) -> str | None:
        """Text of :attr:`last`."""
        return None if self.last is None else self.last.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Embeds of :attr:`last` (Discord's JSON shape)."""
        return [] if self.last is None else self.last.embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        """Components of :attr:`last` (Discord's JSON shape)."""
        return [] if self.last is None else self.last.components

    @property
    def ephemeral(self) -> bool:
        """Whether :attr:`last` is only visible to the user (or the deferral said so)."""
        shown = self.last or next(iter(self._record.sent), None)
        return bool(shown and shown.ephemeral)

    @property
    def message(self) -> Message | None:
        """The stored message behind :attr:`last`, in its current state."""
        return None if self.last is None else self._world.messages.get(self.last.message_id)

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (``custom_id``, ``title``, ``components``), if any."""
        return self._record.modal

    @property
    def choices(self) -> list[Choice]:
        """Autocomplete suggestions the bot returned."""
        return [Choice(c["name"], c["value"]) for c in self._record.choices or []]

    @property
    def problems(self) -> list[Problem]:
        """Problems recorded for this interaction (also in the emulator's list)."""
        return list(self._record.problems)

    def buttons(self) -> list[dict[str, Any]]:
        """Buttons of :attr:`last`."""
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    async def wait_for_messages(self, count: int, *, within: float = 5.0) -> list[SentMessage]:
        """Wait until the bot sent ``count`` messages for this interaction.

        Raises:
            TimeoutError: if fewer arrived within ``within`` seconds.
        """
        async with asyncio.timeout(within):
            await self._record.wait_sent(count)
        return self.messages

"""What a modified client or a replayed request can send: components and modals with any
custom id, from anyone, on any message they can name.

Discord's own client only sends a component the user can see on a message (see
:meth:`~bot.emulator.actions.UserActions.click`). A bot must not rely on that: these
actions skip those checks, so tests can prove a bot refuses what it did not offer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.emulator.actions import Target, UserActions
from bot.emulator.components import ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT
from bot.emulator.interactions import envelope
from bot.emulator.message import Message
from bot.emulator.payloads import message_json
from bot.emulator.places import locate
from bot.emulator.problems import EmulatorError
from bot.emulator.result import InteractionResult
from bot.emulator.transcripts import MODAL_SUBMIT
from bot.emulator.world import Channel, Guild, Member, User

log = logging.getLogger(__name__)


class ForgedActions(UserActions):
    """Forged and replayed interactions (the driver's untrusted half)."""

    async def forge(
        self,
        user: Member | User,
        custom_id: str,
        *,
        on: Target,
        values: Sequence[str] | None = None,
    ) -> InteractionResult:
        """Press a button (or pick ``values`` in a string select) with ``custom_id`` on
        message ``on``, as ``user``, whether or not the message has that component or
        ``user`` may see it.

        Raises:
            EmulatorError: ``user`` is not in the message's guild.
            InteractionFailed: the bot did not answer properly.
        """
        person = user.user if isinstance(user, Member) else user
        message = self._message_of(on)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": BUTTON, "id": 1}
        if values is not None:
            data.update(component_type=STRING_SELECT, values=list(values))
        return await self.component_interaction(person, message, data)

    async def forge_modal(
        self,
        user: Member | User,
        custom_id: str,
        answers: Mapping[str, str],
        *,
        on: Target | None = None,
        guild: Guild | None = None,
        channel: Channel | None = None,
    ) -> InteractionResult:
        """Submit a modal the bot never opened for ``user``: text ``answers`` by field
        custom id, from the message ``on`` (or from where ``user`` is, like a command)."""
        message = self._message_of(on) if on is not None else None
        if message is not None:
            channel = self.world.channels[message.channel_id]
            guild = self.world.guilds.get(channel.guild_id or 0)
        place = locate(self.world, user, guild, channel)
        rows = [
            {
                "type": ACTION_ROW,
                "id": 2 * n + 1,
                "components": [{"type": TEXT_INPUT, "id": 2 * n + 2, "custom_id": k, "value": v}],
            }
            for n, (k, v) in enumerate(answers.items())
        ]
        source = message.id if message is not None else None
        record = self.server.tracker.open(
            MODAL_SUBMIT, place.user, place.channel, source_message_id=source
        )
        payload = message_json(message, self.world) if message is not None else None
        data = {"custom_id": custom_id, "components": rows}
        envelope(record, data, world=self.world, place=place, message=payload)
        return await self._run(record)

    def _message_of(self, target: Target) -> Message:
        if isinstance(target, Message):
            return target
        found = target.message
        if found is None:
            raise EmulatorError(f"interaction {target.id} left no message to use")
        return found

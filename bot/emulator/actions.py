"""Acting as Discord users: the interactions Discord's client sends, checked as it checks.

:class:`UserActions` is the half of :class:`~bot.emulator.driver.Emulator` that runs slash
commands, autocomplete, buttons, selects and modals, waiting for the bot's whole answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.emulator.commands import check_visible, invocation
from bot.emulator.components import find_button, find_select, modal_submission, select_data
from bot.emulator.errors import ComponentNotFound, EmulatorError, InteractionFailed
from bot.emulator.interactions import envelope
from bot.emulator.message import Message
from bot.emulator.payloads import message_json
from bot.emulator.records import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from bot.emulator.result import Choice, InteractionResult
from bot.emulator.state import Channel, Guild, Member, User, World

if TYPE_CHECKING:
    from bot.emulator.server import EmulatorServer

log = logging.getLogger(__name__)

#: A message to use components on: a bot's answer to an interaction, or a stored message.
Target = InteractionResult | Message


class UserActions:
    """Interactions as users trigger them; needs ``server`` and ``reply_timeout``."""

    server: EmulatorServer
    reply_timeout: float

    @property
    def world(self) -> World:
        """The emulated state (users, guilds, channels, messages)."""
        return self.server.world

    async def slash(
        self,
        user: Member | User,
        command: str,
        /,
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        options: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> InteractionResult:
        """Run ``/command`` (``"ticket approve"`` for subcommands) as ``user``.

        A :class:`Member` runs it in their guild, a :class:`User` in DMs. Options come as
        keywords or ``options={...}`` (for options named ``guild``, ``channel`` or
        ``options``); users, roles and channels are passed as emulator objects.

        Raises:
            CommandNotAvailable: not synced / not visible to the user / unknown option.
            InvalidOptionValue: a value Discord's client would not send.
            InteractionFailed: the bot did not answer properly.
        """
        values = {**(options or {}), **values}
        record = self._command(APPLICATION_COMMAND, user, command, values, guild, channel)
        return await self._run(record)

    async def autocomplete(
        self,
        user: Member | User,
        command: str,
        option: str,
        typed: str,
        /,
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        **values: Any,
    ) -> list[Choice]:
        """Type ``typed`` into ``option`` of ``/command`` and return the bot's suggestions."""
        values = {**values, option: typed}
        record = self._command(AUTOCOMPLETE, user, command, values, guild, channel, option)
        return (await self._run(record)).choices

    async def click(
        self, target: Target, button: str, *, user: Member | User | None = None
    ) -> InteractionResult:
        """Press the button with custom_id (or label) ``button`` on a message the bot sent."""
        message, component = self._component(target, lambda m: find_button(m, button), button)
        data = {"custom_id": component["custom_id"], "component_type": 2, "id": component["id"]}
        return await self._component_interaction(target, message, data, user)

    async def select(
        self,
        target: Target,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: Member | User | None = None,
    ) -> InteractionResult:
        """Pick ``values`` (option values, or users/roles/channels) in a select menu."""
        message, component = self._component(target, lambda m: find_select(m, custom_id), custom_id)
        channel = self.world.channels[message.channel_id]
        guild = self.world.guilds.get(channel.guild_id or 0)
        data = select_data(component, values, self.world, guild)
        return await self._component_interaction(target, message, data, user)

    async def submit_modal(
        self, target: InteractionResult, answers: Mapping[str, Any]
    ) -> InteractionResult:
        """Fill in and submit the modal the bot opened in answer to ``target``."""
        modal = target.modal
        if modal is None:
            raise ComponentNotFound(f"the bot opened no modal for interaction {target.id}")
        data = modal_submission(modal, answers)
        source = target.record
        place = self.world.channels[source.channel_id]
        person = self.world.users[source.user_id]
        message = self.world.messages.get(source.source_message_id or 0)
        record = self.server.tracker.open(
            MODAL_SUBMIT, person, place, source_message_id=source.source_message_id
        )
        payload = None if message is None else message_json(message, self.world)
        envelope(record, data, world=self.world, user=person, channel=place, message=payload)
        return await self._run(record)

    def _command(
        self,
        kind: int,
        user: Member | User,
        command: str,
        values: Mapping[str, Any],
        guild: Guild | None,
        channel: Channel | None,
        focused: str | None = None,
    ) -> InteractionRecord:
        person, where, place = self._locate(user, guild, channel)
        name, *path = command.split()
        synced = self.server.commands.find(name, where.id if where else None)
        check_visible(synced, self.world, where, person)
        data = invocation(synced, path, values, world=self.world, guild=where, focused=focused)
        record = self.server.tracker.open(kind, person, place)
        envelope(record, data, world=self.world, user=person, channel=place)
        return record

    def _locate(
        self, user: Member | User, guild: Guild | None, channel: Channel | None
    ) -> tuple[User, Guild | None, Channel]:
        where: Guild | None
        if isinstance(user, Member):
            home = self.world.guilds[user.guild_id]
            person, where = user.user, home
            if guild is not None and guild is not home:
                raise EmulatorError(f"{person.name} is a member of {home.name}, not {guild.name}")
        else:
            person, where = user, guild
            if guild is not None and user.id not in guild.members:
                raise EmulatorError(f"{user.name} is not a member of {guild.name}")
        if where is None:
            dm = self.world.dm_channel(person)
            if channel is not None and channel is not dm:
                raise EmulatorError("a DM interaction happens in the user's DM channel")
            return person, None, dm
        if channel is not None and channel.guild_id != where.id:
            raise EmulatorError(f"channel {channel.name} is not in {where.name}")
        return person, where, channel or where.default_channel

    def _component(
        self, target: Target, find: Callable[[Message], dict[str, Any] | None], key: str
    ) -> tuple[Message, dict[str, Any]]:
        if isinstance(target, Message):
            candidates = [target]
        else:
            ids = dict.fromkeys(s.message_id for s in reversed(target.messages))
            candidates = [m for i in ids if (m := self.world.messages.get(i)) is not None]
        for message in candidates:
            if message.deleted:
                continue
            component = find(message)
            if component is not None:
                return message, component
        raise ComponentNotFound(f"no usable component {key!r} on the bot's message(s)")

    async def _component_interaction(
        self,
        target: Target,
        message: Message,
        data: dict[str, Any],
        user: Member | User | None,
    ) -> InteractionResult:
        person = user.user if isinstance(user, Member) else user
        place = self.world.channels[message.channel_id]
        if person is None and isinstance(target, InteractionResult):
            person = target.user
        elif person is None and place.recipient_id is not None:
            person = self.world.users[place.recipient_id]  # a DM: its recipient
        if person is None:
            raise EmulatorError("say who uses the component: pass user=")
        owner = self.world.users.get(getattr(self._record_of(message), "user_id", 0) or 0)
        if message.ephemeral and owner is not None and owner is not person:
            raise ComponentNotFound(f"only {owner.name} can see that ephemeral message")
        if (
            place.guild_id is not None
            and person.id not in self.world.guilds[place.guild_id].members
        ):
            raise EmulatorError(f"{person.name} is not in the guild of that message")
        record = self.server.tracker.open(
            MESSAGE_COMPONENT, person, place, source_message_id=message.id
        )
        payload = message_json(message, self.world)
        envelope(record, data, world=self.world, user=person, channel=place, message=payload)
        return await self._run(record)

    def _record_of(self, message: Message) -> InteractionRecord | None:
        return self.server.tracker.get(message.interaction_id or 0)

    async def _run(self, record: InteractionRecord) -> InteractionResult:
        try:
            self.server.dispatch_interaction(record)
        except EmulatorError:
            self.server.tracker.abandon(record)
            raise
        try:
            async with asyncio.timeout(self.reply_timeout):
                await record.wait_finished()
        except TimeoutError:
            raise InteractionFailed(
                f"interaction {record.id} was deferred but the bot sent no follow-up or edit "
                f"within {self.reply_timeout:g} s",
                list(record.problems),
            ) from None
        return InteractionResult(record, self.world)

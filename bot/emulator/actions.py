"""Acting as Discord users: the interactions Discord's client sends, checked as it checks.

:class:`UserActions` is the half of :class:`~bot.emulator.driver.Emulator` that runs slash
commands, autocomplete, buttons, selects and modals, waiting for the bot's whole answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.emulator.commands import USER_COMMAND, invocation, user_invocation
from bot.emulator.components import find_button, find_select, modal_submission, select_data
from bot.emulator.interactions import envelope
from bot.emulator.message import Message
from bot.emulator.payloads import message_json
from bot.emulator.places import GUILD_INSTALL, USER_INSTALL, Place, check_available, locate
from bot.emulator.problems import ComponentNotFound, EmulatorError, InteractionFailed
from bot.emulator.result import Choice, InteractionResult
from bot.emulator.transcripts import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from bot.emulator.world import Channel, Guild, Member, User, World

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
        install: str = "guild",
        stale: bool = False,
        options: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> InteractionResult:
        """Run ``/command`` (``"ticket approve"`` for subcommands) as ``user``.

        A :class:`Member` runs it in their guild, a :class:`User` in DMs with the bot, or
        in ``channel`` if it is a private channel (``World.add_private_channel``).
        ``install="user"`` uses the app as installed to the user's account. ``stale=True``
        runs a command the app no longer registers there, as a Discord client still
        showing an old command list does. Options come as keywords or ``options={...}``
        (for options named ``guild``, ``channel``, ``install``, ``stale`` or
        ``options``); users, roles and channels are passed as emulator objects.

        Raises:
            CommandNotAvailable: not synced / not offered to the user there / unknown option.
            InvalidOptionValue: a value Discord's client would not send.
            InteractionFailed: the bot did not answer properly.
        """
        values = {**(options or {}), **values}
        place = locate(self.world, user, guild, channel, install)
        record = self._command(APPLICATION_COMMAND, place, command, values, stale=stale)
        return await self._run(record)

    async def context_menu(
        self,
        user: Member | User,
        name: str,
        target: Member | User,
        /,
        *,
        guild: Guild | None = None,
    ) -> InteractionResult:
        """Use the user context-menu command ``name`` (Apps -> name) on ``target``.

        Raises:
            CommandNotAvailable: not synced / not offered to the user there.
            InteractionFailed: the bot did not answer properly.
        """
        place = locate(self.world, user, guild, None)
        where = place.guild
        synced = self.server.commands.find(name, where.id if where else None, USER_COMMAND)
        check_available(synced, self.world, place)
        data = user_invocation(synced, target, world=self.world, guild=where)
        record = self.server.tracker.open(APPLICATION_COMMAND, place.user, place.channel)
        envelope(record, data, world=self.world, place=place)
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
        place = locate(self.world, user, guild, channel)
        record = self._command(AUTOCOMPLETE, place, command, values, focused=option)
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
        channel = self.world.channels[source.channel_id]
        person = self.world.users[source.user_id]
        message = self.world.messages.get(source.source_message_id or 0)
        place = Place(
            person, self.world.guilds.get(source.guild_id or 0), channel, _install(source)
        )
        record = self.server.tracker.open(
            MODAL_SUBMIT,
            person,
            channel,
            source_message_id=source.source_message_id,
            trigger_id=source.id,
        )
        payload = None if message is None else message_json(message, self.world)
        envelope(record, data, world=self.world, place=place, message=payload)
        return await self._run(record)

    def _command(
        self,
        kind: int,
        place: Place,
        command: str,
        values: Mapping[str, Any],
        *,
        focused: str | None = None,
        stale: bool = False,
    ) -> InteractionRecord:
        name, *path = command.split()
        where = place.guild
        synced = self.server.commands.find(name, where.id if where else None, stale=stale)
        check_available(synced, self.world, place)
        data = invocation(synced, path, values, world=self.world, guild=where, focused=focused)
        record = self.server.tracker.open(kind, place.user, place.channel)
        envelope(record, data, world=self.world, place=place)
        return record

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
        return await self.component_interaction(person, message, data)

    async def component_interaction(
        self, person: User, message: Message, data: dict[str, Any]
    ) -> InteractionResult:
        """Send a MESSAGE_COMPONENT interaction with ``data`` from ``person`` on ``message``.

        No check that the component is on the message or that ``person`` may see it: the
        caller decides (see :meth:`click`, and ``forge`` for what a modified client sends).
        """
        channel = self.world.channels[message.channel_id]
        guild = self.world.guilds.get(channel.guild_id or 0)
        if guild is not None and person.id not in guild.members:
            raise EmulatorError(f"{person.name} is not in the guild of that message")
        made_by = self._record_of(message)
        place = Place(person, guild, channel, _install(made_by) if made_by else GUILD_INSTALL)
        record = self.server.tracker.open(
            MESSAGE_COMPONENT, person, channel, source_message_id=message.id
        )
        payload = message_json(message, self.world)
        envelope(record, data, world=self.world, place=place, message=payload)
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


def _install(record: InteractionRecord) -> int:
    """The install an interaction used; components and modals on its messages use it too."""
    return USER_INSTALL if any(key == str(USER_INSTALL) for key, _ in record.owners) else 0

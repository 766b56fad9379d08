"""Interaction lifecycle: INTERACTION_CREATE envelopes, acknowledgement deadline, completion.

Discord gives a bot 3 seconds to acknowledge (call back) an interaction; after that the
user sees "This interaction failed" and the token no longer accepts a callback. A deferred
interaction is finished once the bot edits the original response or sends a follow-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.emulator.message import Message
from bot.emulator.payloads import channel_json, member_json, user_json
from bot.emulator.places import Place
from bot.emulator.problems import KIND_INTERACTION_FAILED, InteractionFailed, Problem
from bot.emulator.transcripts import (
    APPLICATION_COMMAND,
    FINAL_CALLBACKS,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from bot.emulator.world import DEFAULT_BOT_PERMISSIONS, Channel, User, World

log = logging.getLogger(__name__)

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InteractionTracker:
    """Creates interaction records and enforces Discord's acknowledgement deadline.

    Args:
        world: The emulator state (ids, messages).
        ack_timeout: Seconds the bot has to acknowledge (Discord: 3).
        record_problem: Called with problems the tracker detects (failed interactions);
            it must attach them to the record with :meth:`note_problem`.
        history: Finished interactions kept for inspection; older ones (and their
            ephemeral messages, which no one else can see) are forgotten.
    """

    def __init__(
        self,
        world: World,
        ack_timeout: float,
        record_problem: Callable[[Problem], None],
        *,
        history: int = 10_000,
    ) -> None:
        self._world = world
        self.ack_timeout = ack_timeout
        self.history = history
        self._record_problem = record_problem
        self._by_id: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        # Deadlines follow creation order, so one timer for the oldest pending one suffices
        # (no TimerHandle per interaction for the garbage collector to churn through).
        self._pending: deque[InteractionRecord] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def open(self, kind: int, user: User, channel: Channel, **extra: Any) -> InteractionRecord:
        """Register a new interaction and start its 3-second clock."""
        loop = asyncio.get_running_loop()
        record = InteractionRecord(
            id=self._world.ids.next(),
            token=f"emulator.{secrets.token_urlsafe(24)}",
            type=kind,
            user_id=user.id,
            guild_id=channel.guild_id,
            channel_id=channel.id,
            deadline=loop.time() + self.ack_timeout,
            **extra,
        )
        self._by_id[record.id] = record
        self._by_token[record.token] = record
        self._pending.append(record)
        if self._timer is None:
            self._timer = loop.call_at(record.deadline, self._sweep)
        self._forget_old()
        return record

    def _forget_old(self) -> None:
        while len(self._by_id) > self.history:
            oldest = next(iter(self._by_id.values()))
            if not oldest.finished:
                return
            del self._by_id[oldest.id]
            del self._by_token[oldest.token]
            for raw in oldest.sent_raw:
                message = self._world.messages.get(raw[1])
                if message is not None and message.ephemeral:
                    del self._world.messages[message.id]

    def abandon(self, record: InteractionRecord) -> None:
        """Forget an interaction that could not be delivered (no deadline, no failure)."""
        record.finished = True
        self._by_id.pop(record.id, None)
        self._by_token.pop(record.token, None)

    def latest(self) -> InteractionRecord | None:
        """The interaction created last (in flight or finished), if any is remembered."""
        return next(reversed(self._by_id.values()), None)

    def get(self, interaction_id: int) -> InteractionRecord | None:
        """Return the record of an interaction id."""
        return self._by_id.get(interaction_id)

    def by_token(self, token: str) -> InteractionRecord | None:
        """Return the record owning an interaction token."""
        return self._by_token.get(token)

    def acknowledge(self, record: InteractionRecord, callback_type: int) -> None:
        """Note an accepted callback; final callback types finish the interaction."""
        record.acknowledged_at = time.perf_counter()
        record.response_type = callback_type
        if callback_type in FINAL_CALLBACKS:
            self._finish(record)

    def note_sent(self, record: InteractionRecord, action: str, message: Message) -> None:
        """Log a message sent for the interaction; it finishes a deferred interaction."""
        embeds, components = message.parts_json()
        snapshot = (action, message.id, message.content, embeds, components, message.flags)
        record.sent_raw = (*record.sent_raw, snapshot)
        if action != "defer":
            self._finish(record)
        record.wake()

    @staticmethod
    def _finish(record: InteractionRecord, failure: InteractionFailed | None = None) -> None:
        if not record.finished:
            record.finished, record.failure = True, failure
            record.wake()

    def note_problem(self, record: InteractionRecord, problem: Problem) -> None:
        """Attach a problem; a deferred interaction whose follow-up was refused fails now."""
        record.problems = (*record.problems, problem)
        if record.acknowledged:
            note = f"the bot's answer to interaction {record.id} was refused"
            self._finish(record, InteractionFailed(note, [problem]))

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = None
        while self._pending and (
            self._pending[0].acknowledged or self._pending[0].deadline <= loop.time()
        ):
            record = self._pending.popleft()
            if not record.acknowledged and not record.finished:
                self._expire(record)
        if self._pending:
            self._timer = loop.call_at(self._pending[0].deadline, self._sweep)

    def _expire(self, record: InteractionRecord) -> None:
        record.expired = True
        message = (
            f"This interaction failed: the bot did not acknowledge interaction {record.id} "
            f"within {self.ack_timeout:g} s"
        )
        problem = Problem(KIND_INTERACTION_FAILED, message, interaction_id=record.id)
        log.error("%s", problem)
        self._record_problem(problem)  # also attaches it to record.problems
        self._finish(record, InteractionFailed(message, list(record.problems)))

    def close(self) -> None:
        """Cancel pending deadlines (the emulator is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()


def envelope(
    record: InteractionRecord,
    data: dict[str, Any],
    *,
    world: World,
    place: Place,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the INTERACTION_CREATE ``d`` Discord sends for ``record`` (and store it)."""
    guild, user, channel = place.guild, place.user, place.channel
    owners = place.owners()
    payload: dict[str, Any] = {
        "id": str(record.id),
        "application_id": str(world.application.id),
        "type": record.type,
        "data": data,
        "token": record.token,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": channel_json(channel, world),
        "locale": user.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "authorizing_integration_owners": owners,
        "context": place.context,
    }
    if guild is not None:
        member_perms = str(world.permissions(guild, user.id))
        member = member_json(guild.members[user.id])
        member["permissions"] = member_perms
        payload["channel"]["permissions"] = member_perms
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": guild.locale, "features": []},
            guild_locale=guild.locale,
            member=member,
            app_permissions=str(world.permissions(guild, world.application.bot.id)),
        )
    else:
        payload.update(user=user_json(user), app_permissions=str(DEFAULT_BOT_PERMISSIONS))
    if message is not None:
        payload["message"] = message
    record.owners = tuple(owners.items())
    record.payload_json = json.dumps(payload, separators=(",", ":"))
    return payload


def metadata_json(record: InteractionRecord, world: World, tracker: InteractionTracker) -> str:
    """The ``interaction_metadata`` of a message ``record``'s response creates (JSON text)."""
    return json.dumps(_metadata(record, world, tracker), separators=(",", ":"))


def _metadata(
    record: InteractionRecord, world: World, tracker: InteractionTracker
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "user": user_json(world.users[record.user_id]),
        "authorizing_integration_owners": dict(record.owners),
    }
    if record.type == MESSAGE_COMPONENT:
        meta["interacted_message_id"] = str(record.source_message_id or 0)
    elif record.type == MODAL_SUBMIT:
        trigger = tracker.get(record.trigger_id or 0)
        if trigger is not None:
            meta["triggering_interaction_metadata"] = _metadata(trigger, world, tracker)
        else:  # a forged submit, or its trigger was forgotten: as if a command opened it
            meta["triggering_interaction_metadata"] = {**meta, "type": APPLICATION_COMMAND}
    return meta

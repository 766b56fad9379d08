"""What the emulator remembers about each interaction, and Discord's interaction constants."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.emulator.message import EPHEMERAL
from bot.emulator.problems import InteractionFailed, Problem

log = logging.getLogger(__name__)

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
#: Callback types Discord accepts per interaction type (12 = launch activity).
ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    APPLICATION_COMMAND: frozenset({4, 5, 9, 12}),
    MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9, 12}),
    AUTOCOMPLETE: frozenset({8}),
    MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}
FINAL_CALLBACKS = frozenset({CHANNEL_MESSAGE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL, 12})


class SentMessage(NamedTuple):
    """A snapshot of one message the bot created or changed while answering.

    Attributes:
        action: ``"create"`` (initial response), ``"defer"`` (the loading message),
            ``"update"`` (component message updated), ``"edit"``, ``"followup"``, ``"delete"``.
    """

    action: str
    message_id: int
    content: str
    embeds_json: str
    components_json: str
    flags: int

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The embeds at that moment (Discord's JSON shape)."""
        parsed: list[dict[str, Any]] = json.loads(self.embeds_json)
        return parsed

    @property
    def components(self) -> list[dict[str, Any]]:
        """The components at that moment (Discord's JSON shape)."""
        parsed: list[dict[str, Any]] = json.loads(self.components_json)
        return parsed

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees this message."""
        return bool(self.flags & EPHEMERAL)


@dataclass(eq=False, slots=True)
class InteractionRecord:
    """Everything known about one interaction the emulator created.

    Kept lean (slots, tuples, the payload as JSON text): a benchmark keeps thousands
    alive, and every container object adds to the garbage collector's pauses.
    """

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    source_message_id: int | None = None
    trigger_id: int | None = None  # a modal submit: the interaction that opened the modal
    owners: tuple[tuple[str, str], ...] = ()  # authorizing_integration_owners
    payload_json: str = "{}"
    callbacks: int = 0
    response_type: int | None = None
    original_message_id: int | None = None
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    sent_raw: tuple[tuple[Any, ...], ...] = ()  # SentMessage fields as plain tuples
    problems: tuple[Problem, ...] = ()
    expired: bool = False
    finished: bool = False
    failure: InteractionFailed | None = None
    deadline: float = 0.0  # event-loop time by which a callback must arrive
    dispatched_at: float = 0.0  # perf_counter() when INTERACTION_CREATE went to the gateway
    acknowledged_at: float = 0.0  # perf_counter() when the first callback was accepted
    waiters: tuple[tuple[int, asyncio.Future[None]], ...] = ()

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE ``d`` that was dispatched (parsed on each access)."""
        parsed: dict[str, Any] = json.loads(self.payload_json)
        return parsed

    @property
    def sent(self) -> list[SentMessage]:
        """Messages sent for this interaction, in order.

        Stored as plain tuples: CPython's collector stops tracking tuples of atomic values,
        so thousands of kept records cost the garbage collector nothing.
        """
        return [SentMessage(*raw) for raw in self.sent_raw]

    @property
    def acknowledged(self) -> bool:
        """Whether a callback was accepted."""
        return self.response_type is not None

    async def wait_finished(self) -> None:
        """Wait until the bot finished answering (bound it with a timeout).

        Raises:
            InteractionFailed: if the interaction failed.
        """
        if not self.finished:
            await self._wait(0)
        if self.failure is not None:
            raise self.failure

    async def wait_sent(self, count: int) -> None:
        """Wait until at least ``count`` messages were sent (bound it with a timeout)."""
        if len(self.sent_raw) < count:
            await self._wait(count)

    async def _wait(self, count: int) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self.waiters = (*self.waiters, (count, waiter))
        try:
            await waiter
        finally:
            self.waiters = tuple(w for w in self.waiters if w[1] is not waiter)

    def wake(self) -> None:
        """Resolve the waiters whose condition now holds (count 0 = finished)."""
        for count, waiter in self.waiters:
            ready = self.finished if count == 0 else len(self.sent_raw) >= count
            if ready and not waiter.done():
                waiter.set_result(None)

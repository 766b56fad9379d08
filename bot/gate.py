"""The one door every interaction passes: slash commands, autocompletes, buttons, selects, modals.

`InteractionGate.run` wraps the handling of one interaction. It is called from exactly
two places: `GatedTree._call` (every application command) and
`bot.guards.settle` (every component and modal). Here, and nowhere else:

- interactions are counted and timed (`tokendesk_interactions_total{command,outcome}`,
  `tokendesk_interaction_duration_seconds`), with outcome `ok`, `refused` (a check said
  no), `error` (an incident) or `dropped` (arrived while stopping);
- interactions in flight are known, so that a stopping process finishes them
  (`drain`) and takes no new ones: those are left unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
from collections.abc import Awaitable, Iterator
from typing import Any

import discord
from discord import app_commands

from bot.errors import handle_error
from bot.metrics import Metrics

log = logging.getLogger(__name__)

__all__ = ["GatedTree", "InteractionGate", "label", "outcome_of"]

_REFUSED = (
    app_commands.CheckFailure,
    app_commands.TransformerError,
    app_commands.CommandOnCooldown,
    app_commands.CommandNotFound,  # a stale registration: refused, not an incident
)
_WORD = re.compile(r"[a-z_]{1,16}")


def outcome_of(error: BaseException) -> str:
    """`refused` for a check or option the user got wrong, `error` for anything else."""
    original = getattr(error, "original", error)
    return "refused" if isinstance(error, _REFUSED) or isinstance(original, _REFUSED) else "error"


def label(interaction: discord.Interaction) -> str:
    """The `command` label: the command's name, or a component's id without its state.

    Custom ids carry state (`tdk:approve:12`); only their leading words are kept
    (`button tdk:approve`), so the label takes few values.
    """
    if interaction.type in (
        discord.InteractionType.application_command,
        discord.InteractionType.autocomplete,
    ):
        command = interaction.command
        name = command.qualified_name if command is not None else "unknown command"
        if interaction.type is discord.InteractionType.autocomplete:
            return f"{name} (autocomplete)"
        return name
    data: Any = interaction.data or {}
    words = []
    for part in str(data.get("custom_id", "")).split(":")[:2]:
        if not _WORD.fullmatch(part):
            break
        words.append(part)
    kind = "modal" if interaction.type is discord.InteractionType.modal_submit else "component"
    return " ".join([kind, ":".join(words)]) if words else kind


async def answer_error(interaction: discord.Interaction, error: Exception) -> None:
    """Note the outcome on the interaction, then let the one error handler answer."""
    interaction.extras["outcome"] = outcome_of(error)
    await handle_error(interaction, error)


QUIET_S = 0.01
"""How long without an interaction starting or ending makes a quiet moment, by default."""


class InteractionGate:
    """Counts, times and tracks interactions; refuses new ones once stopping."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_active = 0.0
        """When an interaction last started or ended (`time.monotonic`)."""
        self.calm_s = QUIET_S
        """How long without an interaction starting or ending makes a quiet moment."""

    @property
    def in_flight(self) -> int:
        """Interactions being handled now."""
        return self._in_flight

    async def run(self, interaction: discord.Interaction, work: Awaitable[None]) -> None:
        """Handle one interaction: `work` runs unless stopping; any failure is answered."""
        if self.stopping:
            if inspect.iscoroutine(work):
                work.close()
            log.info("stopping: left interaction %s unanswered", interaction.id)
            self.metrics.interactions.labels(label(interaction), "dropped").inc()
            return
        started = time.perf_counter()
        log.debug("interaction %s (%s): handling", interaction.id, label(interaction))
        with self.handling():
            try:
                await work
            except Exception as exc:
                await answer_error(interaction, exc)
            finally:
                failed = "error" if interaction.command_failed else "ok"
                outcome = interaction.extras.get("outcome", failed)
                elapsed = time.perf_counter() - started
                self.metrics.interaction(label(interaction), outcome, elapsed)

    @contextlib.contextmanager
    def handling(self) -> Iterator[None]:
        """Count one interaction in flight for as long as the block runs."""
        self._in_flight += 1
        self._idle.clear()
        self._last_active = time.monotonic()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._last_active = time.monotonic()
            if self._in_flight == 0:
                self._idle.set()

    async def quiet(self, within: float) -> None:
        """Wait for a quiet moment, `within` seconds at most: no interaction being handled,
        and none started or ended for `calm_s` seconds.

        Background work that can wait (the outbox's DMs and thread lines) gives way here, so
        that it never costs an interaction its 3 seconds; under constant load it still
        goes on, one step per `within` seconds.
        """
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            if self._in_flight:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), left)
                continue
            rest = self._last_active + self.calm_s - time.monotonic()
            if rest <= 0:
                return
            await asyncio.sleep(min(rest, left))

    async def drain(self, within: float) -> bool:
        """Take no new interactions; wait up to `within` s for those in flight to finish.

        Returns:
            Whether every interaction in flight finished.
        """
        self.stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True


class GatedTree(app_commands.CommandTree):
    """The command tree: every application command passes through the client's gate."""

    async def _call(self, interaction: discord.Interaction) -> None:
        gate: InteractionGate = self.client.gate  # type: ignore[attr-defined]
        await gate.run(interaction, super()._call(interaction))

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await answer_error(interaction, error)

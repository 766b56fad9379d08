"""Delivering the outbox: DMs, thread lines, triage messages, alerts, once each.

Every running bot process runs one `Deliverer`. It claims due items with a lease,
hands each to the handler registered for its (kind, topic), and records the outcome.
A handler sends through `send_once`, which gives Discord the item's nonce with
`enforce_nonce`: if this process dies after Discord accepted a message but before the
outcome was written, the item's lease runs out, another process claims it, and its
send returns the message already sent instead of posting it twice.

Deliveries never crowd out interactions: at most `rate` sends a second per process,
one at a time, and the loop yields between items.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from ledger import Deliveries, OutboxItem, OutboxKind, OutboxOutcome

log = logging.getLogger(__name__)

__all__ = ["Deliverer", "Handler", "NotYet", "nonce_of", "send_once", "wake_deliveries"]

Handler = Callable[[OutboxItem], Awaitable[OutboxOutcome]]
MAX_ATTEMPTS = 8
NOT_YET_ATTEMPTS = 40
"""An item that is not ready (`NotYet`) is tried this many times before it is given up."""
DM_CLOSED = 50007
"""Discord's code for "Cannot send messages to this user"."""


class NotYet(Exception):
    """A handler cannot deliver its item yet (a thread line whose thread is being made).

    The item is tried again after `after_s` seconds, without an error in the log.
    """

    def __init__(self, why: str, after_s: float = 1.0) -> None:
        super().__init__(why)
        self.after_s = after_s


def nonce_of(item: OutboxItem) -> str:
    """The Discord nonce of an item's message: the same on every attempt, 25 chars at most."""
    return f"tdk{item.id}"


async def send_once(
    channel: discord.abc.Messageable, item: OutboxItem, *, nonce: str | None = None, **message: Any
) -> discord.Message:
    """Send an item's message so that a retry of the same item cannot post it twice.

    Args:
        channel: where it goes.
        item: the outbox item it delivers.
        nonce: instead of the item's own nonce, one that several items share when they
            may each be the one to post the same message (a ticket's triage message).
        **message: what `Messageable.send` takes.

    Raises:
        discord.HTTPException: Discord refused it (the caller decides what that means).
    """
    return await channel.send(nonce=nonce or nonce_of(item), **message)


def wake_deliveries(client: discord.Client) -> None:
    """Something was just decided in this process: deliver it now, not at the next look."""
    deliverer = getattr(client, "deliverer", None)
    if deliverer is not None:
        deliverer.poke()


def holder_name() -> str:
    """A name for this process in leases: host and pid."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class Deliverer:
    """Claims and delivers outbox items until stopped.

    Args:
        deliveries: the ledger's outbox.
        rate: sends per second at most.
        idle_s: how long to wait for new items when there are none (other processes
            add items too; an item added here wakes the loop at once through `poke`).
        lease_s: how long a claim lasts before another process may take the item.
        give_way: waits (up to the seconds it is given) for a moment without interactions;
            each item waits for one, `patience_s` at most, so delivering never competes
            with an interaction for the event loop or the database.
    """

    def __init__(
        self,
        deliveries: Deliveries,
        *,
        rate: float = 20.0,
        idle_s: float = 0.5,
        lease_s: float = 60.0,
        batch: int = 10,
        give_way: Callable[[float], Awaitable[None]] | None = None,
        patience_s: float = 0.5,
    ) -> None:
        self._deliveries = deliveries
        self._handlers: dict[tuple[OutboxKind, str], Handler] = {}
        self._interval = 1.0 / rate
        self._idle_s = idle_s
        self._lease_s = lease_s
        self._batch = batch
        self._give_way = give_way
        self.patience_s = patience_s
        """Seconds an item waits at most for a moment without interactions."""
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.holder = holder_name()
        self.delivered = 0

    def register(self, kind: OutboxKind, topic: str, handler: Handler) -> None:
        """Deliver items of this kind and topic with `handler`."""
        self._handlers[(kind, topic)] = handler

    def poke(self) -> None:
        """Something was just added: look now instead of after the idle wait."""
        self._wake.set()

    def start(self) -> None:
        """Run the loop in the background."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="tokendesk-deliverer")

    async def stop(self) -> None:
        """Finish the item in hand and stop; unclaimed items wait for the next process."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                worked = await self.drain_once()
            except Exception:  # the database went away: keep trying, quietly
                log.warning("delivery: cannot reach the outbox; trying again", exc_info=True)
                worked = False
            if not worked and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_s)

    async def drain_once(self) -> bool:
        """Claim one batch and deliver it; False when there was nothing to deliver."""
        if await self._deliveries.waiting() == 0:
            return False
        items = await self._deliveries.claim(self.holder, limit=self._batch, lease_s=self._lease_s)
        for item in items:
            if self._stopping:
                await self._deliveries.retry(item.id, 0)  # give it back for someone else
                continue
            if self._give_way is not None:
                await self._give_way(self.patience_s)
            await self._deliver(item)
            await asyncio.sleep(self._interval)
        return bool(items)

    async def _deliver(self, item: OutboxItem) -> None:
        handler = self._handlers.get((item.kind, item.topic))
        if handler is None:
            log.error("delivery: no handler for %s/%s (item %d)", item.kind, item.topic, item.id)
            await self._deliveries.finish(item.id, OutboxOutcome.FAILED)
            return
        try:
            outcome = await handler(item)
        except NotYet as wait:
            if item.attempts < NOT_YET_ATTEMPTS:
                log.debug("delivery: item %d not ready (%s)", item.id, wait)
                await self._deliveries.retry(item.id, min(30.0, wait.after_s * item.attempts))
                return
            log.error("delivery: item %d never became ready (%s); giving up", item.id, wait)
            outcome = OutboxOutcome.FAILED
        except discord.Forbidden as exc:
            log.info("delivery: item %d unreachable (%s)", item.id, exc.text or exc.status)
            outcome = OutboxOutcome.UNREACHABLE
        except discord.NotFound:
            outcome = OutboxOutcome.UNREACHABLE
        except Exception as exc:  # Discord or the database failed, or a bug: try again later
            if item.attempts >= MAX_ATTEMPTS:
                log.error(
                    "delivery: item %d failed %d times; giving up",
                    item.id,
                    item.attempts,
                    exc_info=True,
                )
                outcome = OutboxOutcome.FAILED
            else:
                delay = min(300.0, 2.0**item.attempts)
                expected = isinstance(exc, discord.HTTPException | OSError | TimeoutError)
                log.log(
                    logging.INFO if expected else logging.ERROR,
                    "delivery: item %d: %s; again in %.0f s",
                    item.id,
                    exc,
                    delay,
                    exc_info=not expected,
                )
                await self._deliveries.retry(item.id, delay)
                return
        await self._deliveries.finish(item.id, outcome)
        if outcome is OutboxOutcome.SENT:
            self.delivered += 1

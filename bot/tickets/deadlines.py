"""The desk's timed jobs in a bot process: SLA reminders, auto-close warnings, auto-close.

Every bot process runs a `DeskTimer`. Each minute it tries to take the `desk-deadlines`
lease (`ledger.Deliveries.take_lease`, in ledger time): whoever holds it runs the sweep
(`TicketDesk.sweep`), so one process at a time decides. What a sweep decides is written
with outbox keys and re-checked under row locks (`diagnostics.deadlines`), so a sweep
run twice, by two processes or across a restart, decides each thing once; anything
due while no process ran is decided by the next sweep. A clean stop lets the lease go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from bot.delivery import holder_name, wake_deliveries
from diagnostics.desk import Swept

if TYPE_CHECKING:
    from bot.app import TokendeskBot

log = logging.getLogger(__name__)

__all__ = ["LEASE", "DeskTimer"]

LEASE = "desk-deadlines"
MAX_ROUNDS = 20
"""Sweeps in a row when each finds a full batch (a long backlog after downtime)."""


class DeskTimer:
    """Runs the desk's sweep every `every_s` seconds while it holds the lease.

    Args:
        bot: the bot (its services and deliverer).
        every_s: seconds between runs (real time).
        lease_s: how long a run holds the lease (ledger time); longer than a run takes.
    """

    def __init__(self, bot: TokendeskBot, *, every_s: float = 60.0, lease_s: float = 300.0) -> None:
        self._bot = bot
        self._every_s = every_s
        self._lease_s = lease_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.holder = f"{holder_name()}:{secrets.token_hex(3)}"

    def start(self) -> None:
        """Run in the background: the first run after `every_s`, then every `every_s`."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="tokendesk-desk-timer")

    async def stop(self) -> None:
        """Finish the run in hand, stop, and let the lease go."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        with contextlib.suppress(Exception):  # the database may be gone already
            await self._bot.services.ledger.deliveries.release_lease(LEASE, self.holder)

    async def run_once(self) -> Swept | None:
        """One run: take the lease, sweep until no batch is full; None without the lease.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        services = self._bot.services
        if not await services.ledger.deliveries.take_lease(LEASE, self.holder, self._lease_s):
            return None
        swept = await services.desk.sweep()
        total = Swept(swept.reminded, swept.warned, swept.closed)
        rounds = 1
        while swept.full and rounds < MAX_ROUNDS:
            swept = await services.desk.sweep()
            total = Swept(
                total.reminded + swept.reminded,
                total.warned + swept.warned,
                total.closed + swept.closed,
            )
            rounds += 1
        if total.reminded or total.warned or total.closed:
            log.info(
                "desk deadlines: %d reminded, %d warned, %d closed",
                len(total.reminded),
                len(total.warned),
                len(total.closed),
            )
            wake_deliveries(self._bot)
        return total

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._every_s)
            if self._stop.is_set():
                return
            try:
                await self.run_once()
            except Exception:  # the database went away: try again next time
                log.warning("desk deadlines: the run failed; trying again", exc_info=True)

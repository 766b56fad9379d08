"""The timed job behind `rollover` notices: one process at a time, each notice once.

Every bot process runs it; a named lease in the database lets one of them work at a
time, and each notice's key (account and renewal) makes a second decision add nothing,
so a restart, a slow process or two processes at once never send a notice twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.delivery import holder_name
from ledger import ROLLOVER_JOB, LedgerService

log = logging.getLogger(__name__)

__all__ = ["RolloverJob"]

EVERY_S = 15 * 60.0
"""How often the job looks: a notice is decided within this much of three days before."""


class RolloverJob:
    """Decides `rollover` notices every `every_s` seconds, from one process at a time.

    Args:
        ledger: the ledger.
        wake: called when notices were added, so the deliverer sends them at once.
        every_s: seconds between looks (the lease lasts as long).
    """

    def __init__(
        self, ledger: LedgerService, wake: Callable[[], None], *, every_s: float = EVERY_S
    ) -> None:
        self._ledger = ledger
        self._wake = wake
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.holder = holder_name()

    async def run_once(self) -> int | None:
        """Look now if no other process holds the job; how many notices were added.

        Returns:
            None when another process holds the job, else the count of new notices.

        Raises:
            DatabaseUnavailable: the database cannot be reached.
        """
        if not await self._ledger.deliveries.take_lease(ROLLOVER_JOB, self.holder, self._every_s):
            return None
        added = await self._ledger.decide_rollover_notices()
        if added:
            log.info("rollover notices: %d decided", added)
            self._wake()
        return added

    def start(self) -> None:
        """Look now, then every `every_s` seconds, in the background."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="tokendesk-rollover-job")

    async def stop(self) -> None:
        """Stop looking; a look in progress finishes first."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the database went away: the next look tries again
                log.warning("rollover notices: could not look this time", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._every_s)

"""Fixtures for bot tests that run real discord.py clients against the Discord emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.emulator import Emulator


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A running emulator; the test fails if it recorded problems nobody took.

    ``paranoid=True`` cross-checks the fast schema validator against ``jsonschema`` on
    every body. The acknowledgement deadline is Discord's own 3 seconds: a shorter one
    made 50 interactions at once fail on a busy CI machine, which says nothing about
    the bot. The answer after a deferral may take as long again.
    """
    async with Emulator(ack_timeout=3.0, reply_timeout=6.0, paranoid=True) as emulator:
        yield emulator
    if emulator.problems:
        pytest.fail("\n".join(["Discord emulator problems:", *map(str, emulator.problems)]))


@pytest.fixture
async def desk(emu, sqlite_url):
    """The real bot, connected to the emulator, on a fresh ledger at 2026-03-10 12:00 UTC.

    Tests add accounts with `desk.send(...)` and then `await desk.start()`.
    """
    from datetime import UTC, datetime

    from tests.bot.desk import open_desk

    opened = await open_desk(emu, sqlite_url, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    yield opened
    await opened.stop()
    await opened.services.close()

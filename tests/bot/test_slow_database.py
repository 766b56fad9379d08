"""SPEC 4: every interaction is acknowledged within Discord's 3 seconds, even when the
database is slow. Another connection holds the ledger's write lock for 4 seconds while a
button, a select and a modal are used; the emulator enforces the real 3-second deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.emulator import Emulator, InteractionResult
from tests.bot.desk import eventually, fields, open_desk, write_lock_held
from tests.bot.test_tickets import _erin, posted

HOLD = 4.0  # seconds the lock is held: longer than Discord waits for an acknowledgement


@pytest.fixture
async def slow_desk(sqlite_url) -> AsyncIterator:
    async with Emulator(ack_timeout=3.0, reply_timeout=3.0 + HOLD * 4, paranoid=True) as emu:
        desk = await open_desk(emu, sqlite_url, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
        await _erin(desk)
        await desk.start()
        await desk.emu.slash(desk.person("erin"), "refund", generation_id="g-fail")
        try:
            yield desk
        finally:
            await desk.stop()
            await desk.services.close()
        assert emu.problems == []


async def _while_the_database_is_locked(
    desk, act: Callable[[], Awaitable[InteractionResult]]
) -> InteractionResult:
    """Run `act` under the lock: it must be acknowledged meanwhile, and finished after."""
    loop = asyncio.get_running_loop()
    known = desk.emu.latest_interaction()
    async with write_lock_held(desk.services.settings.database_url):
        released_at = loop.time() + HOLD
        task = asyncio.ensure_future(act())
        try:
            started = await eventually(lambda: _newer(desk, known), within=HOLD)
            assert started is not None
            acknowledged = await eventually(lambda: started.record.acknowledged, within=HOLD)
            assert acknowledged, "not acknowledged while the database was locked"
            assert not started.record.finished  # the answer itself waits for the database
            await asyncio.sleep(max(0.0, released_at - loop.time()))
        except BaseException:
            task.cancel()
            raise
    result = await task  # the emulator failed it if the 3-second deadline passed
    assert result.acknowledgements == 1
    return result


def _newer(desk, known: InteractionResult | None) -> InteractionResult | None:
    latest = desk.emu.latest_interaction()
    if latest is None or (known is not None and latest.id == known.id):
        return None
    return latest


async def test_a_button_is_acknowledged_while_the_database_is_locked(slow_desk):
    desk = slow_desk
    sam = desk.person("sam", "Support")
    message = (await posted(desk))[-1]
    claimed = await _while_the_database_is_locked(
        desk, lambda: desk.emu.click(message, "tdk:claim:1", user=sam)
    )
    assert fields(claimed.embeds[0])["State"] == "being looked at"
    assert (await desk.services.desk.get(1)).state == "claimed"


async def test_a_select_is_acknowledged_while_the_database_is_locked(slow_desk):
    desk = slow_desk
    await desk.emu.slash(desk.person("mona", "Moderator"), "ticket close", id=1)
    erin = desk.person("erin")
    menu = await desk.emu.slash(erin, "troubleshoot")
    failed = next(b for b in menu.buttons() if "failed" in b["label"])
    picker = await desk.emu.click(menu, failed["custom_id"])
    select = next(c for c in picker.components[0]["components"] if c["type"] == 3)
    value = select["options"][0]["value"]
    done = await _while_the_database_is_locked(
        desk, lambda: desk.emu.select(picker, select["custom_id"], [value])
    )
    assert "Ticket **#2** is open" in done.embeds[0]["description"]


async def test_a_modal_is_acknowledged_while_the_database_is_locked(slow_desk):
    desk = slow_desk
    mona = desk.person("mona", "Moderator")
    pressed = await desk.emu.click((await posted(desk))[-1], "tdk:deny:1", user=mona)
    field_id = pressed.modal["components"][0]["components"][0]["custom_id"]
    denied = await _while_the_database_is_locked(
        desk, lambda: desk.emu.submit_modal(pressed, {field_id: "delivered fine"})
    )
    assert fields(denied.embeds[0])["State"] == "denied"
    assert (await desk.services.desk.get(1)).decision_reason == "delivered fine"

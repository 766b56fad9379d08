"""Long lists in pages (the queue, `/tickets`, `/history`), ticket ids by autocomplete, and
Apps -> Tokens."""

from __future__ import annotations

import dataclasses

import pytest

from bot.emulator import CommandNotAvailable
from bot.roles import STAFF_PERMISSIONS
from tests.bot.desk import fields
from tests.bot.test_tickets import _erin


async def _many_tickets(desk, count: int) -> None:
    desk.services.desk.policy = dataclasses.replace(desk.services.desk.policy, max_open_per_user=99)
    for _ in range(count):
        await desk.services.desk.open_complaint(desk.uid("erin"), "billing")


def _ids(text: str) -> list[int]:
    return [int(line.split("**#")[1].split("**")[0]) for line in text.splitlines()]


async def test_the_queue_is_paged_for_the_staff_member_who_asked(desk):
    await _erin(desk)
    await _many_tickets(desk, 23)
    await desk.start()
    sam, mona = desk.person("sam", "Support"), desk.person("mona", "Moderator")
    queue = await desk.emu.slash(sam, "ticket queue")
    embed = queue.embeds[0]
    assert embed["footer"]["text"] == "Page 1 of 3 · 23 tickets in all"
    assert _ids(embed["description"]) == list(range(1, 11))
    assert [(b["label"], b.get("disabled", False)) for b in queue.buttons()] == [
        ("Previous", True),
        ("Next", False),
    ]
    second = await desk.emu.click(queue, "Next")
    assert _ids(second.embeds[0]["description"]) == list(range(11, 21))
    assert second.embeds[0]["footer"]["text"] == "Page 2 of 3 · 23 tickets in all"

    stolen = await desk.emu.forge(mona, "tdq:3::", on=queue)  # staff, but not the asker
    assert stolen.embeds[0]["title"] == "Not yours"
    stranger = await desk.emu.forge(desk.person("erin"), "tdq:3::", on=queue)
    assert stranger.embeds[0]["title"] == "Staff only"

    await desk.stop()
    await desk.start()  # the page buttons outlive a restart
    third = await desk.emu.click(queue, "Next")
    assert _ids(third.embeds[0]["description"]) == [21, 22, 23]
    assert [b.get("disabled", False) for b in third.buttons()] == [False, True]


async def test_a_filtered_queue_keeps_its_filter_from_page_to_page(desk):
    await _erin(desk)
    await _many_tickets(desk, 12)
    for ticket_id in range(1, 13):
        await desk.services.desk.act(ticket_id, "close", "discord:1")
    await _many_tickets(desk, 2)
    await desk.start()
    sam = desk.person("sam", "Support")
    closed = await desk.emu.slash(sam, "ticket queue", status="closed")
    assert closed.embeds[0]["footer"]["text"] == "Page 1 of 2 · 12 tickets in all"
    more = await desk.emu.click(closed, "Next")
    assert _ids(more.embeds[0]["description"]) == [11, 12]


async def test_tickets_and_history_are_paged_and_say_how_many(desk):
    await _erin(desk)
    await _many_tickets(desk, 12)
    await desk.start()
    erin = desk.person("erin")
    mine = await desk.emu.slash(erin, "tickets")
    assert mine.embeds[0]["footer"]["text"] == "Page 1 of 2 · 12 tickets in all"
    older = await desk.emu.click(mine, "Next")
    assert _ids(older.embeds[0]["description"]) == [2, 1]  # newest first
    bob = desk.person("bob")
    assert (await desk.emu.forge(bob, "tdt:1", on=mine)).embeds[0]["title"] == "Not yours"

    rows, total = await desk.services.ledger.history_page(desk.uid("erin"), 100, 0, by_user=True)
    assert total == len(rows) and total > 4
    first = await desk.emu.slash(erin, "history", limit=2)
    pages = -(-total // 2)
    assert first.embeds[0]["footer"]["text"] == f"Page 1 of {pages} · {total} entries in all"
    second = await desk.emu.click(first, "Next")
    assert second.embeds[0]["footer"]["text"].startswith(f"Page 2 of {pages}")
    assert second.embeds[0]["description"] != first.embeds[0]["description"]
    assert (await desk.emu.forge(bob, "tdh:2:3", on=first)).embeds[0]["title"] == "Not yours"


async def test_ticket_ids_autocomplete_from_what_the_caller_may_act_on(desk):
    await _erin(desk)
    other = desk.emu.add_guild("elsewhere")
    own = desk.emu.add_role(other, "Moderator", permissions=8)
    outsider = desk.emu.add_member(other, "outsider", roles=[own])
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    mona = desk.person("mona", "Moderator")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")  # #1
    await _many_tickets(desk, 2)  # #2, #3 (complaints)
    await desk.emu.slash(sam, "ticket claim", id=2)

    claimable = await desk.emu.autocomplete(sam, "ticket claim", "id", "")
    assert [c.value for c in claimable] == [1, 3]  # #2 is claimed already
    assert claimable[0].name == "#1 refund, open · g-fail"
    notable = await desk.emu.autocomplete(sam, "ticket note", "id", "")
    assert [c.value for c in notable] == [1, 2, 3]
    assert [c.value for c in await desk.emu.autocomplete(sam, "ticket close", "id", "3")] == [3]
    assert await desk.emu.autocomplete(sam, "ticket approve", "id", "") == []  # support only
    assert [c.value for c in await desk.emu.autocomplete(mona, "ticket approve", "id", "")] == [1]

    helper = desk.emu.add_role(desk.guild, "Helper", permissions=STAFF_PERMISSIONS.value)
    desk.emu.set_roles(erin, [helper])  # Discord shows her the commands; she is not staff
    assert await desk.emu.autocomplete(erin, "ticket note", "id", "") == []
    desk.emu.register_commands(desk.emu.registered(desk.guild), guild=other)  # a stale copy
    assert await desk.emu.autocomplete(outsider, "ticket note", "id", "") == []


async def test_tokens_in_the_apps_menu_shows_what_lookup_shows(desk):
    await _erin(desk)
    await desk.start()
    erin, sam = desk.person("erin"), desk.person("sam", "Support")
    looked = await desk.emu.slash(sam, "lookup", user=erin)
    menu = await desk.emu.context_menu(sam, "Tokens", erin)
    assert menu.ephemeral and menu.embeds == looked.embeds
    assert fields(menu.embeds[0])["Monthly"] == "27"
    with pytest.raises(CommandNotAvailable):  # hidden from members without the permission
        await desk.emu.context_menu(erin, "Tokens", sam)
    helper = desk.emu.add_role(desk.guild, "Helper", permissions=STAFF_PERMISSIONS.value)
    desk.emu.set_roles(erin, [helper])
    refused = await desk.emu.context_menu(erin, "Tokens", sam)
    assert refused.embeds[0]["title"] == "Staff only"

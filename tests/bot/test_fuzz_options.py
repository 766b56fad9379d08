"""Hostile values in every slash command option: a clear answer, no ping, a valid embed.

Values Discord's own client would not send (out of a declared range, too long) are
refused by the emulator as Discord would; every other value reaches the bot, and the bot
must answer once, within Discord's limits (the emulator validates every body against
Discord's schema), without pinging anyone.
"""

from __future__ import annotations

import random
from collections import Counter

from bot.emulator import InvalidOptionValue
from tests.audit import journal_sums
from tests.bot.test_tickets import _erin

HOSTILE = [
    "@everyone",
    "@here please",
    "<@123456789012345678>",
    "<@&123456789012345678>",
    "<#123456789012345678>",
    "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```",
    "> quote\n# heading\n- list",
    "[link](https://example.com)",
    "\u202eevil\u202d",
    "z\u0351\u0352\u0357\u0358\u0359\u035a",
    "'; DROP TABLE accounts; --",
    '{"id": 1}',
    "\t \n ",
    "😀" * 40,
    "a" * 1000,
    "\\",
    "g-fail",
    "1e309",
]


def hostile_text(rng: random.Random, limit: int) -> str:
    text = rng.choice(HOSTILE)
    if rng.random() < 0.3:
        text = text + rng.choice(HOSTILE)
    if rng.random() < 0.2:
        text = "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(1, 60)))
    return text[: rng.choice([limit, limit, limit + 50])] or "x"


def hostile_int(rng: random.Random) -> int:
    return rng.choice(
        [
            0,
            -1,
            1,
            -3,
            7,
            10**9,
            -(10**9),
            2**31,
            2**53 - 1,
            -(2**53) + 1,
            rng.randrange(-(10**6), 10**6),
        ]
    )


async def test_thousands_of_hostile_options_get_answers_that_never_ping(desk):
    await _erin(desk)
    await desk.start()
    erin, mona = desk.person("erin"), desk.person("mona", "Moderator")
    rng = random.Random(2026)

    def calls():
        yield erin, "balance", {}
        yield erin, "reset", {}
        yield erin, "rollover", {}
        yield erin, "relaxed", {}
        yield erin, "plans", {}
        yield erin, "tickets", {}
        yield erin, "troubleshoot", {}
        yield erin, "history", {"limit": hostile_int(rng)}
        yield erin, "link", {"code": hostile_text(rng, 32)}
        yield (
            erin,
            "cost",
            {
                "model": hostile_text(rng, 100),
                "width": hostile_int(rng),
                "height": hostile_int(rng),
                "count": hostile_int(rng),
                "alchemy": rng.random() < 0.5,
                "photoreal": rng.random() < 0.5,
            },
        )
        yield (
            erin,
            "refund",
            {"generation_id": hostile_text(rng, 128), "details": hostile_text(rng, 1000)},
        )
        yield (
            mona,
            "ticket note",
            {"id": rng.choice([1, hostile_int(rng)]), "text": hostile_text(rng, 1000)},
        )
        yield (
            mona,
            "ticket deny",
            {"id": rng.choice([1, 2, hostile_int(rng)]), "reason": hostile_text(rng, 1000)},
        )
        yield mona, "ticket claim", {"id": hostile_int(rng)}
        yield mona, "ticket stats", {"days": hostile_int(rng)}
        yield (
            mona,
            "adjust",
            {"user": erin, "amount": hostile_int(rng), "reason": hostile_text(rng, 500)},
        )
        yield mona, "lookup", {"user": erin}
        yield (
            mona,
            "incident refund",
            {
                "since": rng.choice([hostile_text(rng, 64), "2026-03-10T00:00:00Z"]),
                "until": hostile_text(rng, 64),
                "model": hostile_text(rng, 128),
                "reason": hostile_text(rng, 1000),
            },
        )

    counts: Counter[str] = Counter()
    for _round in range(200):
        for person, command, options in calls():
            counts["tried"] += 1
            try:
                reply = await desk.emu.slash(person, command, options=options)
            except InvalidOptionValue:
                counts["refused"] += 1
                continue
            counts["answered"] += 1
            assert reply.acknowledgements == 1, (command, options)
            assert reply.embeds or reply.content, (command, options)
            for sent in reply.messages:
                stored = desk.emu.world.messages.get(sent.message_id)
                assert stored is None or stored.pings == (), (command, options, stored.pings)
    for message in desk.emu.dms_to(erin):
        assert message.pings == ()
    print(
        f"fuzz: slash options tried {counts['tried']}, refused by Discord's client "
        f"{counts['refused']}, answered {counts['answered']}"
    )
    assert counts["answered"] > 2_000
    ledger = desk.services.ledger
    sums = await journal_sums(ledger.db.url, "acc-e")
    state = await ledger.account("acc-e")
    assert (state.daily, state.monthly, state.rollover) == tuple(
        sums.get(b, 0) for b in ("daily", "monthly", "rollover")
    )


def test_the_ping_check_sees_a_ping_when_mentions_are_allowed():
    from bot.emulator.bodies import pings

    assert pings({"content": "@everyone <@42>"}) == ("everyone", "user:42")
    assert pings({"content": "@everyone <@42>", "allowed_mentions": {"parse": []}}) == ()
    assert pings({"content": "<@42>", "allowed_mentions": {"parse": [], "users": [42]}}) == (
        "user:42",
    )

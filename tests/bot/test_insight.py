"""/why, /usage and /notify end to end: real discord.py, the emulator, a real ledger."""

from __future__ import annotations

import re

from tests.audit import query
from tests.bot.desk import fields

STAMP = re.compile(r"<t:\d+:f> \(<t:\d+:R>\)")
PNG = b"\x89PNG\r\n\x1a\n"


async def _carol(desk, charges: int = 3) -> None:
    """carol (apprentice, 8,500 a month) spends on two models and gets one refund."""
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-c",
        plan="apprentice",
        discord_user_id=desk.uid("carol"),
    )
    for n in range(charges):
        model = "phoenix" if n % 3 else "kino"
        await desk.send(
            "generation.charged",
            f"2026-03-{9 + n % 2:02d}T{10 + n % 12:02d}:{n % 60:02d}:00Z",
            "acc-c",
            generation_id=f"g-{n}",
            source="web",
            cost=10 + n % 20,
            settings={"model": model, "width": 1024, "height": 1024},
        )
    desk.clock.set(desk.clock.now().replace(day=10, hour=12, minute=0))


async def test_why_tells_the_totals_then_each_cause_largest_first(desk):
    await _carol(desk)
    await desk.start()
    carol = desk.person("carol")
    reply = await desk.emu.slash(carol, "why", hours=48)
    assert reply.ephemeral
    embed = reply.embeds[0]
    lines = embed["description"].splitlines()
    assert lines[0].startswith("You had 8,500 tokens at ") and "have 8,467 now" in lines[0]
    assert STAMP.search(lines[0])
    changes = [line for line in lines[2:] if line.startswith("`")]
    assert [c.split("`")[1].strip() for c in changes] == ["-12", "-11", "-10"]
    assert "g-2 (phoenix, 1024x1024) cost 12 tokens." in changes[0]
    assert fields(embed)["In all"] == "generations (3x): -33 tokens"


async def test_a_long_why_is_summarised_within_discords_limits(desk):
    await _carol(desk, charges=240)
    await desk.start()
    reply = await desk.emu.slash(desk.person("carol"), "why", hours=72)
    embed = reply.embeds[0]
    assert len(embed["description"]) <= 4096
    assert len(embed["title"]) + len(embed["description"]) + len(str(embed["fields"])) < 6000
    more = re.search(r"… and (\d+) more, smaller changes", embed["description"])
    shown = sum(1 for line in embed["description"].splitlines() if line.startswith("`"))
    assert more and shown + int(more.group(1)) == 240
    cost = sum(10 + n % 20 for n in range(240))
    assert fields(embed)["In all"] == f"generations (240x): -{cost:,} tokens"


async def test_usage_attaches_a_png_chart_with_the_top_models_and_the_forecast(desk):
    await _carol(desk, charges=6)
    await desk.start()
    reply = await desk.emu.slash(desk.person("carol"), "usage", days=7)
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["image"]["url"] == "attachment://usage.png"
    (attachment,) = reply.message.attachments
    assert attachment["filename"] == "usage.png"
    assert desk.emu.attachment(attachment).startswith(PNG)
    top = fields(embed)["Top models"].splitlines()
    assert top == ["phoenix: 52 tokens, 4 generations", "kino: 23 tokens, 2 generations"]
    assert "**75** tokens over 6 generations" in embed["description"]
    assert STAMP.search(embed["description"]) and "before your renewal" not in embed["description"]
    assert "after your renewal" in embed["description"]


async def test_why_usage_and_notify_ask_an_unlinked_user_to_link(desk):
    await desk.start()
    newbie = desk.person("newbie")
    for command in ("why", "usage", "notify"):
        reply = await desk.emu.slash(newbie, command)
        assert reply.embeds[0]["title"] == "Link your account first", command


async def _choices(desk, user: str) -> list[tuple]:
    return await query(
        desk.services.ledger.db.url,
        "SELECT on_failed, on_low, low_threshold, on_rollover, on_payment FROM notify_prefs"
        " WHERE user_id = ?",
        user,
    )


async def test_notify_toggles_and_sets_the_low_threshold_for_its_user_only(desk):
    await _carol(desk)
    await desk.start()
    carol, mallory = desk.person("carol"), desk.person("mallory")
    reply = await desk.emu.slash(carol, "notify")
    assert reply.ephemeral
    assert [b["label"] for b in reply.buttons()] == [
        "failed: on",
        "low: off",
        "rollover: off",
        "payment: off",
        "low threshold: 1,000",
    ]
    pressed = await desk.emu.click(reply, "tdn:payment")
    assert "payment: on" in [b["label"] for b in pressed.buttons()]
    assert fields(pressed.embeds[0])["Failed payments: **on**"]
    form = await desk.emu.click(reply, "tdn:threshold:1000")
    assert form.modal is not None
    (field,) = [c for row in form.modal["components"] for c in row["components"]]
    bad = await desk.emu.submit_modal(form, {field["custom_id"]: "lots"})
    assert bad.embeds[0]["title"] == "Not a threshold"
    assert await _choices(desk, desk.uid("carol")) == [(1, 0, 1_000, 0, 1)]
    form = await desk.emu.click(reply, "tdn:threshold:1000")  # a refused form closes
    good = await desk.emu.submit_modal(form, {field["custom_id"]: "2,500"})
    assert "low threshold: 2,500" in [b["label"] for b in good.buttons()]
    assert "low: on" in [b["label"] for b in good.buttons()]
    assert await _choices(desk, desk.uid("carol")) == [(1, 1, 2_500, 0, 1)]
    rows = await query(desk.services.ledger.db.url, "SELECT low_below FROM accounts")
    assert rows == [(2_500,)]
    # Someone else pressing carol's toggle (a forged or replayed id) changes nothing.
    forged = await desk.emu.forge(mallory, "tdn:failed", on=reply)
    assert "made for someone else" in forged.embeds[0]["description"]
    assert await _choices(desk, desk.uid("carol")) == [(1, 1, 2_500, 0, 1)]

"""/cost and /plans end to end."""

from __future__ import annotations

import pytest

from tests.bot.desk import fields


async def test_cost_prices_settings_from_the_table(desk):
    await desk.start()
    reply = await desk.emu.slash(
        desk.person("alice"),
        "cost",
        model="phoenix",
        width=1024,
        height=768,
        count=2,
        alchemy=True,
    )
    quote = desk.services.pricing.quote("phoenix", 1024, 768, 2, True, False)
    embed = reply.embeds[0]
    assert embed["title"] == f"{quote.total:,} tokens"
    assert f"{quote.per_image:,} tokens per image x 2" in embed["description"]
    assert reply.ephemeral and reply.acknowledgements == 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"width": 0}, "width must be between 256 and 1536 pixels; you asked for 0"),
        ({"width": 10**9}, "you asked for 1000000000"),
        ({"count": -3}, "count must be between 1 and 8; you asked for -3"),
        ({"model": "dall-e-99"}, "There is no model called `dall-e-99`"),
        ({"width": 1001}, "width must be a multiple of 8; 1001 is not"),
    ],
)
async def test_impossible_settings_get_a_clear_answer(desk, options, words):
    await desk.start()
    values = {"model": "phoenix", "width": 512, "height": 512, **options}
    reply = await desk.emu.slash(desk.person("alice"), "cost", **values)
    assert reply.embeds[0]["title"] == "Those settings cannot be priced"
    assert words in reply.embeds[0]["description"]


async def test_model_autocompletes_from_the_table(desk):
    await desk.start()
    choices = await desk.emu.autocomplete(desk.person("alice"), "cost", "model", "pho")
    assert [c.value for c in choices] == ["phoenix"]
    everything = await desk.emu.autocomplete(desk.person("alice"), "cost", "model", "")
    assert len(everything) == len(desk.services.pricing.models("")) <= 25


async def test_plans_shows_what_upgrading_gives_now(desk):
    await desk.send(
        "account.created",
        "2026-03-01T09:00:00Z",
        "acc-a",
        plan="apprentice",
        discord_user_id=desk.uid("alice"),
    )
    await desk.start()
    embed = (await desk.emu.slash(desk.person("alice"), "plans")).embeds[0]
    shown = fields(embed)
    assert "Your plan." in shown["Apprentice ($12/month)"]
    assert "adds **16,500** tokens at once" in shown["Artisan ($30/month)"]
    assert "adds **51,500** tokens" in shown["Maestro ($60/month)"]

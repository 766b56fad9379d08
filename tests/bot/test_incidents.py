"""Incidents end to end through the Discord emulator: /incident refund, the alert, Refund all."""

from __future__ import annotations

import asyncio

from tests.audit import query
from tests.bot.desk import delivered, eventually, ledger_rows
from tests.bot.test_tickets import _erin, posted, triage

SINCE, UNTIL = "2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z"


async def _outage(desk, people=("ann", "ben"), model: str = "phoenix") -> None:
    """Each person's account had two charged generations of `model` fail in the window."""
    for n, name in enumerate(people):
        account = f"acc-{name}"
        await desk.send(
            "account.created",
            "2026-03-01T09:00:00Z",
            account,
            plan="apprentice",
            discord_user_id=desk.uid(name),
        )
        await desk.services.ledger.change_notify_choices(  # these tests follow decisions
            desk.uid(name), lambda c: c.toggled("failed")
        )
        for k, minute in enumerate((10, 11)):
            gid = f"g-{name}-{k}"
            settings = {"model": model, "width": 512, "height": 512}
            at = f"2026-03-10T09:0{n}:{k}0Z"
            await desk.send(
                "generation.charged",
                at,
                account,
                generation_id=gid,
                source="web",
                cost=100 + 10 * n + k,
                settings=settings,
            )
            await desk.send(
                "generation.failed", f"2026-03-10T09:{minute}:0{n}Z", account, generation_id=gid
            )
    desk.clock.set(desk.clock.now().replace(hour=12, minute=0))


async def _refunds(desk) -> list[str]:
    rows = await query(desk.services.ledger.db.url, "SELECT generation_id FROM refunds")
    return sorted(gid for (gid,) in rows)


async def test_an_incident_refunds_each_failure_on_its_own_ticket_and_a_second_run_nothing(desk):
    await _outage(desk)
    await desk.start()
    mona = desk.person("mona", "Moderator")
    before = await desk.services.ledger.balance("acc-ann")
    first = await desk.emu.slash(
        mona, "incident refund", since=SINCE, until=UNTIL, reason="GPU outage"
    )
    assert first.ephemeral
    said = first.embeds[0]["description"]
    assert said.startswith("Refunded 4 failed generations on 2 accounts: 422 tokens")
    assert (await desk.services.ledger.balance("acc-ann")).total == before.total + 201
    # Each user is told by DM, each refund on a ticket of its own; the channel stays quiet.
    for name in ("ann", "ben"):
        dms = await eventually(lambda n=name: len(desk.emu.dms_to(desk.person(n))) == 2)
        assert dms, f"{name} was not told"
        assert "approved" in desk.emu.dms_to(desk.person(name))[0].embeds[0]["title"].lower()
    mine = await desk.emu.slash(desk.person("ann"), "tickets")
    assert mine.embeds[0]["description"].count("refund: approved") == 2
    assert await delivered(desk.services)
    assert triage(desk) == []
    again = await desk.emu.slash(mona, "incident refund", since=SINCE, until=UNTIL)
    assert again.embeds[0]["description"].startswith("Nothing to refund")
    assert (await desk.services.ledger.balance("acc-ann")).total == before.total + 201
    assert len(await _refunds(desk)) == 4
    assert len(desk.emu.dms_to(desk.person("ann"))) == 2


async def test_a_model_and_the_window_ends_choose_what_is_refunded(desk):
    await _outage(desk, people=("ann",), model="phoenix")
    await _outage(desk, people=("ben",), model="kino")
    await desk.start()
    mona = desk.person("mona", "Moderator")
    # Both failed at 09:10:00 and 09:11:00; the window ends at 09:10:59 UTC, and only ben's
    # account used kino.
    done = await desk.emu.slash(
        mona,
        "incident refund",
        since="2026-03-10T09:10:00Z",
        until="2026-03-10T11:10:59+02:00",
        model="kino",
    )
    assert done.embeds[0]["description"].startswith("Refunded 1 failed generation on 1 account")
    assert await _refunds(desk) == ["g-ben-0"]


async def test_bad_windows_and_people_without_the_role_change_nothing(desk):
    await _outage(desk)
    await desk.start()
    mona, sam = desk.person("mona", "Moderator"), desk.person("sam", "Support")
    before = await ledger_rows(desk.services)
    bad = await desk.emu.slash(mona, "incident refund", since="yesterday", until=UNTIL)
    assert bad.embeds[0]["title"] == "Nothing refunded"
    assert "since is not an ISO 8601 instant" in bad.embeds[0]["description"]
    naive = await desk.emu.slash(mona, "incident refund", since="2026-03-10T09:00:00", until=UNTIL)
    assert "needs its offset" in naive.embeds[0]["description"]
    backwards = await desk.emu.slash(mona, "incident refund", since=UNTIL, until=SINCE)
    assert "until is before since" in backwards.embeds[0]["description"]
    refused = await desk.emu.slash(sam, "incident refund", since=SINCE, until=UNTIL)
    assert refused.embeds[0]["title"] == "Staff only"
    assert await ledger_rows(desk.services) == before


async def test_an_incident_racing_an_approval_refunds_the_generation_once(desk):
    await _erin(desk)
    await desk.start()
    erin = desk.person("erin")
    mona, moe = desk.person("mona", "Moderator"), desk.person("moe", "Moderator")
    await desk.emu.slash(erin, "refund", generation_id="g-fail")
    message = (await posted(desk))[-1]
    before = await desk.services.ledger.balance("acc-e")
    pressed, incident = await asyncio.gather(
        desk.emu.click(message, "tdk:approve:1", user=mona),
        desk.emu.slash(
            moe, "incident refund", since="2026-03-10T08:00:00Z", until="2026-03-10T09:00:00Z"
        ),
    )
    assert await _refunds(desk) == ["g-fail"]
    assert (await desk.services.ledger.balance("acc-e")).total == before.total + 120
    ticket = await desk.services.desk.get(1)
    assert (ticket.state, ticket.refunded) == ("approved", 120)
    assert len(await desk.services.desk.export()) == 1  # the open ticket, not a new one
    by_incident = incident.embeds[0]["description"]
    by_button = pressed.embeds[0]
    assert by_incident.startswith("Refunded 1") != (by_button.get("title") == "Ticket #1: refund")
    assert await delivered(desk.services)
    assert len(desk.emu.dms_to(erin)) == 2  # the decision, once, and the rating request


async def test_an_alert_is_posted_once_and_only_moderators_can_refund_all(desk):
    desk.services.ledger.incident_threshold = 3
    await _outage(desk, people=("ann", "ben", "cat"))  # 6 failures of phoenix in 2 minutes
    await desk.start()
    alerts = await posted(desk)
    assert await delivered(desk.services)
    assert len(triage(desk)) == 1
    alert = alerts[0]
    embed = alert.embeds[0]
    assert embed["title"] == "Incident: phoenix is failing"
    # The third failure within 15 minutes of the latest one was ben's second (09:11:01).
    said = embed["description"]
    assert "**4** generations of **phoenix** failed within 15 minutes" in said
    assert "on 2 accounts; their charges took 422 tokens" in said
    assert [c["label"] for row in alert.components for c in row["components"]] == ["Refund all"]
    sam, mona = desk.person("sam", "Support"), desk.person("mona", "Moderator")
    before = await ledger_rows(desk.services)
    refused = await desk.emu.click(alert, "Refund all", user=sam)
    assert refused.ephemeral and refused.embeds[0]["title"] == "Staff only"
    stranger = await desk.emu.click(alert, "Refund all", user=desk.person("ann"))
    assert stranger.embeds[0]["title"] == "Staff only"
    assert await ledger_rows(desk.services) == before
    done = await desk.emu.click(alert, "Refund all", user=mona)
    assert done.ephemeral
    assert done.embeds[0]["description"].startswith("Refunded 6 failed generations on 3 accounts")
    assert len(await _refunds(desk)) == 6
    again = await desk.emu.click(alert, "Refund all", user=mona)
    assert again.embeds[0]["description"].startswith("Nothing to refund")
    assert len(triage(desk)) == 1

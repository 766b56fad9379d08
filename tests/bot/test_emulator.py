"""End-to-end tests of the Discord emulator with a real, unmodified discord.py bot."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.emulator import (
    CommandNotAvailable,
    ComponentNotFound,
    Emulator,
    EmulatorError,
    InteractionFailed,
    InvalidOptionValue,
)
from bot.emulator.schema import VENDORED_DOCUMENT, BodyValidator, route_schemas

SHARED_DOCUMENT = Path("/work/shared/discord/openapi.json")
CALLBACK_PATH = "/interactions/{interaction_id}/{interaction_token}/callback"
MODELS = ["photon-xl", "photon-mini", "prism-7b"]


# -- the tiny bot under test ------------------------------------------------------------


class ClaimButton(discord.ui.DynamicItem[discord.ui.Button], template=r"ticket:claim:(?P<id>\d+)"):
    """A persistent button: works for any bot instance that registered the item."""

    def __init__(self, ticket_id: int) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label="Claim", custom_id=f"ticket:claim:{ticket_id}"
        )
        super().__init__(button)
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ClaimButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        text = f"ticket {self.ticket_id} claimed by {interaction.user.name}"
        await interaction.response.send_message(text, ephemeral=True)


class MenuView(discord.ui.View):
    @discord.ui.button(label="Ping", custom_id="menu:ping")
    async def ping(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="pong", view=None)

    @discord.ui.select(
        custom_id="menu:color",
        options=[discord.SelectOption(label=c, value=c) for c in ("red", "green", "blue")],
    )
    async def color(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}")


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback:text", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


class DeskBot(commands.Bot):
    """Commands covering every interaction kind the emulator supports."""

    def __init__(self, triage_channel_id: int = 0, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.05,
            **options,
        )
        self.triage_channel_id = triage_channel_id
        self.tickets = 0
        self.errors: list[BaseException] = []

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ClaimButton)
        self.tree.error(self.on_tree_error)
        for command in _commands():
            self.tree.add_command(command)
        await self.tree.sync()

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error)


class ShardedDeskBot(DeskBot, commands.AutoShardedBot):
    """Asks ``GET /gateway/bot`` how many shards to run, and runs them all."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py waits 5 s between shards by default


def _commands() -> list[app_commands.Command | app_commands.Group]:
    @app_commands.command(description="Show your token balance")
    async def balance(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Balance").add_field(name="tokens", value="1,024")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(description="Estimate a generation's cost")
    async def cost(
        interaction: discord.Interaction, model: str, width: app_commands.Range[int, 64, 2048]
    ) -> None:
        await interaction.response.send_message(f"{model} at {width}px")

    @cost.autocomplete("model")
    async def cost_model(interaction: discord.Interaction, current: str) -> list:
        return [app_commands.Choice(name=m, value=m) for m in MODELS if m.startswith(current)]

    @app_commands.command(description="A slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")

    @app_commands.command(description="Buttons and a select")
    async def menu(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("menu", view=MenuView())

    @app_commands.command(description="Tell us something")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @app_commands.command(description="DM a user")
    async def dm(interaction: discord.Interaction, user: discord.User) -> None:
        try:
            await user.send(f"hello {user.name}")
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"DMs closed ({exc.code})", ephemeral=True)
        else:
            await interaction.response.send_message("sent", ephemeral=True)

    @app_commands.command(description="Who am I talking to?")
    async def whoami(interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        member = await interaction.guild.fetch_member(interaction.user.id)
        roles = await interaction.guild.fetch_roles()
        names = sorted(r.name for r in roles if r in member.roles and not r.is_default())
        shard = interaction.client.shard_id
        await interaction.response.send_message(f"shard={shard} roles={names}")

    @app_commands.command(description="Answers with an embed Discord refuses")
    async def broken(interaction: discord.Interaction) -> None:
        embed = discord.Embed().add_field(name="oops", value="x" * 1025)
        await interaction.response.send_message(embed=embed)

    @app_commands.command(description="Export as CSV")
    async def export(interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(b"id,tokens\n1,1024\n"), filename="export.csv")
        await interaction.response.send_message("your export", file=file, ephemeral=True)

    @app_commands.command(description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @app_commands.command(description="Thinks forever")
    async def stuck(interaction: discord.Interaction) -> None:
        await interaction.response.defer()

    @app_commands.command(description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    ticket = app_commands.Group(name="ticket", description="Support tickets")
    admin = app_commands.Group(name="admin", description="Ticket admin", parent=ticket)

    @ticket.command(description="Open a ticket")
    async def open(interaction: discord.Interaction, topic: str, urgent: bool = False) -> None:
        bot = interaction.client
        assert isinstance(bot, DeskBot)
        bot.tickets += 1
        view = discord.ui.View(timeout=None)
        view.add_item(ClaimButton(bot.tickets))
        channel = bot.get_channel(bot.triage_channel_id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send(f"#{bot.tickets} {topic} urgent={urgent}", view=view)
        await interaction.response.send_message(f"ticket #{bot.tickets} opened", ephemeral=True)

    @admin.command(description="Close a ticket")
    async def close(interaction: discord.Interaction, ticket_id: int, ratio: float = 1.0) -> None:
        await interaction.response.send_message(f"closed {ticket_id} ratio={ratio}")

    return [
        *(balance, cost, slow, menu, feedback, dm, whoami, export),
        *(broken, silent, stuck, purge, ticket),
    ]


# -- helpers ---------------------------------------------------------------------------


class World:
    def __init__(self, emu: Emulator) -> None:
        self.guild = emu.add_guild("Test guild")
        self.triage = emu.add_channel(self.guild, "triage")
        self.mod_role = emu.add_role(
            self.guild, "Moderator", permissions=discord.Permissions(manage_guild=True).value
        )
        self.alice = emu.add_member(self.guild, "alice", roles=[self.mod_role])
        self.bob = emu.add_member(self.guild, "bob")


async def started(emu: Emulator) -> tuple[World, DeskBot]:
    world = World(emu)
    bot = DeskBot(world.triage.id)
    await emu.start_client(bot)
    return world, bot


async def raw(emu: Emulator, method: str, path: str, body: Any = None, **headers: str) -> tuple:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emu.server.rest_url + path, json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json()


# -- tests -----------------------------------------------------------------------------


async def test_login_ready_and_guild_create_over_real_sockets(emu: Emulator) -> None:
    world, bot = await started(emu)

    assert bot.user is not None and bot.user.id == emu.world.application.bot.id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Test guild"
    assert {c.name for c in guild.text_channels} == {"general", "triage"}
    alice = guild.get_member(world.alice.id)
    assert alice is not None and [r.name for r in alice.roles[1:]] == ["Moderator"]
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    [session] = emu.sessions
    assert (session.shard_id, session.shard_count) == (0, 1)


async def test_command_sync_is_received_validated_and_listed(emu: Emulator) -> None:
    _, bot = await started(emu)

    synced = {c["name"]: c for c in emu.server.commands.listing(None)}
    assert set(synced) >= {"balance", "cost", "ticket", "purge"}
    assert synced["purge"]["default_member_permissions"] == str(1 << 5)
    fetched = {c.name: c.id for c in await bot.tree.fetch_commands()}
    assert fetched["cost"] == int(synced["cost"]["id"])


async def test_slash_command_with_typed_options(emu: Emulator) -> None:
    world, _ = await started(emu)

    reply = await emu.slash(world.alice, "balance")
    assert reply.ephemeral and reply.acknowledgements == 1
    assert reply.embeds[0]["fields"][0] == {"name": "tokens", "value": "1,024", "inline": True}

    reply = await emu.slash(world.bob, "cost", model="photon-xl", width=512)
    assert (reply.content, reply.ephemeral) == ("photon-xl at 512px", False)
    assert reply.record.payload["data"]["options"][1] == {"type": 4, "name": "width", "value": 512}


async def test_options_are_checked_like_discords_client(emu: Emulator) -> None:
    world, _ = await started(emu)

    with pytest.raises(InvalidOptionValue, match=r"outside 64\.\.2048"):
        await emu.slash(world.bob, "cost", model="x", width=4096)
    with pytest.raises(InvalidOptionValue, match="required"):
        await emu.slash(world.bob, "cost", model="x")
    with pytest.raises(InvalidOptionValue, match="not a number"):
        await emu.slash(world.bob, "cost", model="x", width="wide")
    with pytest.raises(CommandNotAvailable, match="no option"):
        await emu.slash(world.bob, "cost", model="x", width=100, height=5)
    with pytest.raises(CommandNotAvailable, match="not synced"):
        await emu.slash(world.bob, "refund")
    with pytest.raises(CommandNotAvailable, match="choose a subcommand"):
        await emu.slash(world.bob, "ticket")
    with pytest.raises(CommandNotAvailable, match="lacks the permissions"):
        await emu.slash(world.bob, "purge")
    assert (await emu.slash(world.alice, "purge")).content == "purged"


async def test_subcommands_and_subcommand_groups(emu: Emulator) -> None:
    world, _ = await started(emu)

    reply = await emu.slash(world.alice, "ticket admin close", ticket_id=7, ratio=0.5)
    assert reply.content == "closed 7 ratio=0.5"
    [group] = reply.record.payload["data"]["options"]
    assert (group["type"], group["options"][0]["type"]) == (2, 1)


async def test_autocomplete_returns_the_bots_choices(emu: Emulator) -> None:
    world, _ = await started(emu)

    choices = await emu.autocomplete(world.bob, "cost", "model", "photon")
    assert [c.value for c in choices] == ["photon-xl", "photon-mini"]
    with pytest.raises(CommandNotAvailable, match="no autocomplete"):
        await emu.autocomplete(world.bob, "cost", "width", "12")


async def test_defer_then_followup_waits_for_the_followup(emu: Emulator) -> None:
    world, _ = await started(emu)

    reply = await emu.slash(world.bob, "slow")
    assert [m.action for m in reply.messages] == ["defer", "followup"]
    assert reply.content == "done thinking" and reply.ephemeral
    assert reply.messages[0].message_id == reply.messages[1].message_id  # replaces "thinking"


async def test_button_update_and_select(emu: Emulator) -> None:
    world, _ = await started(emu)
    menu = await emu.slash(world.bob, "menu")

    picked = await emu.select(menu, "menu:color", ["green"])
    assert picked.content == "picked green"
    with pytest.raises(InvalidOptionValue, match="offers"):
        await emu.select(menu, "menu:color", ["purple"])

    pong = await emu.click(menu, "Ping")  # by label
    assert pong.response_type == 7 and pong.content == "pong" and pong.components == []
    assert menu.message is not None and menu.message.content == "pong"
    with pytest.raises(ComponentNotFound):
        await emu.click(menu, "menu:ping")  # the update removed the view


async def test_modal_round_trip(emu: Emulator) -> None:
    world, _ = await started(emu)

    opened = await emu.slash(world.bob, "feedback")
    assert opened.modal is not None and opened.modal["title"] == "Feedback"
    with pytest.raises(InvalidOptionValue, match="required"):
        await emu.submit_modal(opened, {})
    thanks = await emu.submit_modal(opened, {"feedback:text": "great bot"})
    assert thanks.content == "thanks: great bot" and thanks.ephemeral


async def test_dms_and_closed_dms(emu: Emulator) -> None:
    world, _ = await started(emu)
    carol = emu.add_member(world.guild, emu.add_user("carol", dms_open=False))

    assert (await emu.slash(world.alice, "dm", user=world.bob)).content == "sent"
    assert [m.content for m in emu.dms_to(world.bob)] == ["hello bob"]
    closed = await emu.slash(world.alice, "dm", user=carol)
    assert closed.content == "DMs closed (50007)"
    assert emu.dms_to(carol) == []


async def test_file_upload_is_read_from_multipart(emu: Emulator) -> None:
    world, _ = await started(emu)

    reply = await emu.slash(world.bob, "export")
    assert reply.content == "your export" and reply.message is not None
    [attachment] = reply.message.attachments
    assert (attachment["filename"], attachment["size"]) == ("export.csv", 17)


async def test_member_and_role_lookups(emu: Emulator) -> None:
    world, _ = await started(emu)

    reply = await emu.slash(world.alice, "whoami")
    assert reply.content == "shard=None roles=['Moderator']"
    member = reply.record.payload["member"]
    assert member["roles"] == [str(world.mod_role.id)]
    assert int(member["permissions"]) & (1 << 5)


async def test_channel_message_with_persistent_button_survives_restart(emu: Emulator) -> None:
    world, bot = await started(emu)
    created = asyncio.ensure_future(bot.wait_for("message", timeout=5))
    opened = await emu.slash(world.bob, "ticket open", topic="refund", urgent=True)
    assert opened.content == "ticket #1 opened"
    [posted] = emu.channel_messages(world.triage)
    assert posted.content == "#1 refund urgent=True"
    assert (await created).id == posted.id  # MESSAGE_CREATE reached the bot

    await emu.stop_client(bot)
    with pytest.raises(EmulatorError, match="no gateway session"):
        await emu.click(posted, "Claim", user=world.alice)
    fresh = DeskBot(world.triage.id)
    await emu.start_client(fresh)
    claimed = await emu.click(posted, "Claim", user=world.alice)
    assert claimed.content == "ticket 1 claimed by alice" and claimed.ephemeral


async def test_second_acknowledgement_gets_40060(emu: Emulator) -> None:
    world, _ = await started(emu)
    reply = await emu.slash(world.bob, "balance")

    path = f"/interactions/{reply.id}/{reply.token}/callback?with_response=true"
    status, body = await raw(emu, "POST", path, {"type": 4, "data": {"content": "again"}})
    assert (status, body["code"]) == (400, 40060)
    assert body["message"] == "Interaction has already been acknowledged."
    assert reply.acknowledgements == 2
    assert [p.kind for p in emu.take_problems()] == ["already_acknowledged"]


async def test_body_discord_refuses_is_reported(emu: Emulator) -> None:
    world, bot = await started(emu)

    with pytest.raises(InteractionFailed, match="This interaction failed") as failure:
        await emu.slash(world.bob, "broken")
    [invalid, failed] = failure.value.problems
    assert invalid.kind == "invalid_body" and "Must be 1024 or fewer" in invalid.message
    assert failed.kind == "interaction_failed"
    [error] = bot.errors  # discord.py saw Discord's 400 Invalid Form Body
    assert isinstance(error.__cause__, discord.HTTPException) and error.__cause__.code == 50035
    assert len(emu.take_problems()) == 2


async def test_command_sync_with_uppercase_name_is_refused(emu: Emulator) -> None:
    app_id = emu.world.application.id
    commands_ = [{"name": "Refund", "description": "Bad name", "type": 1}]
    auth = {"Authorization": f"Bot {emu.token}"}
    status, body = await raw(emu, "PUT", f"/applications/{app_id}/commands", commands_, **auth)
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["0"]["name"]["_errors"][0]["message"] == "Command name is invalid"
    too_many = [
        {
            "name": "pick",
            "description": "d",
            "options": [
                {
                    "type": 3,
                    "name": "o",
                    "description": "d",
                    "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                }
            ],
        }
    ]
    status, body = await raw(emu, "PUT", f"/applications/{app_id}/commands", too_many, **auth)
    assert status == 400 and "choices" in body["errors"]["0"]["options"]["0"]
    assert [p.kind for p in emu.take_problems()] == ["invalid_body", "invalid_body"]
    assert emu.server.commands.listing(None) == []


async def test_unknown_route_is_reported(emu: Emulator) -> None:
    _, bot = await started(emu)

    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/voice/regions"))
    with pytest.raises(discord.NotFound):  # known path, unknown method
        await bot.http.request(discord.http.Route("DELETE", "/users/@me"))
    problems = emu.take_problems()
    assert [p.kind for p in problems] == ["unknown_route", "unknown_route"]
    assert "GET /api/v10/voice/regions" in problems[0].message


async def test_unacknowledged_interaction_fails_after_the_deadline(emu: Emulator) -> None:
    world, _ = await started(emu)

    started_at = time.monotonic()
    with pytest.raises(InteractionFailed, match="This interaction failed"):
        await emu.slash(world.bob, "silent")
    assert time.monotonic() - started_at >= emu.server.tracker.ack_timeout  # no upper bound:
    # a loaded CI machine may run the timer late, and that is not the emulator's fault
    [problem] = emu.take_problems()
    assert problem.kind == "interaction_failed"


async def test_deferred_interaction_that_never_finishes_is_reported() -> None:
    async with Emulator(ack_timeout=0.5, reply_timeout=0.3) as emu:
        world, _ = await started(emu)
        with pytest.raises(InteractionFailed, match="deferred but the bot sent no follow-up"):
            await emu.slash(world.bob, "stuck")
        assert emu.problems == []


async def test_world_changes_reach_a_connected_bot(emu: Emulator) -> None:
    world, bot = await started(emu)

    joined = asyncio.ensure_future(bot.wait_for("member_join", timeout=5))
    carol = emu.add_member(world.guild, "carol")
    assert (await joined).id == carol.id
    created = asyncio.ensure_future(bot.wait_for("guild_role_create", timeout=5))
    helper = emu.add_role(world.guild, "Helper")
    assert (await created).id == helper.id
    updated = asyncio.ensure_future(bot.wait_for("member_update", timeout=5))
    emu.set_roles(carol, [helper])
    _, after = await updated
    assert [r.name for r in after.roles[1:]] == ["Helper"]
    channel = asyncio.ensure_future(bot.wait_for("guild_channel_create", timeout=5))
    escalations = emu.add_channel(world.guild, "escalations")
    assert (await channel).id == escalations.id


async def test_gateway_protocol_over_a_raw_socket(emu: Emulator) -> None:
    emu.add_guild("raw")
    url = emu.server.gateway_url + "?v=10&encoding=json&compress=zlib-stream"
    inflate = zlib.decompressobj()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = json.loads(inflate.decompress((await ws.receive()).data))
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
            await ws.send_json({"op": 1, "d": None})
            assert json.loads(inflate.decompress((await ws.receive()).data))["op"] == 11
            await ws.send_json({"op": 6, "d": {"token": emu.token, "session_id": "x", "seq": 1}})
            assert json.loads(inflate.decompress((await ws.receive()).data))["op"] == 9
        async with session.ws_connect(emu.server.gateway_url) as ws:
            await ws.receive()
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0}})
            closed = await ws.receive()
            assert (closed.type, ws.close_code) == (aiohttp.WSMsgType.CLOSE, 4004)
    [problem] = emu.take_problems()
    assert problem.kind == "gateway" and "4004" in problem.message


async def test_resume_after_reconnect_request(emu: Emulator) -> None:
    world, bot = await started(emu)
    [session] = emu.sessions

    resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
    emu.request_reconnect(session)
    await resumed

    assert emu.sessions == [session] and session.resumes == 1
    assert session.resume_paths == ["/gateway/resume"]  # the client used resume_gateway_url
    assert (await emu.slash(world.bob, "balance")).acknowledgements == 1


async def test_two_shards_each_get_only_their_guilds() -> None:
    async with Emulator(shard_count=2, paranoid=True) as emu:
        guilds = [emu.add_guild(f"guild {n}", shard=(n, 2)) for n in range(2)]
        users = [emu.add_member(g, f"user{n}") for n, g in enumerate(guilds)]
        bots = [DeskBot(shard_id=n, shard_count=2) for n in range(2)]
        await emu.start_client(bots[0])
        await emu.start_client(bots[1])

        for n, bot in enumerate(bots):
            assert [g.id for g in bot.guilds] == [guilds[n].id]
            reply = await emu.slash(users[n], "whoami")
            assert reply.content == f"shard={n} roles=[]"
        assert sorted(s.shard_id for s in emu.sessions) == [0, 1]

        for bot in bots:
            await emu.stop_client(bot)
        autosharded = ShardedDeskBot()
        await emu.start_client(autosharded)
        assert autosharded.shard_count == 2 and len(emu.sessions) == 2
        by_shard = {s.shard_id: s for s in emu.sessions}
        for n in range(2):
            before = {k: s.seq for k, s in by_shard.items()}
            assert (await emu.slash(users[n], "whoami")).content == "shard=None roles=[]"
            grew = [k for k, s in by_shard.items() if s.seq > before[k]]
            assert grew == [n]  # the interaction (and its reply) went only to shard n
        assert emu.problems == []


def test_vendored_openapi_matches_shared_copy() -> None:
    if not SHARED_DOCUMENT.exists():
        pytest.skip(f"{SHARED_DOCUMENT} is not on this machine")
    assert VENDORED_DOCUMENT.read_bytes() == SHARED_DOCUMENT.read_bytes()
    assert (VENDORED_DOCUMENT.parent / "DISCORD_OPENAPI_LICENSE").read_text().startswith("MIT")


def test_fast_validation_is_cheap() -> None:
    validator = route_schemas("POST", CALLBACK_PATH).request
    assert validator is not None
    body = _callback_body("a" * 100, "b" * 1000, 5)
    rounds = 300
    started_at = time.perf_counter()
    for _ in range(rounds):
        assert validator.validate(body).ok
    assert (time.perf_counter() - started_at) / rounds < 0.0003  # jsonschema alone: ~0.8 ms


def _callback_body(content: str, value: str, choices: int) -> dict[str, Any]:
    return {
        "type": 4,
        "data": {
            "content": content,
            "embeds": [{"title": "t", "fields": [{"name": "n", "value": value}]}],
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "s",
                            "options": [{"label": str(i), "value": str(i)} for i in range(choices)],
                        }
                    ],
                }
            ],
        },
    }


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.text(max_size=5) | st.integers(),
    value_len=st.sampled_from([0, 1024, 1025]),
    choices=st.integers(0, 27),
    kind=st.sampled_from([1, 4, 5, 6, 7, 8, 9, 99, "4", True]),
    junk=_json,
    where=st.sampled_from(["data", "embed", "component", "option"]),
)
def test_fast_validator_agrees_with_jsonschema(
    content: Any, value_len: int, choices: int, kind: Any, junk: Any, where: str
) -> None:
    validator = BodyValidator(
        "#/paths/~1interactions~1{interaction_id}~1{interaction_token}~1callback"
        "/post/requestBody/content/application~1json/schema"
    )
    body = _callback_body("x", "v" * value_len, choices)
    body["type"] = kind
    body["data"]["content"] = content
    target = {
        "data": body["data"],
        "embed": body["data"]["embeds"][0],
        "component": body["data"]["components"][0]["components"][0],
        "option": body["data"]["components"][0]["components"][0]["options"][0]
        if choices
        else body["data"],
    }[where]
    target["extra" if isinstance(junk, list) else "type"] = junk
    fast = validator.validate(json.loads(json.dumps(body))).ok
    reference = not validator.explain(body)
    assert fast == reference

"""`tokendesk run` as a real process: start-up failures are one line; a good start serves."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.emulator import Emulator
from tests.bot.desk import eventually, fields

ROOT = Path(__file__).parents[2]


async def tokendesk(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "TOKENDESK"))}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**base, **env},
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def bot_env(emu: Emulator, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `tokendesk run` process that connects to `emu`."""
    info = emu.connection_info()
    return {
        "DISCORD_TOKEN": info["token"],
        "TOKENDESK_DISCORD_REST_URL": info["rest_url"],
        "TOKENDESK_DISCORD_GATEWAY_URL": info["gateway_url"],
        "TOKENDESK_DATABASE_URL": database_url,
        **settings,
    }


async def serving(
    emu: Emulator, sessions: int, *, syncs: int, exclude: frozenset[str] = frozenset()
) -> bool:
    """Wait until bot processes synced and `sessions` new gateway sessions got their guilds.

    A session's READY and GUILD_CREATEs come before any interaction on the same socket,
    so once they are sent, the bot sees guild roles before the first command.
    """

    def ready() -> bool:
        fresh = [s for s in emu.sessions if s.id not in exclude and s.seq >= 2]
        return emu.server.commands.syncs >= syncs and len(fresh) >= sessions

    return bool(await eventually(ready, within=40))


async def finished(process: asyncio.subprocess.Process) -> tuple[int, str]:
    _, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, err.decode()


async def test_run_without_a_token_says_so_in_one_line(sqlite_url):
    code, err = await finished(await tokendesk("run", env={"TOKENDESK_DATABASE_URL": sqlite_url}))
    assert code == 2 and err.count("\n") == 1 and "DISCORD_TOKEN is not set" in err


async def test_run_with_a_rejected_token_or_no_database_says_so_in_one_line(sqlite_url):
    async with Emulator() as emu:
        env = {**bot_env(emu, sqlite_url), "DISCORD_TOKEN": "not-the-token"}
        code, err = await finished(await tokendesk("run", env=env))
        emu.take_problems()  # the emulator rightly recorded the unauthorized request
    assert code == 2 and err.strip().endswith("Discord rejected DISCORD_TOKEN: check the bot token")
    assert "Traceback" not in err
    env["TOKENDESK_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    code, err = await finished(await tokendesk("run", env=env))
    assert code == 2 and "cannot reach the database" in err and "Traceback" not in err


async def test_bad_shard_flags_are_refused(sqlite_url):
    env = {"DISCORD_TOKEN": "x", "TOKENDESK_DATABASE_URL": sqlite_url}
    code, err = await finished(await tokendesk("run", "--shard-ids", "0-1", env=env))
    assert code == 2 and "--shard-ids needs --shard-count" in err


async def test_a_running_bot_process_answers_slash_commands(sqlite_url):
    async with Emulator() as emu:
        guild = emu.add_guild("g")
        alice = emu.add_member(guild, "alice")
        env = bot_env(emu, sqlite_url, TOKENDESK_GUILD_ID=str(guild.id))
        process = await tokendesk("run", env=env)
        try:
            assert await serving(emu, 1, syncs=1), "the bot process never came up"
            reply = await emu.slash(alice, "balance", guild=guild)
            assert reply.embeds[0]["title"] == "Link your account first"
            cost = await emu.slash(
                alice, "cost", guild=guild, model="phoenix", width=512, height=512
            )
            assert cost.embeds[0]["title"].endswith("tokens")
            assert not fields(cost.embeds[0]) or "Per image" in fields(cost.embeds[0])
        finally:
            process.terminate()
            await process.wait()


async def test_a_broken_flow_file_stops_start_up_naming_the_file_and_step(sqlite_url, tmp_path):
    shipped = ROOT / "diagnostics" / "flows"
    for flow in shipped.glob("*.toml"):
        (tmp_path / flow.name).write_text(flow.read_text())
    billing = tmp_path / "billing.toml"
    billing.write_text(billing.read_text().replace('next = "', 'next = "nowhere_', 1))
    env = {
        "DISCORD_TOKEN": "x",
        "TOKENDESK_DATABASE_URL": sqlite_url,
        "TOKENDESK_FLOWS_DIR": str(tmp_path),
    }
    code, err = await finished(await tokendesk("run", env=env))
    assert code == 2 and err.count("\n") == 1
    assert "broken troubleshooting flow" in err and "billing.toml" in err and "step" in err


async def test_a_broken_canned_replies_file_stops_start_up_naming_the_reply(sqlite_url, tmp_path):
    replies = tmp_path / "replies.toml"
    replies.write_text('[[reply]]\nname = "Hello"\ntext = "Hi {username}"\n')
    env = {
        "DISCORD_TOKEN": "x",
        "TOKENDESK_DATABASE_URL": sqlite_url,
        "TOKENDESK_REPLIES_FILE": str(replies),
    }
    code, err = await finished(await tokendesk("run", env=env))
    assert code == 2 and err.count("\n") == 1
    assert "broken canned replies file" in err and "replies.toml" in err
    assert "reply 1 ('Hello'): unknown placeholder {username}" in err

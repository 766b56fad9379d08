"""Bot verbs: `run` (connects to Discord) and `sandbox` (the offline emulator).

Registering them is cheap; what they run lives in `bot.cli.bot_run`, imported only when
one of them is chosen.
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)

__all__ = ["register"]


def register(verbs: argparse._SubParsersAction) -> None:
    """Add `run` and `sandbox` to the `tokendesk` parser."""
    p = verbs.add_parser("run", help="connect the bot to Discord (needs DISCORD_TOKEN)")
    p.add_argument("--shard-count", type=int, help="total shards across all processes")
    p.add_argument("--shard-ids", type=shard_range, help="this process's shards, e.g. 0-3")
    p.add_argument(
        "--http-host",
        default="0.0.0.0",
        help="address for /healthz and /metrics when TOKENDESK_HTTP_PORT is set (0.0.0.0)",
    )
    p.set_defaults(handler=_run, serves=True)
    p = verbs.add_parser(
        "sandbox", help="the real bot against a local Discord emulator, on a demo ledger"
    )
    p.set_defaults(handler=_sandbox)


def shard_range(text: str) -> list[int]:
    """`3` or `0-3` as a list of shard ids."""
    first, _, last = text.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise argparse.ArgumentTypeError("shard ids look like 3 or 0-3")
    ids = list(range(int(first), int(last or first) + 1))
    if not ids:
        raise argparse.ArgumentTypeError("the range is empty")
    return ids


async def _run(args: argparse.Namespace) -> int:
    from bot.cli.bot_run import run

    return await run(args)


async def _sandbox(args: argparse.Namespace) -> int:
    from bot.cli.bot_run import sandbox

    return await sandbox(args)

"""The `tokendesk` command line (SPEC section 3).

Each verb lives in its own module; this one parses arguments and turns the
failures a person can fix (bad settings, an unreachable database, an unknown
account) into one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.cli import bot_verbs, insight_verbs, ledger_verbs, ticket_verbs
from bot.cli.errors import CliError, friendly

log = logging.getLogger(__name__)

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every verb."""
    parser = argparse.ArgumentParser(
        prog="tokendesk", description="A Discord support desk for token questions."
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    bot_verbs.register(verbs)
    ledger_verbs.register(verbs)
    insight_verbs.register(verbs)
    ticket_verbs.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; returns the process exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(args.handler(args))
    except CliError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = friendly(exc)
        if message is None:
            raise
        print(f"tokendesk: {message}", file=sys.stderr)
        return 2

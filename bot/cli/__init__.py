"""The `tokendesk` command line (SPEC section 3).

Each verb lives in its own module; this one parses arguments, reads the settings once
(a malformed one stops here, in one line naming it), sets up logging from them (the
verbs that serve log at `TOKENDESK_LOG_LEVEL`; one-shot verbs and the sandbox show
warnings and errors only, unless it is `DEBUG`), warns about `TOKENDESK_` names that
are not settings, and turns the failures a person can
fix (an unreachable database, an unknown account) into one line on stderr and a
non-zero exit, never a traceback. Nothing here imports discord.py: only the verbs
that talk to Discord load it.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from bot.cli import (
    bot_verbs,
    incident_verbs,
    insight_verbs,
    ledger_verbs,
    ticket_verbs,
    webhook_verb,
)
from bot.cli.errors import CliError, friendly
from bot.logs import configure_logging
from bot.settings import KNOWN, SettingsError, load_settings

log = logging.getLogger(__name__)

__all__ = ["build_parser", "main", "tokendesk_version"]


def tokendesk_version() -> str:
    """The installed version of tokendesk."""
    try:
        return version("tokendesk")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every verb."""
    parser = argparse.ArgumentParser(
        prog="tokendesk", description="A Discord support desk for token questions."
    )
    parser.add_argument("--version", action="version", version=f"tokendesk {tokendesk_version()}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    bot_verbs.register(verbs)
    ledger_verbs.register(verbs)
    insight_verbs.register(verbs)
    ticket_verbs.register(verbs)
    incident_verbs.register(verbs)
    webhook_verb.register(verbs)
    return parser


def warn_unknown(names: Sequence[str]) -> None:
    """One warning per `TOKENDESK_` name that is not a setting, with the likely one."""
    for name in names:
        close = difflib.get_close_matches(name, sorted(KNOWN), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        log.warning("%s is not a tokendesk setting and is ignored%s", name, hint)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"tokendesk: {friendly(exc)}", file=sys.stderr)
        return 2
    level = settings.log_level
    if level == "INFO" and not getattr(args, "serves", False):
        level = "WARNING"  # a one-shot verb's output is its answer, not progress chatter
    configure_logging(level, settings.log_format, settings.secrets())
    log.debug("tokendesk %s, %r", tokendesk_version(), settings)
    warn_unknown(settings.unknown)
    try:
        return asyncio.run(args.handler(args))
    except CliError as exc:
        print(f"tokendesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = friendly(exc, settings.database_url)
        if message is None:
            raise
        print(f"tokendesk: {message}", file=sys.stderr)
        return 2

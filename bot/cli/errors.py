"""Errors the command line reports in one line."""

from __future__ import annotations

import sqlite3

from bot.settings import SettingsError
from diagnostics.canned import CannedError
from diagnostics.flow_model import FlowError
from ledger import STATEMENT_TIMEOUT_S, DatabaseUnavailable, database_place

__all__ = ["CliError", "friendly"]


class CliError(Exception):
    """A failure to report as one line, with the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def friendly(exc: BaseException, database_url: str | None = None) -> str | None:
    """One line for failures a person can fix, or None for a real bug.

    Args:
        exc: what went wrong.
        database_url: the configured database, to say where a timeout happened.
    """
    if isinstance(exc, FlowError):
        return f"broken troubleshooting flow: {exc}"
    if isinstance(exc, CannedError):
        return f"broken canned replies file: {exc}"
    if isinstance(exc, SettingsError):
        return f"bad setting {exc}"
    if isinstance(exc, DatabaseUnavailable):
        return f"cannot reach the database: {exc.cause} ({exc.url})"
    if isinstance(exc, TimeoutError):
        place = f" from {database_place(database_url)}" if database_url else ""
        return f"cannot reach the database: no answer{place} within {STATEMENT_TIMEOUT_S} s"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return f"the database is busy: {exc} (another process held its write lock too long)"
    if isinstance(exc, OSError | sqlite3.Error) or type(exc).__module__.startswith("asyncpg"):
        return f"cannot reach the database: {exc}"
    if type(exc).__module__.startswith("sqlalchemy"):
        cause = exc.__cause__ or exc
        return f"cannot reach the database: {str(cause).splitlines()[0]}"
    return None

"""Database URLs: the default, and the drivers each backend needs."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

__all__ = ["DEFAULT_URL", "async_url", "is_sqlite", "sqlite_path"]

DEFAULT_URL = "sqlite+aiosqlite:///tokendesk.db"


def async_url(url: str) -> URL:
    """The URL with its async driver: aiosqlite for SQLite, asyncpg for PostgreSQL.

    Raises:
        ValueError: the URL names another database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> str:
    """The file a SQLite URL names (`:memory:` is refused: the ledger needs a file)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("the ledger needs a SQLite file, not an in-memory database")
    return database

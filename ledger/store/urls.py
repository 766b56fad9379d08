"""Database URLs: the forms tokendesk accepts, the driver each backend needs, its timeouts.

Accepted (SPEC section 5): `sqlite:///FILE` and `sqlite+aiosqlite:///FILE` (a file: an
in-memory database would keep nothing), and `postgresql://`, `postgres://` and
`postgresql+asyncpg://` for PostgreSQL, where libpq's `sslmode` query parameter is
honoured by translating it to asyncpg's `ssl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "CONNECT_TIMEOUT_S",
    "DEFAULT_URL",
    "STATEMENT_TIMEOUT_S",
    "async_url",
    "check_url",
    "connect_args",
    "is_sqlite",
    "safe_url",
    "sqlite_path",
    "url_password",
    "where",
]

DEFAULT_URL = "sqlite+aiosqlite:///tokendesk.db"
CONNECT_TIMEOUT_S = 5
"""Seconds to wait for PostgreSQL to accept a connection and answer its start-up."""
STATEMENT_TIMEOUT_S = 60
"""Seconds one PostgreSQL statement may take before the driver gives up on it."""

_POSTGRES = {"postgresql", "postgres"}
_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


_SQLITE_PREFIXES = ("sqlite://", "sqlite+pysqlite://", "sqlite+aiosqlite://")


def _parse(url: str) -> URL:
    # SQLAlchemy takes a third of a second to import: a SQLite ledger's verbs skip it.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError("is not a database URL (sqlite:///FILE or postgresql://...)") from None


def _backend(parsed: URL) -> str:
    return parsed.drivername.partition("+")[0]


def async_url(url: str) -> URL:
    """The URL with its async driver: aiosqlite for SQLite, asyncpg for PostgreSQL.

    Raises:
        ValueError: the URL names another database, or a SQLite database with no file,
            or an `sslmode` libpq does not know.
    """
    parsed = _parse(url)
    backend = _backend(parsed)
    if backend == "sqlite":
        sqlite_path(url)
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in _POSTGRES:
        query = dict(parsed.query)
        mode = query.pop("sslmode", None)
        if mode is not None:
            if mode not in _SSLMODES:
                raise ValueError(f"sslmode={mode} is not one of {', '.join(sorted(_SSLMODES))}")
            query["ssl"] = mode  # asyncpg takes libpq's modes under the name `ssl`
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    raise ValueError(f"names an unsupported database {backend!r}: use sqlite or postgresql")


def connect_args(url: str, *, statements: bool = True) -> dict[str, Any]:
    """Driver options that bound how long a connect (and a statement) may wait.

    Args:
        url: the database URL.
        statements: also bound each statement (off for migrations, which may be long).
    """
    if is_sqlite(url):
        return {}
    args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_S}
    if statements:
        args["command_timeout"] = STATEMENT_TIMEOUT_S
    return args


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return url.startswith(_SQLITE_PREFIXES)


def sqlite_path(url: str) -> str:
    """The file a SQLite URL names (`sqlite:///rel.db`, `sqlite:////abs/path.db`).

    Raises:
        ValueError: the URL names no file (`sqlite://`) or an in-memory database.
    """
    if not is_sqlite(url):
        raise ValueError("is not a SQLite URL")
    rest = url.split("://", 1)[1]
    database = rest[1:].split("?", 1)[0] if rest.startswith("/") else ""
    if not database or database == ":memory:" or "mode=memory" in url:
        raise ValueError("names no SQLite file: the ledger must persist (sqlite:///FILE)")
    return database


def check_url(url: str) -> None:
    """Whether tokendesk can use a database URL.

    Raises:
        ValueError: what is wrong with it (another database, no SQLite file, a bad sslmode).
    """
    if is_sqlite(url):
        sqlite_path(url)
    else:
        async_url(url)


def url_password(url: str) -> str | None:
    """The password a database URL carries, if any (a secret to keep out of logs)."""
    if is_sqlite(url):
        return None
    try:
        return _parse(url).password
    except ValueError:
        return None


def safe_url(url: str) -> str:
    """The URL as it may be shown: without its password."""
    try:
        return _parse(url).render_as_string(hide_password=True)
    except ValueError:
        return "(not a URL)"


def where(url: str) -> str:
    """`host:port` of a PostgreSQL URL, or the file of a SQLite one, for messages."""
    parsed = _parse(url)
    if _backend(parsed) == "sqlite":
        return parsed.database or ""
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"

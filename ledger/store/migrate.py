"""Schema migrations (Alembic), run through the async engine on either database."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from ledger.store.urls import async_url

log = logging.getLogger(__name__)

__all__ = ["head_revision", "upgrade"]


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("ledger") / "migrations"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to the newest revision.

    Returns:
        The revision before and after.
    """
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            before = await conn.run_sync(_current)
            if before != head_revision():
                await conn.run_sync(lambda sync: command.upgrade(_config(sync), "head"))
            return before, head_revision()
    finally:
        await engine.dispose()

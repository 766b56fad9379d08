"""Settings from the environment, or a `.env` file in the working directory (SPEC section 5)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from ledger.store.urls import DEFAULT_URL

log = logging.getLogger(__name__)

__all__ = ["Settings", "SettingsError", "load_settings"]


class SettingsError(ValueError):
    """A setting has a value that cannot be used.

    Attributes:
        name: the variable.
        problem: what is wrong with it.
    """

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything tokendesk reads from its environment."""

    discord_token: str | None = None
    database_url: str = DEFAULT_URL
    guild_id: int | None = None
    support_role: str | None = None
    moderator_role: str | None = None
    triage_channel: int | None = None
    webhook_secret: str | None = None
    refund_max_age_days: int = 30
    max_open_tickets: int = 3
    auto_approve_up_to: int = 0
    discord_rest_url: str | None = None
    discord_gateway_url: str | None = None
    db_pool_size: int | None = None
    flows_dir: str | None = None


def _int(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise SettingsError(name, "must be a Discord id (digits only)")
    return int(value)


def load_settings(environ: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read settings: the process environment wins over `.env`.

    Raises:
        SettingsError: a setting is malformed.
    """
    path = env_file if env_file is not None else Path(".env")
    values: dict[str, str | None] = dict(dotenv_values(path)) if path.is_file() else {}
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value and value.strip() else None

    return Settings(
        discord_token=get("DISCORD_TOKEN"),
        database_url=get("TOKENDESK_DATABASE_URL") or DEFAULT_URL,
        guild_id=_int("TOKENDESK_GUILD_ID", get("TOKENDESK_GUILD_ID")),
        support_role=get("TOKENDESK_SUPPORT_ROLE"),
        moderator_role=get("TOKENDESK_MODERATOR_ROLE"),
        triage_channel=_int("TOKENDESK_TRIAGE_CHANNEL", get("TOKENDESK_TRIAGE_CHANNEL")),
        webhook_secret=get("TOKENDESK_WEBHOOK_SECRET"),
        refund_max_age_days=_count("TOKENDESK_REFUND_MAX_AGE_DAYS", get, 30, minimum=1),
        max_open_tickets=_count("TOKENDESK_MAX_OPEN_TICKETS", get, 3, minimum=1),
        auto_approve_up_to=_count("TOKENDESK_AUTO_APPROVE_UP_TO", get, 0, minimum=0),
        discord_rest_url=get("TOKENDESK_DISCORD_REST_URL"),
        discord_gateway_url=get("TOKENDESK_DISCORD_GATEWAY_URL"),
        db_pool_size=_count("TOKENDESK_DB_POOL_SIZE", get, 0, minimum=1) or None,
        flows_dir=get("TOKENDESK_FLOWS_DIR"),
    )


def _count(name: str, get: Callable[[str], str | None], default: int, *, minimum: int) -> int:
    value = get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise SettingsError(name, f"must be a whole number of at least {minimum}")
    return int(value)

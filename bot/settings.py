"""Settings from the environment, or a `.env` file in the working directory (SPEC section 5).

Every setting is declared once, in `SETTINGS`: its variable, its default, a line about
it and how its text is read. `.env.example` lists exactly these (a test checks it). A
malformed value raises `SettingsError` naming the variable; a `TOKENDESK_` name that is
not a setting is kept in `Settings.unknown` for the one warning the command line logs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from ledger import DEFAULT_DATABASE_URL, check_database_url, database_password, safe_database_url

log = logging.getLogger(__name__)

__all__ = ["KNOWN", "SETTINGS", "Setting", "Settings", "SettingsError", "load_settings"]

PREFIX = "TOKENDESK_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


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


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Everything tokendesk reads from its environment. Its repr never shows a secret."""

    discord_token: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
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
    db_pool_size: int = 10
    flows_dir: str | None = None
    replies_file: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    http_port: int | None = None
    sla_hours: int = 24
    auto_close_days: int = 7
    incident_threshold: int = 20
    delivery_lease_s: int = 60
    unknown: tuple[str, ...] = field(default=())
    """`TOKENDESK_` names found in the environment or `.env` that are not settings."""

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS and value:
                value = "***"
            elif f.name == "database_url":
                value = safe_database_url(value)
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    def secrets(self) -> list[str]:
        """The secret values set (the token, the webhook secret, the database password)."""
        found = [self.discord_token, self.webhook_secret]
        found.append(database_password(self.database_url))
        return [s for s in found if s]


_SECRET_FIELDS = {"discord_token", "webhook_secret"}


def _text(name: str, value: str) -> str:
    return value


def _snowflake(name: str, value: str) -> int:
    if not value.isdigit():
        raise SettingsError(name, f"must be a Discord id (digits only), not {value!r}")
    return int(value)


def _count(minimum: int, maximum: int = 10**9) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        if not value.isdigit() or not minimum <= int(value) <= maximum:
            raise SettingsError(
                name, f"must be a whole number from {minimum} to {maximum}, not {value!r}"
            )
        return int(value)

    return parse


def _choice(options: tuple[str, ...], *, upper: bool) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        norm = value.upper() if upper else value.lower()
        if norm not in options:
            raise SettingsError(name, f"must be one of {', '.join(options)}, not {value!r}")
        return norm

    return parse


def _database_url(name: str, value: str) -> str:
    try:
        check_database_url(value)
    except ValueError as exc:
        raise SettingsError(name, f"{safe_database_url(value)} {exc}") from None
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable: where it goes, its default, a line about it, its reader."""

    name: str
    field: str
    default: str
    about: str
    parse: Callable[[str, str], Any] = _text


SETTINGS: tuple[Setting, ...] = (
    Setting("DISCORD_TOKEN", "discord_token", "", "The bot's token (secret); `run` needs it."),
    Setting(
        "TOKENDESK_DATABASE_URL",
        "database_url",
        DEFAULT_DATABASE_URL,
        "sqlite:///FILE or postgresql://user:password@host/db (also postgres://,"
        " postgresql+asyncpg://; ?sslmode=... honoured).",
        _database_url,
    ),
    Setting("TOKENDESK_GUILD_ID", "guild_id", "", "The support server's id.", _snowflake),
    Setting("TOKENDESK_SUPPORT_ROLE", "support_role", "", "The support team's role (name or id)."),
    Setting("TOKENDESK_MODERATOR_ROLE", "moderator_role", "", "The moderators' role (name or id)."),
    Setting(
        "TOKENDESK_TRIAGE_CHANNEL",
        "triage_channel",
        "",
        "The channel id where new tickets are posted.",
        _snowflake,
    ),
    Setting(
        "TOKENDESK_WEBHOOK_SECRET",
        "webhook_secret",
        "",
        "Signs POST /v1/events (secret); `webhook` needs it.",
    ),
    Setting(
        "TOKENDESK_REFUND_MAX_AGE_DAYS",
        "refund_max_age_days",
        "30",
        "A failed generation can be refunded this many days.",
        _count(1),
    ),
    Setting(
        "TOKENDESK_MAX_OPEN_TICKETS",
        "max_open_tickets",
        "3",
        "Open tickets one user may have at once.",
        _count(1),
    ),
    Setting(
        "TOKENDESK_AUTO_APPROVE_UP_TO",
        "auto_approve_up_to",
        "0",
        "Refund tickets for at most this many tokens are approved at once (0: off).",
        _count(0),
    ),
    Setting(
        "TOKENDESK_DISCORD_REST_URL",
        "discord_rest_url",
        "",
        "Tests only: a loopback Discord's REST URL (the emulator).",
    ),
    Setting(
        "TOKENDESK_DISCORD_GATEWAY_URL",
        "discord_gateway_url",
        "",
        "Tests only: a loopback Discord's gateway URL (the emulator).",
    ),
    Setting(
        "TOKENDESK_DELIVERY_LEASE_S",
        "delivery_lease_s",
        "60",
        "Tests only: seconds a process holds a DM it is delivering before another may take"
        " it over.",
        _count(1, 3600),
    ),
    Setting(
        "TOKENDESK_DB_POOL_SIZE",
        "db_pool_size",
        "10",
        "PostgreSQL connections per process (up to twice this under load).",
        _count(1, 1000),
    ),
    Setting(
        "TOKENDESK_FLOWS_DIR",
        "flows_dir",
        "",
        "A folder of troubleshooting flows (*.toml) to use instead of the shipped ones.",
    ),
    Setting(
        "TOKENDESK_REPLIES_FILE",
        "replies_file",
        "",
        "A file of canned replies for /ticket reply (TOML) instead of the shipped one.",
    ),
    Setting(
        "TOKENDESK_LOG_LEVEL",
        "log_level",
        "INFO",
        f"Log level: {', '.join(LOG_LEVELS)}.",
        _choice(LOG_LEVELS, upper=True),
    ),
    Setting(
        "TOKENDESK_LOG_FORMAT",
        "log_format",
        "text",
        "text, or json: one JSON object per line.",
        _choice(LOG_FORMATS, upper=False),
    ),
    Setting(
        "TOKENDESK_HTTP_PORT",
        "http_port",
        "",
        "Where `run` serves /healthz and /metrics (unset: not served).",
        _count(1, 65535),
    ),
    Setting(
        "TOKENDESK_SLA_HOURS",
        "sla_hours",
        "24",
        "Hours a ticket may wait for its first staff response before it is overdue.",
        _count(1),
    ),
    Setting(
        "TOKENDESK_AUTO_CLOSE_DAYS",
        "auto_close_days",
        "7",
        "Days a ticket waiting on the user stays open without an answer.",
        _count(1),
    ),
    Setting(
        "TOKENDESK_INCIDENT_THRESHOLD",
        "incident_threshold",
        "20",
        "Failures of one model within 15 minutes that raise an incident alert.",
        _count(1),
    ),
)
KNOWN = frozenset(s.name for s in SETTINGS)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Read settings: the process environment wins over `.env`.

    Raises:
        SettingsError: a setting is malformed (the first one found, by name).
    """
    path = env_file if env_file is not None else Path(".env")
    values: dict[str, str | None] = dict(dotenv_values(path)) if path.is_file() else {}
    values.update(os.environ if environ is None else environ)
    read: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = values.get(setting.name)
        text = raw.strip() if raw else ""
        if text:
            read[setting.field] = setting.parse(setting.name, text)
    unknown = tuple(sorted(n for n in values if n.startswith(PREFIX) and n not in KNOWN))
    return Settings(**read, unknown=unknown)

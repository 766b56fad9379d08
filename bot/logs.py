"""Log lines: UTC time, level and logger on every line, or one JSON object per line.

`configure_logging` is called once by the command line, after the settings are read.
Secret values (the bot token, the webhook secret, the database password) are replaced
by `***` in whatever is written, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

log = logging.getLogger(__name__)

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging"]

QUIET_AT_INFO = ("alembic",)
MIN_SECRET = 4
"""Third-party loggers whose INFO lines are chatter: shown only at DEBUG."""


def _utc(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is hidden whole. Values under
        # MIN_SECRET characters are not searched for: they would blank out ordinary words.
        found = {s for s in secrets if s and len(s) >= MIN_SECRET}
        self._secrets = sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _body(self, record: logging.LogRecord) -> tuple[str, str | None]:
        message = record.getMessage()
        trace = None
        if record.exc_info:
            trace = self.formatException(record.exc_info)
        elif record.exc_text:
            trace = record.exc_text
        if record.stack_info:
            trace = (trace + "\n" if trace else "") + self.formatStack(record.stack_info)
        return self.redact(message), (self.redact(trace) if trace else None)


class TextFormatter(_Redacting):
    """`2026-03-10T12:00:00.000Z INFO bot.app: message`; every line of a traceback too."""

    def format(self, record: logging.LogRecord) -> str:
        message, trace = self._body(record)
        head = f"{_utc(record)} {record.levelname} {record.name}:"
        text = message if trace is None else f"{message}\n{trace}"
        return "\n".join(f"{head} {line}" for line in text.splitlines() or [""])


class JsonFormatter(_Redacting):
    """One JSON object per line: `time`, `level`, `logger`, `message`, and `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        message, trace = self._body(record)
        entry = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if trace is not None:
            entry["exception"] = trace
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Send every log record to standard error in the chosen format, hiding secrets.

    Args:
        level: `TOKENDESK_LOG_LEVEL` (DEBUG, INFO, WARNING, ERROR, CRITICAL).
        fmt: `TOKENDESK_LOG_FORMAT`, `text` or `json`.
        secrets: values never to write.
        stream: where lines go (standard error by default).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.WARNING if logging.getLevelName(level) > logging.DEBUG else logging.NOTSET
    for name in QUIET_AT_INFO:
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)

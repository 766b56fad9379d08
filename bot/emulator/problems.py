"""Discord's error responses, the emulator's problem records and the driver's exceptions."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Discord JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
GENERAL_ERROR = 0
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_APPLICATION_COMMAND = 10063
UNKNOWN_INTERACTION = 10062
UNAUTHORIZED = 40001
INTERACTION_ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
CANNOT_SEND_EMPTY_MESSAGE = 50006
CANNOT_SEND_TO_USER = 50007
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
INVALID_JSON = 50109
THREAD_ALREADY_CREATED = 160004


class DiscordHTTPError(Exception):
    """Raised by REST handlers to answer with one of Discord's error responses.

    Args:
        status: HTTP status.
        code: Discord JSON error code.
        message: Discord's message for that code.
        errors: Nested field errors (the ``errors`` object of a 50035 response).
        problem: Problem kind to record for a 400 (default: invalid body).
        expected: A 400 a correct bot meets in a race (a second process starting the
            same thread): Discord refuses it, and no problem is recorded.
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        problem: str | None = None,
        expected: bool = False,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.expected = expected
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.problem = problem

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends with this error."""
        payload: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            payload["errors"] = self.errors
        return payload


def not_found(code: int, what: str) -> DiscordHTTPError:
    """Return a 404 for an unknown resource, e.g. ``not_found(UNKNOWN_CHANNEL, "Channel")``."""
    return DiscordHTTPError(404, code, f"Unknown {what}")


def forbidden(code: int, message: str) -> DiscordHTTPError:
    """Return a 403, e.g. ``forbidden(CANNOT_SEND_TO_USER, "Cannot send messages ...")``."""
    return DiscordHTTPError(403, code, message)


def already_acknowledged() -> DiscordHTTPError:
    """Return Discord's answer to a second callback for one interaction."""
    return DiscordHTTPError(
        400,
        INTERACTION_ALREADY_ACKNOWLEDGED,
        "Interaction has already been acknowledged.",
        problem=KIND_ALREADY_ACKNOWLEDGED,
    )


@dataclass(frozen=True)
class Problem:
    """Something the bot (or the emulator) did that real Discord would refuse or show badly.

    Attributes:
        kind: Short machine-readable category, see the ``KIND_*`` constants.
        message: Human-readable explanation, loud and specific.
        route: ``METHOD /path`` of the request involved, if any.
        interaction_id: The interaction it concerns, if any.
        details: Extra structured data (field errors, bodies).
    """

    kind: str
    message: str
    route: str | None = None
    interaction_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    def __str__(self) -> str:
        where = f" [{self.route}]" if self.route else ""
        return f"{self.kind}{where}: {self.message}"


KIND_UNKNOWN_ROUTE = "unknown_route"
KIND_INVALID_BODY = "invalid_body"
KIND_INVALID_RESPONSE = "invalid_response"
KIND_ALREADY_ACKNOWLEDGED = "already_acknowledged"
KIND_INTERACTION_FAILED = "interaction_failed"
KIND_UNAUTHORIZED = "unauthorized"
KIND_GATEWAY = "gateway"
KIND_VALIDATOR = "validator_disagreement"


class EmulatorError(Exception):
    """Base class of the errors the emulator's driver raises in tests and the sandbox."""


class CommandNotAvailable(EmulatorError):
    """The command, subcommand or option is not synced, or the user may not see it."""


class InvalidOptionValue(EmulatorError):
    """An option value Discord's client would not let a user submit."""


class ComponentNotFound(EmulatorError):
    """No usable button, select or modal matches what the test asked to use."""


class InteractionFailed(EmulatorError):
    """The bot did not answer an interaction properly; the user saw "This interaction failed".

    Attributes:
        problems: The recorded problems that explain the failure.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        detail = "".join(f"\n  - {p}" for p in problems or [])
        super().__init__(message + detail)
        self.problems = list(problems or [])


class ProblemsRecorded(EmulatorError):
    """Raised by :meth:`~bot.emulator.driver.Emulator.raise_for_problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        lines = "".join(f"\n  - {p}" for p in problems)
        super().__init__(f"the Discord emulator recorded {len(problems)} problem(s):{lines}")
        self.problems = list(problems)

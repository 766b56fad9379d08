"""Canned replies for `/ticket reply`: an operator-editable data file, checked at start.

The shipped file is `diagnostics/replies.toml`; an operator points
`TOKENDESK_REPLIES_FILE` at their own. Each `[[reply]]` has a `name` (what staff pick
from autocomplete) and a `text`, which may use `{user}`, `{ticket}`, `{generation_id}`
and `{balance}`; the bot fills them in for the ticket's user. A broken file (bad TOML,
a missing or repeated name, an unknown placeholder, text too long) raises
`CannedError` naming the file, the reply and the problem, so start-up stops in one line.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_REPLIES",
    "MAX_NAME",
    "MAX_REPLIES",
    "MAX_TEXT",
    "PLACEHOLDERS",
    "CannedError",
    "CannedReplies",
    "CannedReply",
    "load_replies",
]

DEFAULT_REPLIES = Path(__file__).with_name("replies.toml")
PLACEHOLDERS = ("user", "ticket", "generation_id", "balance")
MAX_NAME = 60
MAX_TEXT = 1_000
MAX_REPLIES = 200


class CannedError(ValueError):
    """A canned replies file cannot be used.

    Attributes:
        path: the file.
        problem: what is wrong, and where in the file.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class CannedReply:
    """One reply staff can pick."""

    name: str
    text: str

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder replaced by its value (all four must be given)."""
        return self.text.format_map({key: values[key] for key in PLACEHOLDERS})


class CannedReplies:
    """The replies of one file, by name (names are matched without regard to case)."""

    def __init__(self, replies: tuple[CannedReply, ...]) -> None:
        self.replies = replies
        self._by_name = {r.name.casefold(): r for r in replies}

    def find(self, name: str) -> CannedReply | None:
        """The reply called `name`, or None."""
        return self._by_name.get(name.strip().casefold())

    def matching(self, typed: str, limit: int = 25) -> list[CannedReply]:
        """Replies whose name or text contains what was typed, names first, in file order."""
        wanted = typed.strip().casefold()
        by_name = [r for r in self.replies if wanted in r.name.casefold()]
        by_text = [r for r in self.replies if r not in by_name and wanted in r.text.casefold()]
        return (by_name + by_text)[:limit]


def _check_text(text: str, where: str, path: Path) -> None:
    if not text.strip():
        raise CannedError(path, f"{where}: `text` is empty")
    if len(text) > MAX_TEXT:
        raise CannedError(path, f"{where}: `text` is {len(text)} characters, at most {MAX_TEXT}")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise CannedError(path, f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise CannedError(path, f"{where}: unknown placeholder {shown} (use {allowed})")


def load_replies(path: Path | None = None) -> CannedReplies:
    """Read and check a canned replies file (default: the shipped one).

    Raises:
        CannedError: the file is unreadable or breaks a rule; the message says where.
    """
    path = path or DEFAULT_REPLIES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CannedError(path, f"cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CannedError(path, f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"reply"})
    if unknown:
        raise CannedError(path, f"unknown table(s) {', '.join(unknown)}: only [[reply]] is read")
    entries = data.get("reply", [])
    if not isinstance(entries, list) or len(entries) > MAX_REPLIES:
        raise CannedError(path, f"`reply` must be a list of at most {MAX_REPLIES} [[reply]]")
    replies: list[CannedReply] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"reply {number}"
        if not isinstance(entry, dict) or set(entry) != {"name", "text"}:
            raise CannedError(path, f"{where}: needs exactly `name` and `text`")
        name, text = entry["name"], entry["text"]
        if not isinstance(name, str) or not isinstance(text, str):
            raise CannedError(path, f"{where}: `name` and `text` must be text")
        name = name.strip()
        where = f"reply {number} ({name!r})"
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise CannedError(path, f"{where}: `name` must be 1 to {MAX_NAME} printable characters")
        if name.casefold() in seen:
            raise CannedError(path, f"{where}: another reply has this name")
        seen.add(name.casefold())
        _check_text(text, where, path)
        replies.append(CannedReply(name, text.strip()))
    return CannedReplies(tuple(replies))

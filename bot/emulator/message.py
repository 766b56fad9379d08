"""A stored message: text, flags, and embeds/components/attachments kept as JSON text."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.emulator.snowflakes import iso

log = logging.getLogger(__name__)

EPHEMERAL = 1 << 6
LOADING = 1 << 7

_NO_PARTS = "[]"


class _JSONParts:
    """A list attribute (embeds, components, attachments) kept as JSON text.

    Reads decode a fresh copy. Text is atomic to CPython's garbage collector, so thousands
    of stored messages add nothing to its pauses (a benchmark keeps many in memory).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return json.loads(getattr(obj, self._slot))

    def __set__(self, obj: object, value: list[dict[str, Any]] | None) -> None:
        text = json.dumps(list(value), separators=(",", ":")) if value else _NO_PARTS
        setattr(obj, self._slot, text)


class Message:
    """A message as stored by the emulator (parts in Discord's JSON shape)."""

    __slots__ = (
        "_attachments",
        "_components",
        "_embeds",
        "author_id",
        "channel_id",
        "content",
        "deleted",
        "edited_timestamp",
        "flags",
        "id",
        "interaction_id",
        "metadata_json",
        "pings",
        "timestamp",
        "tts",
        "type",
        "webhook_id",
    )
    embeds = _JSONParts()
    components = _JSONParts()
    attachments = _JSONParts()
    _embeds: str
    _components: str
    _attachments: str

    def __init__(
        self,
        id: int,
        channel_id: int,
        author_id: int,
        *,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        flags: int = 0,
        type: int = 0,
        tts: bool = False,
        webhook_id: int | None = None,
        interaction_id: int | None = None,
        metadata_json: str | None = None,
        pings: tuple[str, ...] = (),
    ) -> None:
        self.id, self.channel_id, self.author_id = id, channel_id, author_id
        self.content, self.flags, self.type, self.tts = content, flags, type, tts
        self.embeds, self.components, self.attachments = embeds, components, attachments
        self.webhook_id, self.interaction_id = webhook_id, interaction_id
        # ``interaction_metadata`` of a message made by an interaction response (JSON text)
        self.metadata_json = metadata_json
        self.pings = pings  # who the content notified (see bodies.pings)
        self.timestamp: str = iso()
        self.edited_timestamp: str | None = None
        self.deleted = False

    def __repr__(self) -> str:
        return f"<Message id={self.id} channel_id={self.channel_id} content={self.content!r}>"

    @property
    def ephemeral(self) -> bool:
        """Whether only the interaction's user can see the message."""
        return bool(self.flags & EPHEMERAL)

    def parts_json(self) -> tuple[str, str]:
        """The embeds and components as stored JSON text (for cheap snapshots)."""
        return self._embeds, self._components

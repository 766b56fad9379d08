"""Text for a terminal: characters that hide or reorder what is shown become visible escapes.

An id is platform data. A bidi override (U+202E) in one makes a terminal show the rest
of the line reversed, and a zero-width space makes two different ids look the same, so
the command line shows such characters as `\\u202e` escapes.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

__all__ = ["INVISIBLE", "visible"]

INVISIBLE = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]  # bidi embeddings and overrides
    + [chr(c) for c in range(0x2066, 0x206A)]  # bidi isolates
    + [chr(c) for c in range(0x200B, 0x2010)]  # zero-width space, joiners, LRM/RLM
    + ["\ufeff", "\u2060"]  # zero-width no-break space, word joiner
)
_ESCAPES = {ord(ch): f"\\u{ord(ch):04x}" for ch in INVISIBLE}


def visible(text: str | None) -> str:
    """`text` with bidi controls and zero-width characters as `\\uXXXX` escapes."""
    return "" if text is None else text.translate(_ESCAPES)

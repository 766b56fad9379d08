"""Numbered lines from a byte stream, in bounded memory whatever the stream holds.

SPEC 2: lines are separated by `\\n` (a trailing `\\r` is ignored), blank lines are
skipped, and a line is at most 64 KB. The stream is read in chunks; at most one
line's worth (the limit plus one byte) is held at a time. A longer line is not kept:
its bytes are dropped as they stream past, up to its newline, and it comes out as
`None` (a line to reject, with its number).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import BinaryIO

from ledger.events import MAX_LINE_BYTES

__all__ = ["CHUNK_BYTES", "read_lines", "split_lines"]

CHUNK_BYTES = 256 * 1024
_KEEP = MAX_LINE_BYTES + 1
"""A line longer than this cannot be valid even without its trailing `\\r`."""


def split_lines(data: bytes) -> Iterable[tuple[int, bytes]]:
    """(line number, line) for each non-blank line of bytes already in memory."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            yield number, line


async def read_lines(
    stream: BinaryIO, *, chunk_bytes: int = CHUNK_BYTES
) -> AsyncIterator[tuple[int, bytes | None]]:
    """(line number, line) for each non-blank line of a stream; None for an overlong line.

    Each read runs in a worker thread, so that a slow pipe never stalls the event loop
    (and the database work waiting on it).
    """
    lines = _Splitter()
    while True:
        chunk = await asyncio.to_thread(stream.read, chunk_bytes)
        if not chunk:
            break
        for item in lines.feed(chunk):
            yield item
    for item in lines.end():
        yield item


class _Splitter:
    """Cuts chunks into lines, carrying the unfinished one (bounded) between chunks.

    An overlong line is dropped as it streams past; only whether it was all blank (then
    it is skipped like any blank line) is remembered.
    """

    def __init__(self) -> None:
        self.number = 0
        self.partial = b""
        self.overlong = False
        self.blank = True

    def feed(self, chunk: bytes) -> Iterator[tuple[int, bytes | None]]:
        parts = chunk.split(b"\n")
        last = parts.pop()
        for part in parts:
            self.number += 1
            if self.overlong:
                found = self._dropped(part)
            else:
                found = _line(self.number, self.partial + part if self.partial else part)
                self.partial = b""
            if found is not None:
                yield found
        self._carry(last)

    def end(self) -> Iterator[tuple[int, bytes | None]]:
        self.number += 1
        found = self._dropped(b"") if self.overlong else _line(self.number, self.partial)
        if found is not None:
            yield found

    def _dropped(self, tail: bytes) -> tuple[int, None] | None:
        blank = self.blank and _blank(tail)
        self.overlong, self.blank = False, True
        return None if blank else (self.number, None)

    def _carry(self, tail: bytes) -> None:
        if self.overlong:
            self.blank = self.blank and _blank(tail)
        elif len(self.partial) + len(tail) > _KEEP:
            self.overlong, self.blank = True, _blank(self.partial) and _blank(tail)
            self.partial = b""
        else:
            self.partial += tail


def _blank(data: bytes) -> bool:
    return not data or data.isspace()


def _line(number: int, line: bytes) -> tuple[int, bytes | None] | None:
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip():
        return None
    if len(line) > MAX_LINE_BYTES:
        return number, None
    return number, line

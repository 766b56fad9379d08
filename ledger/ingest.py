"""Ingesting a stream of event lines: validate, apply in order, report per line.

Lines are validated as they are read and applied in batches of `BATCH` lines: the
valid ones of a batch go to the ledger together (`LedgerService.apply_many`, one
transaction), while the next batch is read and validated. Results come back in input
order, one batch at a time, to a callback; nothing of the input is kept beyond the
batch in flight and the one being read, so memory does not grow with the stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from ledger.batch import EventResult
from ledger.events import MAX_LINE_BYTES, Event, Invalid, parse_line
from ledger.lines import read_lines, split_lines
from ledger.plans import Catalogue
from ledger.service import LedgerService

log = logging.getLogger(__name__)

__all__ = [
    "IngestReport",
    "LineResult",
    "ingest_lines",
    "ingest_parsed",
    "ingest_stream",
    "parse_lines",
    "split_lines",
]

BATCH = 500
YIELD_EVERY = 32
"""Lines validated between two turns of the event loop while a batch is being applied."""
TOO_LONG = f"line is longer than {MAX_LINE_BYTES // 1024} KB"

Parsed = tuple[int, Event | Invalid]


@dataclass(frozen=True, slots=True)
class LineResult:
    """The result for one line of the input (1-based line number)."""

    line: int
    id: str | None
    outcome: str
    reason: str | None


@dataclass
class IngestReport:
    """Counts per outcome, and the lines worth a person's attention."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("applied", "late", "refused", "skipped", "rejected"), 0
        )
    )
    notable: list[LineResult] | None = field(default_factory=list)
    """Rejected, late and refused lines, in input order (None: not kept)."""
    everything: list[LineResult] | None = None
    """Every line's result, in input order, when asked for (the webhook answers with it)."""

    @property
    def rejected(self) -> list[LineResult]:
        """The rejected lines, in input order (when notable lines are kept)."""
        return [r for r in self.notable or () if r.outcome == "rejected"]

    @property
    def ok(self) -> bool:
        """True when no line was rejected (refused charges are business outcomes)."""
        return self.counts["rejected"] == 0

    def add(self, result: LineResult) -> None:
        """Count one line's result (and keep it, as the report was asked to)."""
        self.counts[result.outcome] += 1
        if self.notable is not None and result.outcome in ("rejected", "late", "refused"):
            self.notable.append(result)
        if self.everything is not None:
            self.everything.append(result)


def parse_lines(
    lines: Iterable[tuple[int, bytes | None]], catalogue: Catalogue
) -> Iterable[Parsed]:
    """Validate numbered lines one by one, as they are read (None: a line too long)."""
    for number, line in lines:
        yield number, _parse(line, catalogue)


async def _parse_stream(
    lines: AsyncIterator[tuple[int, bytes | None]], catalogue: Catalogue
) -> AsyncIterator[Parsed]:
    async for number, line in lines:
        yield number, _parse(line, catalogue)


def _parse(line: bytes | None, catalogue: Catalogue) -> Event | Invalid:
    if line is None:
        return Invalid(TOO_LONG)
    try:
        return parse_line(line, catalogue)
    except UnicodeDecodeError:
        return Invalid("not valid UTF-8")


async def ingest_lines(
    service: LedgerService, lines: Iterable[tuple[int, bytes]], *, batch: int = BATCH
) -> IngestReport:
    """Validate and apply numbered lines of JSON in order."""
    return await ingest_parsed(service, parse_lines(lines, service.catalogue), batch=batch)


async def ingest_stream(
    service: LedgerService,
    stream: BinaryIO,
    on_batch: Callable[[list[LineResult]], None],
    *,
    batch: int = BATCH,
) -> IngestReport:
    """Read, validate and apply a stream of event lines (`tokendesk ingest`).

    Memory stays bounded whatever the stream holds: lines are read in chunks, a line
    over 64 KB is rejected as it streams past, and results are handed to `on_batch`
    (in input order) instead of being kept; the report only counts.
    """
    parsed = _parse_stream(read_lines(stream), service.catalogue)
    return await ingest_parsed(service, parsed, batch=batch, on_batch=on_batch)


async def ingest_parsed(
    service: LedgerService,
    items: Iterable[Parsed] | AsyncIterable[Parsed],
    *,
    batch: int = BATCH,
    keep_all: bool = False,
    on_batch: Callable[[list[LineResult]], None] | None = None,
) -> IngestReport:
    """Apply validated events in order; report invalid ones as rejected.

    The one path both the file and the webhook take. Validation of the next batch
    overlaps with the database applying the previous one.

    Args:
        service: the ledger.
        items: (line number, parsed line) in input order.
        batch: lines per batch.
        keep_all: keep every line's result in the report (the webhook answers with it).
        on_batch: called with each batch's results, in input order; when given, the
            report keeps no lines, only counts (unless `keep_all`).
    """
    report = IngestReport(
        notable=None if on_batch is not None else [], everything=[] if keep_all else None
    )
    pending: tuple[list[Parsed], asyncio.Future[list[EventResult]]] | None = None

    async def settle() -> None:
        nonlocal pending
        if pending is None:
            return
        lines, applying = pending
        pending = None
        applied = iter(await applying)
        results = []
        for number, parsed in lines:
            if isinstance(parsed, Invalid):
                results.append(LineResult(number, parsed.event_id, "rejected", parsed.reason))
            else:
                done = next(applied)
                results.append(LineResult(number, done.id, done.outcome, done.reason))
        for result in results:
            report.add(result)
        if on_batch is not None:
            on_batch(results)

    def start(lines: list[Parsed]) -> None:
        nonlocal pending
        events = [parsed for _, parsed in lines if not isinstance(parsed, Invalid)]
        if events:
            applying = asyncio.ensure_future(service.apply_many(events))
        else:
            applying = asyncio.get_running_loop().create_future()
            applying.set_result([])
        pending = (lines, applying)

    lines: list[Parsed] = []
    try:
        async for item in _each(items):
            lines.append(item)
            if len(lines) % YIELD_EVERY == 0 and pending is not None:
                await asyncio.sleep(0)  # let the batch in flight take its next round trip
            if len(lines) >= batch:
                await settle()
                start(lines)
                lines = []
        await settle()
        if lines:
            start(lines)
            await settle()
    finally:
        if pending is not None:  # failed or cancelled midway: do not leave it running
            pending[1].cancel()
    return report


async def _each(items: Iterable[Parsed] | AsyncIterable[Parsed]) -> AsyncIterator[Parsed]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item

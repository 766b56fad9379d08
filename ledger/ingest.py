"""Ingesting a stream of event lines: validate, apply in order, report per line.

Lines are validated as they are read and applied in batches: each batch is one
transaction in which every event has its own savepoint, so an event applies whole
or not at all, and a rejected line never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ledger.events import Event, Invalid, parse_line
from ledger.operations import EventResult
from ledger.plans import Catalogue
from ledger.service import LedgerService

log = logging.getLogger(__name__)

__all__ = ["IngestReport", "LineResult", "ingest_lines", "ingest_parsed", "parse_lines"]

BATCH = 500


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
    notable: list[LineResult] = field(default_factory=list)
    """Rejected, late and refused lines, in input order."""
    everything: list[LineResult] | None = None
    """Every line's result, in input order, when asked for (the webhook answers with it)."""

    @property
    def rejected(self) -> list[LineResult]:
        return [r for r in self.notable if r.outcome == "rejected"]

    @property
    def ok(self) -> bool:
        """True when no line was rejected (refused charges are business outcomes)."""
        return self.counts["rejected"] == 0

    def add(self, result: LineResult) -> None:
        self.counts[result.outcome] += 1
        if result.outcome in ("rejected", "late", "refused"):
            self.notable.append(result)
        if self.everything is not None:
            self.everything.append(result)


def split_lines(data: bytes) -> Iterable[tuple[int, bytes]]:
    """(line number, line) for each non-blank line; `\\n` separates, a trailing `\\r` goes."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            yield number, line


def parse_lines(
    lines: Iterable[tuple[int, bytes]], catalogue: Catalogue
) -> Iterator[tuple[int, Event | Invalid]]:
    """Validate numbered lines one by one, as they are read."""
    for number, line in lines:
        try:
            yield number, parse_line(line, catalogue)
        except UnicodeDecodeError:
            yield number, Invalid("not valid UTF-8")


async def ingest_lines(
    service: LedgerService, lines: Iterable[tuple[int, bytes]], *, batch: int = BATCH
) -> IngestReport:
    """Validate and apply numbered lines of JSON in order (`tokendesk ingest`)."""
    return await ingest_parsed(service, parse_lines(lines, service.catalogue), batch=batch)


async def ingest_parsed(
    service: LedgerService,
    items: Iterable[tuple[int, Event | Invalid]],
    *,
    batch: int = BATCH,
    keep_all: bool = False,
) -> IngestReport:
    """Apply validated events in order; report invalid ones as rejected.

    The one path both the file and the webhook take. Validation of the next batch
    overlaps with the database applying the previous one.
    """
    report = IngestReport(everything=[] if keep_all else None)
    pending: asyncio.Task[list[EventResult]] | None = None
    pending_numbers: list[int] = []
    numbers: list[int] = []
    events: list[Event] = []
    invalid: list[LineResult] = []

    async def settle() -> None:
        nonlocal pending
        if pending is None:
            return
        results = await pending
        for number, result in zip(pending_numbers, results, strict=True):
            report.add(LineResult(number, result.id, result.outcome, result.reason))
        pending = None

    def flush_invalid() -> None:
        for item in invalid:
            report.add(item)
        invalid.clear()

    for number, parsed in items:
        if isinstance(parsed, Invalid):
            invalid.append(LineResult(number, parsed.event_id, "rejected", parsed.reason))
            continue
        numbers.append(number)
        events.append(parsed)
        if len(events) >= batch:
            await settle()
            flush_invalid()
            pending_numbers, numbers = numbers, []
            pending = asyncio.ensure_future(service.apply_many(events))
            events = []
    await settle()
    flush_invalid()
    if events:
        results = await service.apply_many(events)
        for number, result in zip(numbers, results, strict=True):
            report.add(LineResult(number, result.id, result.outcome, result.reason))
    report.notable.sort(key=lambda r: r.line)
    if report.everything is not None:
        report.everything.sort(key=lambda r: r.line)
    return report

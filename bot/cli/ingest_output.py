"""What `tokendesk ingest` prints while it streams, and the summary at the end (SPEC 3).

Rejected lines go to standard output as they are found, never collected. Late and
refused lines are business outcomes: the first few are kept for after the summary,
the rest only counted. On a terminal, standard error shows progress (lines done,
rate, rejected so far) through tqdm.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from bot.cli.visible import visible
from ledger import IngestReport, LineResult

log = logging.getLogger(__name__)

__all__ = ["IngestOutput"]

SHOWN_AFTER = 20
"""Late and refused lines printed after the summary; the rest are counted."""


class IngestOutput:
    """Receives each batch's results in input order and prints what a person needs."""

    def __init__(
        self, out: TextIO | None = None, err: TextIO | None = None, *, shown: int = SHOWN_AFTER
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.shown = shown
        self.others: list[LineResult] = []
        self.more = 0
        self.rejected = 0
        self._bar: Any = None
        if self.err.isatty():
            from tqdm import tqdm  # only on a terminal: a pipe or a file gets no bar

            self._bar = tqdm(
                file=self.err, unit=" lines", mininterval=0.25, dynamic_ncols=True, leave=False
            )

    def batch(self, results: list[LineResult]) -> None:
        """One batch's results: print rejected lines, keep a few late or refused ones."""
        write = self.out.write
        for item in results:
            outcome = item.outcome
            if outcome == "rejected":
                self.rejected += 1
                who = f" (id {visible(item.id)})" if item.id else ""
                write(f"  line {item.line}{who}: rejected: {visible(item.reason)}\n")
            elif outcome in ("late", "refused"):
                if len(self.others) < self.shown:
                    self.others.append(item)
                else:
                    self.more += 1
        if self._bar is not None and results:
            self._bar.set_postfix_str(f"rejected {self.rejected:,}", refresh=False)
            self._bar.update(results[-1].line - self._bar.n)

    def finish(self, report: IngestReport) -> None:
        """Close the progress bar, then print the summary and the first late or refused."""
        if self._bar is not None:
            self._bar.refresh()  # the final count, however short the run
            self._bar.close()
        c = report.counts
        lines = [
            f"applied {c['applied'] + c['late']} ({c['late']} late),"
            f" refused charges {c['refused']}, skipped as seen {c['skipped']},"
            f" rejected {c['rejected']}"
        ]
        for item in self.others:
            what = f"{item.outcome}: {visible(item.reason)}"
            lines.append(f"  line {item.line} (id {visible(item.id)}): {what}")
        if self.more:
            lines.append(f"  ... and {self.more} more late or refused lines")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

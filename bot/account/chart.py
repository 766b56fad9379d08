"""The `/usage` chart: use per day as a PNG, drawn with matplotlib's Agg backend.

matplotlib is imported the first time a chart is drawn, never at start-up. Drawing runs
in one worker thread of its own (`ChartDrawer`), off the event loop, one chart at a
time: matplotlib's object API with the Agg canvas keeps no global figure state, and
one thread at a time keeps its font cache and renderer out of each other's way.

Text is what costs (axes, ticks and their labels: about nine tenths of a drawing). The
axes' tops are rounded up to a round figure (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a
power of ten), so
one frame (axes, labels, legend, title) serves every chart with the same days and the
same tops: it is drawn once and kept (`FRAMES` of them), and each chart only puts its
bars on a copy of it (matplotlib's "blitting").
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)

__all__ = ["CHART_FILENAME", "FRAMES", "ChartDrawer", "DayBar", "draw_usage_chart", "round_top"]

CHART_FILENAME = "usage.png"
FRAMES = 24
"""Frames kept per figure (under 1 MB each: the axes for one set of days and tops).

The least recently used goes first."""
_TOKENS = "#5865F2"
_RELAXED = "#B5BAC1"
_API = "#EB459E"
_INK = "#313338"


@dataclass(frozen=True, slots=True)
class DayBar:
    """One UTC day of the chart."""

    day: date
    tokens: int
    relaxed: int
    api_credits: int


def draw_usage_chart(days: Sequence[DayBar], title: str) -> bytes:
    """A PNG of tokens (and relaxed tokens) per day, with API credits apart when there are any.

    Tokens and API credits are different pools, so they never share an axis. Each thread
    keeps its two figures (with and without API credits) and only changes their data:
    building a figure's axes and ticks costs more than drawing it.
    """
    api = any(d.api_credits for d in days)
    chart = _charts().get(api) or _charts().setdefault(api, _Chart(api))
    return chart.draw(days, title)


def _charts() -> dict[bool, _Chart]:
    found = getattr(_local, "charts", None)
    if found is None:
        found = _local.charts = {}
    return found


_local = threading.local()


class _Chart:
    """A figure whose series, limits and labels are replaced for each chart."""

    def __init__(self, api: bool) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: only when drawing
        from matplotlib.collections import PolyCollection
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        self.figure = Figure(figsize=(8, 4.2 if api else 3.2), dpi=80)
        self.figure.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.1, hspace=0.15)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = list(self.figure.subplots(2 if api else 1, 1, sharex=True, squeeze=False)[:, 0])
        self.title = self.figure.suptitle("", x=0.1, ha="left", fontsize=11, color=_INK)
        series = [(0, _TOKENS, "tokens"), (0, _RELAXED, "relaxed (free)")]
        if api:
            series.append((1, _API, "API credits"))
        self.series = []
        for row, colour, label in series:
            # animated: left out of the frame, drawn over it for each chart
            bars = PolyCollection([], facecolors=colour, linewidths=0, label=label, animated=True)
            self.axes[row].add_collection(bars)
            self.series.append(bars)
        self.axes[0].set_ylabel("tokens")
        self.axes[0].legend(loc="upper left", frameon=False, fontsize=8)
        if api:
            self.axes[1].set_ylabel("API credits")
        count = FuncFormatter(lambda value, _: f"{value:,.0f}")
        for ax in self.axes:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.yaxis.set_major_formatter(count)
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize=8, colors=_INK)
        self.frames: OrderedDict[tuple, object] = OrderedDict()

    def draw(self, days: Sequence[DayBar], title: str) -> bytes:
        spent = [d.tokens for d in days]
        relaxed = [d.relaxed for d in days]
        tops = [round_top(max(s + r for s, r in zip(spent, relaxed, strict=True)))]
        if len(self.axes) > 1:
            tops.append(round_top(max(d.api_credits for d in days)))
        key = (days[0].day, len(days), title, *tops)
        frame = self.frames.get(key)
        if frame is None:
            frame = self._frame(days, title, tops)
            self.frames[key] = frame
            if len(self.frames) > FRAMES:
                self.frames.popitem(last=False)
        else:
            self.frames.move_to_end(key)
            self._limits(len(days), tops)  # the bars are placed by the axes' limits
            self.canvas.restore_region(frame)
        flat = [0] * len(days)
        heights = [(spent, flat), (relaxed, spent), ([d.api_credits for d in days], flat)]
        rows = [0, 0, 1]
        for bars, row, (values, bottoms) in zip(self.series, rows, heights, strict=False):
            bars.set_verts(_boxes(values, bottoms))
            self.axes[row].draw_artist(bars)
        return self._png()

    def _frame(self, days: Sequence[DayBar], title: str, tops: list[int]) -> object:
        """Draw the axes, labels and title for these days and tops; keep a copy of them."""
        self._limits(len(days), tops)
        step = max(1, len(days) // 8)
        ticks = list(range(len(days) - 1, -1, -step))[::-1]
        self.axes[-1].set_xticks(ticks, [days[n].day.strftime("%b %d") for n in ticks])
        self.title.set_text(title)
        self.canvas.draw()  # everything but the (animated) bars
        return self.canvas.copy_from_bbox(self.figure.bbox)

    def _limits(self, count: int, tops: list[int]) -> None:
        for ax, top in zip(self.axes, tops, strict=True):
            ax.set_ylim(0, top)
            ax.set_xlim(-0.6, count - 0.4)

    def _png(self) -> bytes:
        from matplotlib.image import imsave

        out = io.BytesIO()
        pixels = memoryview(self.canvas.buffer_rgba())
        imsave(out, pixels, format="png", pil_kwargs={"compress_level": 1})
        return out.getvalue()


def round_top(value: int) -> int:
    """The top of an axis showing `value`: the round figure (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
    times a power of ten) at or above a twentieth more than it, so the tallest bar has room."""
    wanted = max(1.0, value * 1.05)
    power = 10 ** math.floor(math.log10(wanted))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= wanted:
            return max(1, math.ceil(step * power))
    raise AssertionError("unreachable: 10 times the power is always enough")


def _boxes(heights: Sequence[int], bottoms: Sequence[int]) -> list[tuple]:
    """One rectangle per day with something to show, as polygon corners."""
    return [
        ((n - 0.4, low), (n - 0.4, low + h), (n + 0.4, low + h), (n + 0.4, low))
        for n, (h, low) in enumerate(zip(heights, bottoms, strict=True))
        if h
    ]


class ChartDrawer:
    """Draws charts in a worker thread of its own, so an interaction never waits on one.

    Args:
        workers: charts drawn at once (1: matplotlib's caches are shared state).
    """

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chart")

    async def usage(self, days: Sequence[DayBar], title: str) -> bytes:
        """The usage chart as PNG bytes.

        Raises:
            Exception: whatever matplotlib raises (the error handler answers it).
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, draw_usage_chart, tuple(days), title)

    def close(self) -> None:
        """Let the worker go (a chart in progress finishes)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

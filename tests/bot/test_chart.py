"""The `/usage` chart: each user's bars on a frame drawn once, never another user's bars."""

from __future__ import annotations

import io
from datetime import date, timedelta

from matplotlib.image import imread

from bot.account.chart import DayBar, draw_usage_chart, round_top

TITLE = "Use per day, last 7 days (UTC)"


def _days(tokens: list[int], api: int = 0) -> list[DayBar]:
    start = date(2026, 11, 1)
    return [DayBar(start + timedelta(n), t, 0, api) for n, t in enumerate(tokens)]


def _pixels(png: bytes):
    return imread(io.BytesIO(png), format="png")


def test_axes_end_on_a_round_figure_above_the_tallest_bar():
    assert [round_top(v) for v in (0, 1, 96, 390, 1_234, 9_999)] == [1, 2, 150, 500, 1_500, 15_000]


def test_a_chart_drawn_on_a_kept_frame_shows_only_its_own_bars():
    first = draw_usage_chart(_days([100, 0, 0, 0, 0, 0, 95]), TITLE)
    second = draw_usage_chart(_days([0, 0, 0, 0, 0, 0, 95]), TITLE)  # same frame, one bar less
    assert second != first
    again = draw_usage_chart(_days([100, 0, 0, 0, 0, 0, 95]), TITLE)
    assert again == first  # nothing left over from the chart drawn in between
    width = _pixels(first).shape[1]
    column = int(width * (0.1 + 0.88 * 0.6 / 7.2))  # the middle of the first day's bar
    assert (_pixels(first)[:, column, :3] != _pixels(second)[:, column, :3]).any()


def test_a_taller_chart_gets_its_own_axis_labels():
    small = draw_usage_chart(_days([10] * 7), TITLE)
    tall = draw_usage_chart(_days([10_000] * 7), TITLE)
    # the bars fill the same share of each axis; only the labels tell them apart
    assert _pixels(small).shape == _pixels(tall).shape
    assert (_pixels(small) != _pixels(tall)).any()


def test_api_credits_get_an_axis_of_their_own():
    plain = _pixels(draw_usage_chart(_days([100] * 7), TITLE))
    with_api = _pixels(draw_usage_chart(_days([100] * 7, api=40), TITLE))
    assert with_api.shape[0] > plain.shape[0]  # a second row of bars below

"""SPEC 2 "Edge cases, settled": every bound at its exact edge, and a long failure reason kept."""

from __future__ import annotations

import json

import pytest

from ledger.events import MAX_LINE_BYTES, Event, Invalid, parse_event, parse_line
from ledger.plans import load_catalogue
from tests.ledger.builders import charged, created, event, failed

CAT = load_catalogue()
AT = "2026-03-10T10:00:00Z"


def outcome(body: dict) -> Event | Invalid:
    return parse_event(body, CAT)


@pytest.mark.parametrize("field", ["id", "account_id", "generation_id"])
def test_ids_are_at_most_128_characters(field):
    body = charged(AT, "g", 5)
    body[field] = "é" * 128  # characters, not bytes
    assert isinstance(outcome(body), Event)
    body[field] = "é" * 129
    rejected = outcome(body)
    assert isinstance(rejected, Invalid) and "longer than 128" in rejected.reason


def test_discord_user_ids_are_at_most_128_digits():
    assert isinstance(outcome(created(AT, discord_user_id="1" * 128)), Event)
    assert isinstance(outcome(created(AT, discord_user_id="1" * 129)), Invalid)


@pytest.mark.parametrize(("field", "kind"), [("cost", "charge"), ("amount", "credits")])
def test_cost_and_amount_are_at_most_ten_to_the_twelve(field, kind):
    def body(value: int) -> dict:
        if kind == "charge":
            return charged(AT, "g", value)
        return event("api_credits.added", AT, amount=value)

    assert isinstance(outcome(body(10**12)), Event)
    too_big = outcome(body(10**12 + 1))
    assert isinstance(too_big, Invalid) and "larger than" in too_big.reason


def _settings_of_bytes(size: int, char: str) -> dict:
    """A settings object whose compact UTF-8 JSON text is exactly `size` bytes."""
    frame = len(b'{"k":""}')
    width = len(char.encode())
    count, pad = divmod(size - frame, width)
    value = {"k": char * count + "a" * pad}
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(text) == size
    return value


@pytest.mark.parametrize("char", ["a", "é", "€", "😀"])
def test_settings_are_measured_in_utf8_without_escaping(char):
    for size in (4_000, 4_096):
        parsed = outcome(charged(AT, "g", 5, settings=_settings_of_bytes(size, char)))
        assert isinstance(parsed, Event), (size, parsed)
    rejected = outcome(charged(AT, "g", 5, settings=_settings_of_bytes(4_097, char)))
    assert isinstance(rejected, Invalid) and "settings is larger than 4,096 bytes" in (
        rejected.reason
    )


def _line_of_bytes(size: int) -> bytes:
    body = charged(AT, "g", 5)
    body["pad"] = ""
    base = len(json.dumps(body).encode())
    body["pad"] = "x" * (size - base)
    line = json.dumps(body).encode()
    assert len(line) == size
    return line


def test_a_line_is_at_most_64_kb():
    assert MAX_LINE_BYTES == 64 * 1024
    assert isinstance(parse_line(_line_of_bytes(MAX_LINE_BYTES), CAT), Event)
    too_long = parse_line(_line_of_bytes(MAX_LINE_BYTES + 1), CAT)
    assert isinstance(too_long, Invalid) and "64 KB" in too_long.reason


def test_at_before_2000_is_rejected():
    assert isinstance(outcome(charged("2000-01-01T00:00:00Z", "g", 5)), Event)
    early = outcome(charged("1999-12-31T23:59:59Z", "g", 5))
    assert isinstance(early, Invalid) and "2000" in early.reason
    offset = outcome(charged("2000-01-01T00:30:00+01:00", "g", 5))  # 1999-12-31T23:30Z
    assert isinstance(offset, Invalid)


@pytest.mark.parametrize("field", ["id", "account_id", "generation_id"])
def test_lone_surrogates_in_ids_are_rejected(field):
    line = json.dumps(charged(AT, "g", 5)).replace(f'"{field}": "', f'"{field}": "\\ud800', 1)
    rejected = parse_line(line.encode(), CAT)
    assert isinstance(rejected, Invalid) and "surrogate" in rejected.reason


def test_a_reason_is_never_a_cause_to_reject():
    for reason in ["x" * 50_000, 42, {"trace": ["a", "b"]}, "nul\x00here", "\ud800 lone"]:
        parsed = outcome(failed(AT, "g", reason=reason))
        assert isinstance(parsed, Event), reason
        assert parsed.reason is not None and len(parsed.reason) <= 1_000
        assert "\x00" not in parsed.reason
        parsed.reason.encode("utf-8")  # storable


async def test_a_failure_with_a_50_000_character_reason_is_kept_and_refundable(book):
    trace = "Traceback: " + "frame " * 8_400
    assert 50_000 <= len(trace) < 51_000
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T09:30:00Z", "g-long", 40))
    line = json.dumps(failed(AT, "g-long", reason=trace)).encode()
    assert len(line) < MAX_LINE_BYTES
    parsed = parse_line(line, CAT)
    assert isinstance(parsed, Event)
    book.clock.set(book.clock.now().replace(hour=10))
    assert (await book.service.apply(parsed)).outcome == "applied"

    history = await book.service.history("acc", 5)
    failure = next(row for row in history if row.kind == "failed")
    assert failure.reference == "g-long" and failure.note == trace[:1_000]

    paid = await book.service.refund("g-long", reference="#1", actor="mod")
    assert paid.total == 40

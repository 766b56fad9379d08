"""SPEC 2: event validation, idempotency, late events, and the settled edge cases."""

import json

import pytest

from ledger.events import Invalid, parse_event, parse_line
from ledger.plans import load_catalogue
from tests.ledger.builders import charged, created, event, failed

CAT = load_catalogue()


def reason(body) -> str:
    parsed = parse_event(body, CAT)
    assert isinstance(parsed, Invalid), parsed
    return parsed.reason


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("cost", 5.0, "positive integer"),
        ("cost", "5", "positive integer"),
        ("cost", True, "positive integer"),
        ("cost", 0, "positive integer"),
        ("cost", -3, "positive integer"),
        ("cost", 10**12 + 1, "larger than"),
        ("cost", 2**63, "larger than"),
        ("source", "mobile", "source"),
        ("generation_id", "g" * 129, "longer than 128"),
        ("generation_id", "g\x00", "control characters"),
        ("settings", {"k": "v" * 5000}, "larger than 4,096 bytes"),
        ("settings", [1], "JSON object"),
        ("at", "2026-03-10T10:00:00", "no UTC offset"),
        ("at", "yesterday", "not an ISO 8601"),
        ("account_id", "", "non-empty"),
    ],
)
def test_invalid_charge_fields_are_rejected_with_a_reason(field, value, words):
    body = charged("2026-03-10T10:00:00Z", "g1", 5)
    body[field] = value
    assert words in reason(body)


def test_unknown_type_and_plan_and_bad_discord_ids_are_rejected():
    assert "unknown type" in reason(event("generation.exploded", "2026-03-10T10:00:00Z"))
    assert "unknown plan" in reason(created("2026-03-10T10:00:00Z", plan="platinum"))
    bad = event("account.linked", "2026-03-10T10:00:00Z", discord_user_id="12ab")
    assert "digits" in reason(bad)


def test_a_json_number_discord_id_is_stored_as_a_string():
    parsed = parse_event(created("2026-03-10T10:00:00Z", discord_user_id=123456789012345678), CAT)
    assert parsed.discord_user_id == "123456789012345678"


def test_lines_over_64_kb_and_broken_json_are_rejected():
    assert "64 KB" in parse_line(b"{" + b" " * 70_000 + b"}", CAT).reason
    assert "not valid JSON" in parse_line('{"id": "x", "type": ', CAT).reason
    assert "JSON object" in parse_line("[1, 2]", CAT).reason


async def test_resending_the_same_event_is_skipped_and_changes_nothing(book):
    body = created("2026-03-10T09:00:00Z")
    await book.ok(body)
    spend = charged("2026-03-10T10:00:00Z", "g1", 10)
    await book.ok(spend)
    again = await book.send(spend)
    assert again.outcome == "skipped"
    assert await book.buckets("2026-03-10T10:00:01Z") == (140, 0, 0)


async def test_same_id_with_different_content_is_a_conflict(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 10, id="e-1"))
    result = await book.send(charged("2026-03-10T10:00:00Z", "g1", 11, id="e-1"))
    assert (result.outcome, "conflict" in result.reason) == ("rejected", True)


async def test_same_content_means_equal_after_parsing_not_byte_equal(book):
    await book.ok(created("2026-03-10T09:00:00Z", id="same"))
    reordered = {"account_id": "acc", "plan": "free", "at": "2026-03-10T09:00:00Z"}
    reordered.update(type="account.created", id="same")
    assert (await book.send(reordered)).outcome == "skipped"


async def test_a_rejected_id_is_not_remembered_so_a_corrected_line_may_follow(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    bad = charged("2026-03-10T10:00:00Z", "g1", 10, account="nobody", id="fix-me")
    assert (await book.send(bad)).outcome == "rejected"
    good = charged("2026-03-10T10:00:00Z", "g1", 10, id="fix-me")
    assert (await book.send(good)).outcome == "applied"


async def test_a_known_generation_id_is_rejected_whatever_its_outcome(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    assert (await book.ok(charged("2026-03-10T10:00:00Z", "g1", 999))).outcome == "refused"
    again = await book.send(charged("2026-03-10T10:01:00Z", "g1", 5))
    assert again.outcome == "rejected" and "already charged" in again.reason


async def test_finishing_unknown_foreign_or_finished_generations_is_rejected(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(created("2026-03-10T09:00:00Z", account="b"))
    await book.ok(charged("2026-03-10T10:00:00Z", "g1", 5))
    assert (await book.send(failed("2026-03-10T10:01:00Z", "zzz"))).outcome == "rejected"
    assert (await book.send(failed("2026-03-10T10:01:00Z", "g1", account="b"))).outcome == (
        "rejected"
    )
    assert (await book.send(failed("2026-03-10T10:02:00Z", "g1"))).outcome == "applied"
    second = await book.send(
        event("generation.succeeded", "2026-03-10T10:03:00Z", generation_id="g1")
    )
    assert second.outcome == "rejected" and "already failed" in second.reason


async def test_unknown_account_and_duplicate_creation_are_rejected(book):
    assert (await book.send(charged("2026-03-10T10:00:00Z", "g", 1))).outcome == "rejected"
    await book.ok(created("2026-03-10T09:00:00Z"))
    assert (await book.send(created("2026-03-10T09:30:00Z"))).outcome == "rejected"


async def test_an_event_more_than_five_minutes_ahead_is_rejected(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    body = charged("2026-03-10T10:05:01Z", "g1", 1)
    assert (await book.send(body, now="2026-03-10T10:00:00Z")).outcome == "rejected"
    body = charged("2026-03-10T10:05:00Z", "g2", 1)
    assert (await book.send(body, now="2026-03-10T10:00:00Z")).outcome == "applied"


async def test_a_late_event_is_applied_as_of_the_latest_write_and_reported(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-11T10:00:00Z", "g1", 100))  # after a reset: daily 50
    late = await book.send(charged("2026-03-10T23:00:00Z", "g2", 30), now="2026-03-11T10:05:00Z")
    assert late.outcome == "late" and "late" in late.reason
    # Applied on Mar 11's daily bucket, not lost, not applied to the expired Mar 10 one.
    assert await book.buckets("2026-03-11T10:05:01Z") == (20, 0, 0)


async def test_resets_due_at_the_very_instant_of_an_event_apply_before_it(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(charged("2026-03-10T20:00:00Z", "g1", 150))
    await book.ok(charged("2026-03-11T00:00:00Z", "g2", 150))
    assert await book.buckets("2026-03-11T00:00:00Z") == (0, 0, 0)


async def test_a_link_replaces_the_old_one_on_either_side(book):
    await book.ok(created("2026-03-10T09:00:00Z", account="a", discord_user_id="111"))
    await book.ok(created("2026-03-10T09:00:00Z", account="b"))
    await book.ok(event("account.linked", "2026-03-10T10:00:00Z", "b", discord_user_id="111"))
    assert (await book.balance("2026-03-10T10:00:01Z", "111")).account_id == "b"
    assert (await book.service.account("a")).discord_user_id is None
    await book.ok(event("account.linked", "2026-03-10T11:00:00Z", "b", discord_user_id="222"))
    assert await book.service.account("111") is None
    assert (await book.service.account("222")).account_id == "b"


async def test_every_applied_event_counts_as_a_write(book):
    await book.ok(created("2026-03-10T09:00:00Z"))
    await book.ok(event("account.linked", "2026-03-12T09:00:00Z", discord_user_id="5"))
    late = await book.send(charged("2026-03-11T09:00:00Z", "g", 1), now="2026-03-12T09:01:00Z")
    assert late.outcome == "late"


def test_the_reason_for_a_hostile_value_is_short_and_printable():
    text = reason(event("\u202e" * 10_000, "2026-03-10T10:00:00Z"))
    assert len(text) < 120 and json.dumps(text)

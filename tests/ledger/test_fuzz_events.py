"""Hostile input: generated event lines at the parser, the ledger and the webhook.

Every line is either a valid `Event` within the SPEC's bounds or an `Invalid` with a
short, printable reason: never an exception. Rejected lines change nothing stored; the
buckets stay non-negative and equal to their journal rows whatever is thrown at them.
The webhook answers 200 with one result per event, or 400, 401 or 413, never 500.

The bulk generator is plain `random` with fixed seeds (100,000 lines in a few seconds);
a hypothesis test adds arbitrary JSON shapes at the same contract.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.http.webhook import MAX_BODY_BYTES, make_app, sign
from ledger.cycles import to_us
from ledger.events import MAX_LINE_BYTES, TYPES, Event, Invalid, parse_event, parse_line
from ledger.ingest import ingest_lines, ingest_parsed, parse_lines
from ledger.plans import load_catalogue

CAT = load_catalogue()
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # the `clock` fixture's instant
EARLIEST_US = to_us(datetime(2000, 1, 1, tzinfo=UTC))
ACCOUNTS = [f"acc-{n}" for n in range(12)]
FREE_ACCOUNTS = ACCOUNTS[:4]
SECRET = "fuzz-secret"
_UNPRINTABLE_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REQUIRED = {
    "account.created": {"plan"},
    "account.linked": {"discord_user_id"},
    "subscription.changed": {"plan"},
    "payment.failed": set(),
    "payment.succeeded": set(),
    "generation.charged": {"generation_id", "source", "cost"},
    "generation.succeeded": {"generation_id"},
    "generation.failed": {"generation_id"},
    "api_credits.added": {"amount"},
}
_OPTIONAL = {
    "account.created": {"discord_user_id"},
    "generation.charged": {"settings"},
    "generation.succeeded": {"reason"},
    "generation.failed": {"reason"},
}
COMMON = ("id", "type", "at", "account_id")

# Values per field: (value, verdict) where the verdict is what the field alone makes of the
# event: True valid, False invalid, None either (no claim).
IDENTS: list[tuple[Any, bool | None]] = [
    ("a", True),
    ("x" * 128, True),
    ("🙂" * 128, True),
    ("Ünïcødé id", True),
    ("**bold** @everyone <@123> `x`", True),
    ("", False),
    ("x" * 129, False),
    ("x" * 10_240, False),
    ("a\x00b", False),
    ("a\nb", False),
    ("\x1b[31mred", False),
    ("a\x7f", False),
    ("\x85", False),
    ("\ud800", False),
    ("a\udfffb", False),
    (5, False),
    (5.5, False),
    (True, False),
    ([], False),
    ({}, False),
    (None, False),
]
DISCORD_IDS: list[tuple[Any, bool | None]] = [
    ("0", True),
    ("123456789012345678", True),
    (42, True),
    (0, True),
    (10**127, True),
    ("9" * 128, True),
    ("", False),
    ("12a", False),
    ("-1", False),
    (-1, False),
    (1.5, False),
    (True, False),
    ("1" * 129, False),
    (10**200, False),
    ("１２３", False),
    ("12 3", False),
    ([], False),
]
AMOUNTS: list[tuple[Any, bool | None]] = [
    (1, True),
    (1_000_000_000_000, True),
    (987_654_321, True),
    (0, False),
    (-1, False),
    (-(2**63), False),
    (1_000_000_000_001, False),
    (2**63 - 1, False),
    (2**63, False),
    (2**64, False),
    (10**30, False),
    (5.0, False),
    (1e12, False),
    (1.5, False),
    (math.inf, False),
    (-math.inf, False),
    (math.nan, False),
    ("5", False),
    (True, False),
    (False, False),
    (None, False),
    ([], False),
    ({}, False),
]
INSTANTS: list[tuple[Any, bool | None]] = [
    ("2026-03-10T09:00:00+05:30", True),
    ("2026-03-09T23:59:59.999999-08:00", True),
    ("2026-03-10T01:00:00Z", True),
    ("2000-01-01T00:00:00Z", True),
    ("9999-12-31T23:59:59+00:00", True),
    ("9999-12-31T23:59:59.999999-23:59", True),
    ("20260310T090000Z", None),
    ("2026-03-10T09:00:00", False),
    ("2026-03-10", False),
    ("9999-12-31T23:59:59", False),
    ("1999-12-31T23:59:59.999999Z", False),
    ("2000-01-01T00:00:00+01:00", False),
    ("0001-01-01T00:00:00+14:00", False),
    ("2026-02-30T00:00:00Z", False),
    ("2026-03-10T24:00:00Z", False),
    ("2026-03-10T09:00:00+24:00", False),
    ("2026-03-10T09:00:00+00:00 ", False),
    ("yesterday", False),
    ("", False),
    (1_773_133_200, False),
    (None, False),
    ([], False),
]
PLANS: list[tuple[Any, bool | None]] = [
    *((plan, True) for plan in ("free", "apprentice", "artisan", "maestro")),
    ("Free", False),
    ("gold", False),
    ("", False),
    (None, False),
    (0, False),
    (["free"], False),
]
SOURCES: list[tuple[Any, bool | None]] = [
    ("web", True),
    ("api", True),
    ("WEB", False),
    ("", False),
    ("both", False),
    (None, False),
    (1, False),
]
MARKDOWN = "**@everyone** @here <@123> <@&456> ||spoiler|| `code` # Title\n> quote [x](http://e)"
SETTINGS: list[tuple[Any, bool | None]] = [
    ({}, True),
    ({"prompt": MARKDOWN, "model": "phoenix", "width": 1024}, True),
    ({"n": [1, 2, {"a": None}], "b": True}, True),
    ({"big": "x" * 4_000}, True),
    ({"s": "\ud800 lone"}, True),
    ({"nan": math.nan, "inf": math.inf}, True),
    ({"big": "x" * 4_100}, False),
    ({"big": "é" * 2_043}, True),  # 4,096 bytes of UTF-8, 12,000 once escaped
    ({"big": "é" * 2_044}, False),
    ([], False),
    ("{}", False),
    (5, False),
    (True, False),
    (None, True),
]
REASONS: list[tuple[Any, bool | None]] = [
    (MARKDOWN, True),
    ("x" * 1_000, True),
    ("", True),
    ("timeout after 30 s 🙂", True),
    (None, True),
    # SPEC 2: a reason is never a cause to reject; what is kept may be cut to 1,000.
    ("x" * 1_001, True),
    ("y" * 50_000, True),
    ("nul \x00 inside", True),
    ("lone \ud800", True),
    (5, True),
    ([], True),
    ({}, True),
]
TYPE_VALUES: list[tuple[Any, bool | None]] = [
    ("account.deleted", False),
    ("ACCOUNT.CREATED", False),
    ("", False),
    (5, False),
    (None, False),
    (["account.created"], False),
    *((kind, None) for kind in sorted(TYPES)),
]
FIELD_VALUES = {
    "id": IDENTS,
    "account_id": IDENTS,
    "generation_id": IDENTS,
    "discord_user_id": DISCORD_IDS,
    "cost": AMOUNTS,
    "amount": AMOUNTS,
    "at": INSTANTS,
    "plan": PLANS,
    "source": SOURCES,
    "settings": SETTINGS,
    "reason": REASONS,
    "type": TYPE_VALUES,
}
BAD_UTF8 = [b"\xff", b"\xfe", b"\xc3\x28", b"\xc0\xaf", b"\xe2\x82", b"\xf0\x28\x8c\x28", b"\x80"]


def _nested(depth: int, rng: random.Random) -> Any:
    value: Any = rng.choice([1, "x", None, True])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _nested_text(depth: int, rng: random.Random) -> str:
    """JSON text nested `depth` deep (built as text: json.dumps would hit the recursion limit)."""
    unit = [rng.choice(("[", '{"k":')) for _ in range(64)]
    opening = (unit * (depth // 64 + 1))[:depth]
    closing = ["]" if o == "[" else "}" for o in reversed(opening)]
    return "".join(opening) + "1" + "".join(closing)


DEEP = "__deep__"


def _with_deep(line: bytes, deep: str) -> bytes:
    return line.replace(f'"{DEEP}"'.encode(), deep.encode(), 1)


class Hostile:
    """Generates event lines, each with the verdict its construction implies (or None)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = 0
        self.recent: list[str] = []
        self.gids = [f"gen-{n}" for n in range(300)]
        self.depths = itertools.cycle(range(850, 1_010))

    # --- valid events --------------------------------------------------------------------

    def instant(self) -> str:
        at = NOW - timedelta(seconds=self.rng.randrange(60, 9 * 86_400))
        offset = self.rng.choice([0, 0, 330, -480, 840, -720])
        text = at.astimezone(timezone(timedelta(minutes=offset))).isoformat()
        return text.replace("+00:00", "Z") if self.rng.random() < 0.5 else text

    def event(self, kind: str | None = None) -> dict[str, Any]:
        rng = self.rng
        kind = kind or rng.choice(
            [
                "generation.charged",
                "generation.charged",
                "generation.charged",
                "generation.failed",
                "generation.succeeded",
                "subscription.changed",
                "api_credits.added",
                "payment.failed",
                "payment.succeeded",
                "account.linked",
                "account.created",
            ]
        )
        self.count += 1
        event: dict[str, Any] = {
            "id": f"f-{self.count}",
            "type": kind,
            "at": self.instant(),
            "account_id": rng.choice(ACCOUNTS) if rng.random() < 0.9 else f"new-{self.count}",
        }
        if kind == "account.created":
            event["plan"] = rng.choice(["free", "apprentice", "artisan", "maestro"])
            if rng.random() < 0.3:
                event["discord_user_id"] = str(rng.randrange(10**17, 10**18))
        elif kind == "account.linked":
            event["discord_user_id"] = rng.randrange(10**17, 10**18)
        elif kind == "subscription.changed":
            event["plan"] = rng.choice(["free", "apprentice", "artisan", "maestro"])
        elif kind == "generation.charged":
            event["generation_id"] = rng.choice(self.gids)
            event["source"] = "web" if rng.random() < 0.85 else "api"
            event["cost"] = rng.choice([rng.randrange(1, 200), rng.randrange(1, 100_000)])
            if rng.random() < 0.4:
                event["settings"] = {"model": "phoenix", "prompt": MARKDOWN[: rng.randrange(80)]}
        elif kind in ("generation.failed", "generation.succeeded"):
            event["generation_id"] = rng.choice(self.gids)
            if rng.random() < 0.5:
                event["reason"] = rng.choice(["nsfw", MARKDOWN, "@everyone look"])
        elif kind == "api_credits.added":
            event["amount"] = rng.randrange(1, 5_000)
        if rng.random() < 0.03 and self.recent:
            event["id"] = rng.choice(self.recent)  # a repeat id, maybe other content
        self.recent = [*self.recent[-50:], event["id"]]
        return event

    # --- hostile lines -------------------------------------------------------------------

    def line(self) -> tuple[bytes, bool | None]:
        """One line and whether it must parse as valid (True), invalid (False) or either."""
        roll = self.rng.random()
        if roll < 0.55:
            return self.mutated()
        if roll < 0.65:
            return self.truncated()
        if roll < 0.72:
            return self.bad_utf8()
        if roll < 0.76:
            return self.not_an_object()
        if roll < 0.80:
            return self.nested()
        if roll < 0.83:
            return self.oversized()
        if roll < 0.87:
            return self.garbage()
        if roll < 0.93:
            return self.reformatted()
        return self.encode(self.event()), True

    def encode(self, event: dict[str, Any]) -> bytes:
        text = json.dumps(event, ensure_ascii=self.rng.random() < 0.5)
        return text.encode("utf-8", "surrogatepass")

    def mutated(self) -> tuple[bytes, bool | None]:
        rng = self.rng
        event = self.event()
        verdicts: dict[str, bool | None] = {}
        deep = ""
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            what = rng.random()
            field = rng.choice([*FIELD_VALUES, *FIELD_VALUES])
            if what < 0.8:
                value, verdict = rng.choice(FIELD_VALUES[field])
                event[field] = value
                verdicts[field] = verdict
            elif what < 0.9:
                event.pop(field, None)
                verdicts[field] = "missing"  # type: ignore[assignment]
            elif what < 0.95:
                event["extra"] = _nested(rng.randrange(1, 60), rng)
                verdicts["extra"] = True
            else:
                depth = rng.randrange(400, 3_000)
                event["extra"], deep = DEEP, _nested_text(depth, rng)
                verdicts["extra"] = None if depth < 2_000 else False
        line = self.encode(event)
        return (_with_deep(line, deep) if deep else line), _verdict(event, verdicts)

    def truncated(self) -> tuple[bytes, bool | None]:
        line = self.encode(self.event())
        return line[: self.rng.randrange(len(line))], False

    def bad_utf8(self) -> tuple[bytes, bool | None]:
        line = self.encode(self.event())
        at = self.rng.randrange(1, len(line))
        if self.rng.random() < 0.2:  # a UTF-8-encoded surrogate: JSON decodes it
            return line[:at] + b"\xed\xa0\x80" + line[at:], None
        return line[:at] + self.rng.choice(BAD_UTF8) + line[at:], False

    def not_an_object(self) -> tuple[bytes, bool | None]:
        value = self.rng.choice(
            [[], [self.event()], 5, -(2**64), 1.5, "text", None, True, "@everyone", [[[]]]]
        )
        return json.dumps(value).encode(), False

    def nested(self) -> tuple[bytes, bool | None]:
        """Nesting at and around the decoder's recursion limit (wherever the stack puts it)."""
        rng = self.rng
        depth = next(self.depths) if rng.random() < 0.8 else rng.randrange(2_000, 40_000)
        kind = rng.random()
        if kind < 0.2:
            return b"[" * depth + b"]" * depth, False
        if kind < 0.3:
            return b'{"a":' * depth + b"1" + b"}" * depth, False
        event = self.event("generation.charged")
        event["settings" if kind < 0.8 else "extra"] = {"deep": DEEP}
        line = _with_deep(json.dumps(event).encode(), _nested_text(depth, rng))
        return line, None if depth < 2_000 else False

    def oversized(self) -> tuple[bytes, bool | None]:
        event = self.event()
        event["pad"] = ""
        base = len(self.encode_plain(event))
        target = self.rng.choice([MAX_LINE_BYTES, MAX_LINE_BYTES + 1, 200_000])
        event["pad"] = "p" * (target - base)
        line = self.encode_plain(event)
        assert len(line) == target
        return line, target <= MAX_LINE_BYTES

    @staticmethod
    def encode_plain(event: dict[str, Any]) -> bytes:
        return json.dumps(event).encode()

    def garbage(self) -> tuple[bytes, bool | None]:
        size = self.rng.randrange(1, 300)
        return bytes(self.rng.randrange(256) for _ in range(size)), None

    def reformatted(self) -> tuple[bytes, bool | None]:
        rng = self.rng
        event = self.event()
        choice = rng.random()
        if choice < 0.3:  # whitespace around and inside, and a trailing \r
            text = json.dumps(event, indent=rng.choice([None, 1]), separators=(" , ", " : "))
            return (" \t" + text.replace("\n", " ") + " \r").encode(), True
        if choice < 0.5:  # a duplicate key: the last one wins
            text = json.dumps(event)
            return ('{"id": 5, "type": "nope", ' + text[1:]).encode(), True
        if choice < 0.6:  # a byte-order mark
            return b"\xef\xbb\xbf" + json.dumps(event).encode(), None
        if choice < 0.7:  # UTF-16
            return json.dumps(event).encode("utf-16"), None
        if choice < 0.85:  # a number too long to convert
            event["cost"] = 0
            return json.dumps(event).replace('"cost": 0', '"cost": ' + "9" * 5_000).encode(), False
        literal = rng.choice(["1E2", "-0", "1e400", "1.0"])
        event["cost"] = 0
        text = json.dumps(event).replace('"cost": 0', f'"cost": {literal}')
        return text.encode(), event["type"] != "generation.charged"


def _verdict(event: dict[str, Any], verdicts: dict[str, Any]) -> bool | None:
    """The verdict for a mutated event, judged against the type it ended up with."""
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        return False
    if "type" in verdicts:
        return None  # changed to another valid type: other fields may now be required
    results: list[bool | None] = []
    relevant = {*COMMON, *_REQUIRED[kind], *_OPTIONAL.get(kind, set()), "extra"}
    for field, verdict in verdicts.items():
        if field not in relevant or field == "type":
            continue
        if verdict == "missing":
            results.append(field not in COMMON and field not in _REQUIRED[kind])
        else:
            results.append(verdict)
    if False in results:
        return False
    return None if None in results else True


# --- checking one result ------------------------------------------------------------------


def _printable_reason(reason: object) -> None:
    assert isinstance(reason, str) and reason, reason
    assert len(reason) <= 200, reason
    assert reason.isprintable(), repr(reason)


def _ident(value: object) -> None:
    assert isinstance(value, str) and 0 < len(value) <= 128, value
    assert not _UNPRINTABLE_ID.search(value), repr(value)


def _storable(text: str) -> bool:
    """Whether both databases can store the text (UTF-8: no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check(result: Event | Invalid) -> None:
    """The contract for one parse result: SPEC 2 bounds for an event, a usable reason else."""
    if isinstance(result, Invalid):
        _printable_reason(result.reason)
        if result.event_id is not None:
            _ident(result.event_id)
        return
    assert isinstance(result, Event), result
    _ident(result.id)
    _ident(result.account_id)
    assert result.type in TYPES
    assert isinstance(result.at_us, int) and result.at_us >= EARLIEST_US
    assert re.fullmatch(r"[0-9a-f]{64}", result.digest)
    if result.type in ("account.created", "subscription.changed"):
        assert result.plan in CAT
    if result.discord_user_id is not None:
        assert re.fullmatch(r"[0-9]{1,128}", result.discord_user_id)
    else:
        assert result.type != "account.linked"
    if result.type == "generation.charged":
        _ident(result.generation_id)
        assert result.source in ("web", "api")
        assert type(result.cost) is int and 1 <= result.cost <= 10**12
        if result.settings is not None:
            decoded = json.loads(result.settings)
            assert isinstance(decoded, dict)
            compact = json.dumps(decoded, separators=(",", ":"), ensure_ascii=False)
            assert len(compact.encode("utf-8", "surrogatepass")) <= 4096
            assert _storable(result.settings), repr(result.settings)
    if result.type in ("generation.succeeded", "generation.failed"):
        _ident(result.generation_id)
    if result.type == "api_credits.added":
        assert type(result.amount) is int and 1 <= result.amount <= 10**12
    if result.reason is not None:
        assert isinstance(result.reason, str) and len(result.reason) <= 1000
        assert "\x00" not in result.reason and _storable(result.reason), repr(result.reason)


def test_the_parser_survives_100_000_hostile_lines():
    tried, verdicts = 0, Counter()
    wrong: list[str] = []
    for batch in range(10):
        maker = Hostile(seed=1_000 + batch)
        lines = [maker.line() for _ in range(10_000)]
        for line, expected in lines:
            try:
                result = parse_line(line, CAT)
            except Exception as exc:  # the point of the test: report, then fail below
                wrong.append(f"{type(exc).__name__}: {exc} for {line[:120]!r}")
                continue
            try:
                check(result)
            except AssertionError as exc:
                wrong.append(f"{exc} for {line[:120]!r} -> {str(result)[:200]}")
                continue
            accepted = isinstance(result, Event)
            verdicts["accepted" if accepted else "rejected"] += 1
            if expected is not None and accepted != expected:
                wrong.append(f"expected valid={expected}: {line[:160]!r} -> {str(result)[:160]}")
        tried += len(lines)
    print(
        f"\nfuzz: parser tried {tried} lines, rejected {verdicts['rejected']},"
        f" accepted {verdicts['accepted']}, wrong {len(wrong)}"
    )
    assert not wrong, "\n".join(wrong[:15])
    assert tried == 100_000 and verdicts["accepted"] > 20_000 and verdicts["rejected"] > 20_000


ZONES = [None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=14))]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=140), json_values),
        "type": st.sampled_from(sorted(TYPES)) | json_values,
        "at": st.datetimes(timezones=st.sampled_from(ZONES)).map(datetime.isoformat) | json_values,
        "account_id": st.sampled_from(ACCOUNTS) | st.text(max_size=140),
        "plan": st.sampled_from(["free", "maestro", "Free"]) | json_values,
        "discord_user_id": st.integers(min_value=-5, max_value=10**130) | st.text("0123456789x"),
        "generation_id": st.text(max_size=140),
        "source": st.sampled_from(["web", "api", "API"]) | json_values,
        "cost": st.integers(min_value=-(2**64), max_value=2**64) | json_values,
        "amount": st.integers(min_value=-(2**64), max_value=2**64) | json_values,
        "settings": json_values,
        "reason": st.text() | json_values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields)
def test_any_json_shape_is_an_event_within_bounds_or_a_reasoned_rejection(obj):
    check(parse_event(obj, CAT))
    line = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    result = parse_line(line, CAT)
    check(result)
    if isinstance(result, Event):  # key order and spacing do not change "the same content"
        again = parse_line(json.dumps(dict(reversed(obj.items())), indent=1), CAT)
        assert isinstance(again, Event) and again.digest == result.digest


# --- against the ledger ------------------------------------------------------------------


def dump(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def assert_books_balance(path: str) -> int:
    """Every bucket is non-negative, equals the sum of its journal rows, and each row's
    `balance_after` is the running sum. Returns the number of journal rows checked."""
    conn = sqlite3.connect(path)
    try:
        stored = {
            (account, bucket): value
            for account, *values in conn.execute(
                "SELECT account_id, daily, monthly, rollover, api_credits FROM accounts"
            )
            for bucket, value in zip(("daily", "monthly", "rollover", "api"), values, strict=True)
        }
        running: Counter[tuple[str, str]] = Counter()
        rows = 0
        for account, bucket, amount, after in conn.execute(
            "SELECT account_id, bucket, amount, balance_after FROM journal"
            " WHERE bucket IS NOT NULL ORDER BY id"
        ):
            running[(account, bucket)] += amount
            assert running[(account, bucket)] == after, (account, bucket, amount, after)
            rows += 1
    finally:
        conn.close()
    assert all(value >= 0 for value in stored.values()), stored
    for key, value in stored.items():
        assert running.get(key, 0) == value, (key, value, running.get(key, 0))
    return rows


def creations() -> list[bytes]:
    lines = []
    for n, account in enumerate(ACCOUNTS):
        plan = "free" if account in FREE_ACCOUNTS else ("apprentice", "artisan", "maestro")[n % 3]
        at = (NOW - timedelta(days=10)).isoformat()
        body = {"id": f"open-{n}", "type": "account.created", "at": at, "account_id": account}
        lines.append(json.dumps({**body, "plan": plan}).encode())
    return lines


def _too_deep(reason: str | None) -> bool:
    return reason is not None and ("recursion" in reason or "nested too deeply" in reason)


def numbered(lines: list[bytes]) -> Iterator[tuple[int, bytes]]:
    return enumerate(lines, start=1)


async def test_rejected_lines_change_nothing_and_the_books_always_balance(ledger):
    path = ledger.db.path
    report = await ingest_lines(ledger, numbered(creations()))
    assert report.counts["applied"] == len(ACCOUNTS)

    maker = Hostile(seed=77)
    sample = [maker.line()[0] for _ in range(6_000)]
    invalid = [line for line in sample if isinstance(parse_line(line, CAT), Invalid)]
    before = dump(path)
    report = await ingest_lines(ledger, numbered(invalid))
    assert report.counts["rejected"] == len(invalid) == len(report.rejected)
    assert all(r.reason for r in report.rejected)
    assert dump(path) == before, "a batch of invalid lines changed what is stored"

    at = (NOW - timedelta(hours=1)).isoformat()
    refusable = [
        {"type": "generation.charged", "account_id": "nobody", "generation_id": "gx", "cost": 1},
        {"type": "account.created", "account_id": ACCOUNTS[0], "plan": "free"},
        {"type": "payment.failed", "account_id": FREE_ACCOUNTS[0]},
        {"type": "payment.succeeded", "account_id": FREE_ACCOUNTS[1]},
        {"type": "generation.failed", "account_id": ACCOUNTS[5], "generation_id": "never"},
        {"type": "generation.succeeded", "account_id": ACCOUNTS[6], "generation_id": "never"},
        {"type": "api_credits.added", "account_id": ACCOUNTS[7], "amount": 5, "future": 1},
    ]
    lines = []
    for n, body in enumerate(refusable * 30):
        when = "9999-01-01T00:00:00Z" if "future" in body else at
        lines.append(json.dumps({"id": f"r-{n}", "at": when, "source": "web", **body}).encode())
    report = await ingest_lines(ledger, numbered(lines))
    assert report.counts["rejected"] == len(lines), report.counts
    assert dump(path) == before, "events rejected by the rules changed what is stored"

    first = await ingest_parsed(ledger, parse_lines(numbered(sample), CAT), batch=97, keep_all=True)
    assert [r.line for r in first.everything or []] == list(range(1, len(sample) + 1))
    for line, result in zip(sample, first.everything or [], strict=True):
        parsed = parse_line(line, CAT)
        if isinstance(parsed, Invalid):
            assert result.outcome == "rejected", (line[:200], result)
            # How deep the decoder gets before its recursion limit depends on the stack.
            if not _too_deep(parsed.reason) and not _too_deep(result.reason):
                assert result.reason == parsed.reason, (line[:200], result)
        elif result.outcome == "rejected":
            _printable_reason(result.reason)
    assert first.counts["applied"] + first.counts["late"] > 300, first.counts
    rows = assert_books_balance(path)
    again = await ingest_parsed(ledger, parse_lines(numbered(sample), CAT), keep_all=True)
    for result, later in zip(first.everything or [], again.everything or [], strict=True):
        if result.outcome != "rejected":
            assert later.outcome == "skipped", (result, later)
    assert_books_balance(path)
    print(
        f"\nfuzz: ingest applied {len(sample)} hostile lines: {dict(first.counts)};"
        f" again: {dict(again.counts)}; {rows} journal rows balance"
    )


# --- at the webhook ----------------------------------------------------------------------


@pytest.fixture
async def hook(ledger) -> AsyncIterator[str]:
    """The webhook on a free port of 127.0.0.1, serving the test's ledger."""
    runner = web.AppRunner(make_app(ledger, SECRET, clock=time.time))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1/events"
    await runner.cleanup()


def signed(body: bytes, *, secret: str = SECRET, stamp: str | None = None) -> dict[str, str]:
    stamp = str(int(time.time())) if stamp is None else stamp
    return {"X-Tokendesk-Timestamp": stamp, "X-Tokendesk-Signature": sign(secret, stamp, body)}


class Requests:
    """Generated webhook requests, each with the status the SPEC gives it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines = Hostile(seed + 1)
        self.huge = 0

    def json_lines(self, count: int) -> list[bytes]:
        """Generated lines that are JSON in UTF-8 on their own (not nested near the limit)."""
        out = []
        while len(out) < count:
            line, _ = self.lines.line()
            if len(line) > 100_000 or line.count(b"[") + line.count(b"{") > 200:
                continue
            try:
                json.loads(line.decode("utf-8"))
            except ValueError:
                continue
            out.append(line)
        return out

    def next(self) -> tuple[bytes, dict[str, str], int, int | None]:
        """(body, headers, expected status, events expected in a 200 answer)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            lines = self.json_lines(rng.randrange(1, 12))
            return b"[" + b",".join(lines) + b"]", signed_now(lines), 200, len(lines)
        if roll < 0.55:
            (line,) = self.json_lines(1)
            decoded = json.loads(line)
            count = len(decoded) if isinstance(decoded, list) else 1
            return line, signed(line), 200, count
        if roll < 0.65:
            value = _nested(rng.randrange(0, 6), rng)
            value = rng.choice([value, [value, value], [], {}, [[1], [2, 3]], "x", 5, None])
            body = json.dumps(value).encode()
            return body, signed(body), 200, len(value) if isinstance(value, list) else 1
        if roll < 0.70:  # 200 or 400, depending on where the stack meets the limit
            line, _ = self.lines.nested()
            body = b"[" + line + b"]"
            return body, signed(body), 0, None
        if roll < 0.78:
            line, _ = self.lines.truncated()
            body = line or b"{"
            return body, signed(body), 400, None
        if roll < 0.80:
            body = b"\xff\xfe" + bytes(rng.randrange(256) for _ in range(50))
            return body, signed(body), 400, None
        if roll < 0.97:
            return self.unsigned()
        if roll < 0.99:
            body = json.dumps([{}] * 10_001).encode()
            return body, signed(body), 413, None
        if self.huge < 3:
            self.huge += 1
            body = b"[" + b" " * MAX_BODY_BYTES + b"]"
            return body, signed(body), 413, None
        return b"[]", signed(b"[]"), 200, 0

    def unsigned(self) -> tuple[bytes, dict[str, str], int, int | None]:
        rng = self.rng
        lines = self.json_lines(rng.randrange(1, 4))
        body = b"[" + b",".join(lines) + b"]"
        now = int(time.time())
        choice = rng.randrange(9)
        if choice == 0:
            headers = signed(body, secret="wrong")
        elif choice == 1:
            headers = {}
        elif choice == 2:
            headers = {"X-Tokendesk-Timestamp": str(now)}
        elif choice == 3:
            headers = signed(body, stamp=str(now - 302))  # 302: not 300 across a second's tick
        elif choice == 4:
            headers = signed(body, stamp=str(now + 302))
        elif choice == 5:
            headers = signed(body, stamp=rng.choice(["abc", "-5", "1e9", "", " 1", "9" * 13]))
        elif choice == 6:
            headers = signed(body + b" ")
        elif choice == 7:
            headers = signed(body)
            headers["X-Tokendesk-Signature"] = headers["X-Tokendesk-Signature"].upper()
        else:
            headers = signed(body)
            headers["X-Tokendesk-Signature"] = "sha256=" + "0" * 64
        return body, headers, 401, None


def signed_now(lines: list[bytes]) -> dict[str, str]:
    return signed(b"[" + b",".join(lines) + b"]")


async def test_the_webhook_answers_hostile_bodies_without_a_500(hook, ledger):
    path = ledger.db.path
    async with aiohttp.ClientSession() as session:
        body = b"[" + b",".join(creations()) + b"]"
        async with session.post(hook, data=body, headers=signed(body)) as response:
            assert response.status == 200

        watcher = sqlite3.connect(path)
        version: Callable[[], int] = lambda: watcher.execute("PRAGMA data_version").fetchone()[0]  # noqa: E731
        requests = Requests(seed=5)
        statuses: Counter[int] = Counter()
        outcomes: Counter[str] = Counter()
        problems: list[str] = []
        for _ in range(2_500):
            body, headers, expected, count = requests.next()
            before = version()
            async with session.post(hook, data=body, headers=headers) as response:
                status, text = response.status, await response.text()
            statuses[status] += 1
            if status not in (200, 400, 401, 413) or (expected and status != expected):
                problems.append(f"{status} (expected {expected}) for {body[:120]!r}: {text[:200]}")
                continue
            if status != 200:
                if version() != before:
                    problems.append(f"{status} but the database changed, for {body[:120]!r}")
                continue
            results = json.loads(text)["results"]
            if count is not None and len(results) != count:
                problems.append(f"{len(results)} results for {count} events: {body[:120]!r}")
            for result in results:
                assert set(result) == {"id", "outcome", "reason"}, result
                outcomes[result["outcome"]] += 1
                plain = result["outcome"] in ("applied", "skipped")
                assert (result["reason"] is None) == plain, result
                if not plain:
                    _printable_reason(result["reason"])
        watcher.close()
    rows = assert_books_balance(path)
    print(
        f"\nfuzz: webhook tried {sum(statuses.values())} bodies: {dict(sorted(statuses.items()))};"
        f" events answered: {dict(outcomes)}; {rows} journal rows balance"
    )
    assert not problems, "\n".join(problems[:15])
    assert statuses[200] > 1_000 and statuses[401] > 200 and statuses[400] > 100

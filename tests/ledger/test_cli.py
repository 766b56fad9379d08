"""SPEC 3: the `tokendesk` command line, run as a real process against a real file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).parents[2]


def tokendesk(*args: str, url: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "TOKENDESK"))}
    env = {**base, "TOKENDESK_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def stamp(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


def lines(*events: dict | str) -> bytes:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events).encode()


def test_ingest_reports_each_outcome_and_exits_1_on_a_rejected_line(url, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(
        lines(
            {
                "id": "1",
                "type": "account.created",
                "at": stamp(5),
                "account_id": "a",
                "plan": "free",
            },
            "",
            '{"id": "2", "type": "generation.charged", "truncated',
            {
                "id": "3",
                "type": "generation.charged",
                "at": stamp(4),
                "account_id": "a",
                "generation_id": "g1",
                "source": "web",
                "cost": 9999,
            },
            {
                "id": "4",
                "type": "generation.charged",
                "at": stamp(3),
                "account_id": "a",
                "generation_id": "g2",
                "source": "web",
                "cost": 40,
            },
        )
        + b"\r\n"
    )
    result = tokendesk("ingest", str(path), url=url)
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr
    assert "applied 2 (0 late), refused charges 1, skipped as seen 0, rejected 1" in out
    assert "line 3: rejected: not valid JSON" in out
    again = tokendesk("ingest", str(path), url=url)
    assert "skipped as seen 3" in again.stdout.decode()
    balance = json.loads(tokendesk("balance", "a", "--json", url=url).stdout)
    assert balance["buckets"] == {"daily": 110, "monthly": 0, "rollover": 0}


def test_ingest_from_stdin_with_only_refused_charges_exits_0(url):
    data = lines(
        {"id": "1", "type": "account.created", "at": stamp(5), "account_id": "a", "plan": "free"},
        {
            "id": "2",
            "type": "generation.charged",
            "at": stamp(4),
            "account_id": "a",
            "generation_id": "g1",
            "source": "api",
            "cost": 5,
        },
    )
    result = tokendesk("ingest", "-", url=url, stdin=data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"refused charges 1" in result.stdout


def test_balance_json_has_exactly_the_spec_fields(url):
    tokendesk(
        "ingest",
        "-",
        url=url,
        stdin=lines(
            {
                "id": "1",
                "type": "account.created",
                "at": stamp(1),
                "account_id": "a",
                "plan": "artisan",
                "discord_user_id": 4242,
            },
        ),
    )
    by_user = json.loads(tokendesk("balance", "4242", "--json", url=url).stdout)
    assert set(by_user) == {
        "account_id",
        "plan",
        "status",
        "buckets",
        "total",
        "display_total",
        "rollover_cap",
        "relaxed",
        "api_credits",
        "next_daily_reset",
        "next_renewal",
    }
    assert set(by_user["relaxed"]) == {"eligible", "active", "used_today"}
    assert by_user["account_id"] == "a" and by_user["buckets"]["monthly"] == 25_000
    assert by_user["next_daily_reset"].endswith(("Z", "+00:00"))
    human = tokendesk("balance", "a", url=url).stdout.decode()
    assert "Artisan" in human and "25,000" in human and "API credits" in human


def test_history_json_is_newest_first_with_the_spec_fields(url):
    tokendesk(
        "ingest",
        "-",
        url=url,
        stdin=lines(
            {
                "id": "1",
                "type": "account.created",
                "at": stamp(3),
                "account_id": "a",
                "plan": "free",
            },
            {
                "id": "2",
                "type": "generation.charged",
                "at": stamp(2),
                "account_id": "a",
                "generation_id": "g1",
                "source": "web",
                "cost": 12,
            },
        ),
    )
    rows = json.loads(tokendesk("history", "a", "--json", "--limit", "1", url=url).stdout)
    assert rows == [
        {"at": rows[0]["at"], "kind": "charge", "bucket": "daily", "amount": -12, "reference": "g1"}
    ]
    text = tokendesk("history", "a", url=url).stdout.decode()
    assert "charged 12 daily tokens for generation g1" in text


def test_unknown_account_and_unreachable_database_are_one_line_errors(url):
    result = tokendesk("balance", "ghost", url=url)
    assert result.returncode != 0 and result.stderr.decode().count("\n") == 1
    assert "ghost" in result.stderr.decode()
    result = tokendesk("balance", "a", url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    err = result.stderr.decode()
    assert result.returncode != 0 and err.count("\n") == 1 and "Traceback" not in err


def test_db_upgrade_creates_then_reports_current(url):
    first = tokendesk("db", "upgrade", url=url)
    assert first.returncode == 0 and b"upgraded from empty" in first.stdout
    second = tokendesk("db", "upgrade", url=url)
    assert b"already at revision" in second.stdout


def test_link_code_prints_a_code_for_a_known_account_only(url):
    tokendesk(
        "ingest",
        "-",
        url=url,
        stdin=lines(
            {
                "id": "1",
                "type": "account.created",
                "at": stamp(3),
                "account_id": "a",
                "plan": "free",
            },
        ),
    )
    ok = tokendesk("link-code", "a", url=url)
    assert ok.returncode == 0 and len(ok.stdout.split()[0]) == 8
    assert tokendesk("link-code", "nobody", url=url).returncode != 0


def test_why_and_usage_json_have_exactly_the_spec_fields(url):
    tokendesk(
        "ingest",
        "-",
        url=url,
        stdin=lines(
            {
                "id": "1",
                "type": "account.created",
                "at": stamp(30),
                "account_id": "a",
                "plan": "free",
            },
            {
                "id": "2",
                "type": "generation.charged",
                "at": stamp(2),
                "account_id": "a",
                "generation_id": "gen-81",
                "source": "web",
                "cost": 24,
                "settings": {"model": "phoenix", "width": 1024, "height": 1024},
            },
        ),
    )
    why = json.loads(tokendesk("why", "a", "--hours", "48", "--json", url=url).stdout)
    assert set(why) == {
        "account_id",
        "from",
        "to",
        "total_before",
        "total_after",
        "api_before",
        "api_after",
        "relaxed_tokens",
        "causes",
    }
    assert why["from"].endswith(("Z", "+00:00")) and why["to"].endswith(("Z", "+00:00"))
    assert all(set(c) == {"cause", "pool", "amount", "count", "references"} for c in why["causes"])
    charge = next(c for c in why["causes"] if c["cause"] == "charge")
    assert (charge["amount"], charge["references"]) == (-24, ["gen-81"])
    assert why["total_after"] - why["total_before"] == sum(c["amount"] for c in why["causes"])
    text = tokendesk("why", "a", url=url).stdout.decode()
    assert "gen-81 (phoenix, 1024x1024) cost 24 tokens." in text

    usage = json.loads(tokendesk("usage", "a", "--days", "3", "--json", url=url).stdout)
    assert set(usage) == {"account_id", "days", "by_model", "forecast"}
    assert len(usage["days"]) == 3
    assert set(usage["days"][0]) == {"date", "tokens", "api_credits", "relaxed", "generations"}
    assert sum(d["tokens"] for d in usage["days"]) == 24
    assert usage["by_model"] == [
        {"model": "phoenix", "tokens": 24, "api_credits": 0, "generations": 1}
    ]
    assert set(usage["forecast"]) == {"pace_per_day", "runs_out_at", "before_next_grant"}
    bad = tokendesk("why", "a", "--hours", "9999", url=url)
    assert bad.returncode != 0 and b"between 1 and 2,160" in bad.stderr

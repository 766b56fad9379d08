"""`tokendesk incident refund`, run as a real process against a real file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.audit import query
from tests.ledger.test_cli import lines, tokendesk


def _at(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def _outage(tmp_path) -> str:
    """Two accounts; three web generations failed 30 to 28 minutes ago (one of model kino),
    one 5 minutes ago."""
    events: list[dict] = []
    for account in ("a", "b"):
        events.append(
            {
                "id": f"{account}-new",
                "type": "account.created",
                "at": _at(120),
                "account_id": account,
                "plan": "apprentice",
            }
        )
    for n, (account, model, failed_ago) in enumerate(
        [("a", "phoenix", 30), ("b", "phoenix", 29), ("a", "kino", 28), ("b", "phoenix", 5)]
    ):
        gid = f"g{n}"
        events.append(
            {
                "id": f"c{n}",
                "type": "generation.charged",
                "at": _at(60 - n),
                "account_id": account,
                "generation_id": gid,
                "source": "web",
                "cost": 100 + n,
                "settings": {"model": model},
            }
        )
        events.append(
            {
                "id": f"f{n}",
                "type": "generation.failed",
                "at": _at(failed_ago),
                "account_id": account,
                "generation_id": gid,
            }
        )
    path = tmp_path / "outage.jsonl"
    path.write_bytes(lines(*events))
    return str(path)


async def test_the_operator_refunds_a_window_once_and_bad_input_writes_nothing(url, tmp_path):
    assert tokendesk("ingest", _outage(tmp_path), url=url).returncode == 0
    since, until = _at(31), _at(27)
    for args, says in [
        (("--since", "not a time", "--until", until), "since is not an ISO 8601 instant"),
        (("--since", since[:19], "--until", until), "since needs its offset"),
        (("--since", until, "--until", since), "until is before since"),
        (("--since", since, "--until", until, "--model", " "), "model is empty"),
    ]:
        bad = tokendesk("incident", "refund", *args, url=url)
        assert bad.returncode == 2 and says in bad.stderr.decode(), bad.stderr
        assert bad.stderr.decode().count("\n") == 1 and bad.stdout == b""
    assert await query(url, "SELECT * FROM refunds") == []
    assert await query(url, "SELECT * FROM tickets") == []

    only_phoenix = tokendesk(
        "incident",
        "refund",
        "--since",
        since,
        "--until",
        until,
        "--model",
        "phoenix",
        "--reason",
        "GPU pool down",
        url=url,
    )
    assert only_phoenix.returncode == 0, only_phoenix.stderr
    out = only_phoenix.stdout.decode()
    assert out.startswith("Refunded 2 failed generations on 2 accounts: 201 tokens."), out
    assert "tickets #1 to #2" in out
    everything = tokendesk("incident", "refund", "--since", since, "--until", until, url=url)
    assert everything.stdout.decode().startswith("Refunded 1 failed generation on 1 account: 102")
    again = tokendesk("incident", "refund", "--since", since, "--until", until, url=url)
    assert again.returncode == 0 and again.stdout.decode().startswith("Nothing to refund")
    rows = await query(url, "SELECT generation_id, reference, actor FROM refunds ORDER BY 1")
    assert [tuple(r) for r in rows] == [
        ("g0", "#1", "operator"),
        ("g1", "#2", "operator"),
        ("g2", "#3", "operator"),
    ]
    reasons = await query(url, "SELECT decided_by, decision_reason, state FROM tickets ORDER BY id")
    assert tuple(reasons[0]) == ("operator", "GPU pool down", "approved")

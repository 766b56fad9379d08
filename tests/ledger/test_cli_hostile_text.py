"""SPEC 4, text from outside shown as text, on the command line: hidden characters in ids
become visible escapes, and the CSV export never hands a spreadsheet a formula."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from bot.cli.ticket_verbs import spreadsheet_safe
from diagnostics.desk import Opened, TicketDesk
from ledger.clock import SystemClock
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.ledger.test_cli import lines, stamp, tokendesk

RLO, ZWSP, ISOLATE = "\u202e", "\u200b", "\u2066"
HIDDEN = (RLO, ZWSP, ISOLATE, "\ufeff", "\u2060", "\u200f")


def _events(account: str, generation: str) -> bytes:
    return lines(
        {
            "id": "1",
            "type": "account.created",
            "at": stamp(3),
            "account_id": account,
            "plan": "free",
        },
        {
            "id": "2",
            "type": "generation.charged",
            "at": stamp(2),
            "account_id": account,
            "generation_id": generation,
            "source": "web",
            "cost": 12,
        },
        {"id": f"bad{ISOLATE}id", "type": "no.such.type"},
    )


def test_history_balance_and_ingest_show_hidden_characters_in_ids_as_escapes(url):
    account, generation = f"acc{RLO}lanigiro", f"g{ZWSP}1"
    ingested = tokendesk("ingest", "-", url=url, stdin=_events(account, generation))
    report = ingested.stdout.decode()
    assert "(id bad\\u2066id): rejected" in report
    balance = tokendesk("balance", account, url=url).stdout.decode()
    assert balance.startswith("acc\\u202elanigiro: Free plan")
    history = tokendesk("history", account, url=url).stdout.decode()
    assert "for generation g\\u200b1" in history
    for shown in (report, balance, history):
        assert not any(ch in shown for ch in HIDDEN)
    as_json = json.loads(tokendesk("history", account, "--json", url=url).stdout)
    assert as_json[0]["reference"] == generation  # JSON keeps the data exact


async def _tickets(url: str, texts: list[str]) -> None:
    db = open_database(url)
    ledger = LedgerService(db, SystemClock())
    desk = TicketDesk(ledger)
    try:
        for n, text in enumerate(texts):
            opened = await desk.open_refund("4242", text, details=text)
            assert isinstance(opened, Opened), (text, opened)
            await desk.act(opened.ticket.id, "deny", "discord:1", f"{text} reason {n}")
    finally:
        await db.close()


def test_csv_export_escapes_cells_a_spreadsheet_would_run(url):
    formulas = ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)"]
    events = [
        {
            "id": "a",
            "type": "account.created",
            "at": stamp(30),
            "account_id": "=acct",
            "plan": "apprentice",
            "discord_user_id": "4242",
        }
    ]
    for n, gid in enumerate(formulas):
        base = {"at": stamp(10 - n), "account_id": "=acct", "generation_id": gid}
        charged = {**base, "id": f"c{n}", "type": "generation.charged", "source": "web"}
        events.append({**charged, "cost": 7})
        events.append({**base, "id": f"f{n}", "type": "generation.failed", "at": stamp(9 - n)})
    assert tokendesk("ingest", "-", url=url, stdin=lines(*events)).returncode == 0
    asyncio.run(_tickets(url, formulas))

    exported = tokendesk("tickets", "export", "--format", "csv", url=url)
    rows = list(csv.DictReader(io.StringIO(exported.stdout.decode())))
    assert len(rows) == len(formulas)
    for row, text in zip(rows, formulas, strict=True):
        for column in ("generation_id", "details"):
            assert row[column] == "'" + text
        assert row["account_id"] == "'=acct"
        assert row["decision_reason"].startswith("'" + text)
        assert row["tokens"] == "7" and row["id"].isdigit()
    for row in rows:  # no cell left that a spreadsheet would evaluate
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    as_json = json.loads(tokendesk("tickets", "export", url=url).stdout)
    assert [t["generation_id"] for t in as_json] == formulas  # JSON keeps the data exact


def test_tab_and_carriage_return_starts_are_escaped_too():
    assert spreadsheet_safe("\tcmd") == "'\tcmd" and spreadsheet_safe("\rcmd") == "'\rcmd"
    assert spreadsheet_safe("fine = ok") == "fine = ok" and spreadsheet_safe(-5) == -5

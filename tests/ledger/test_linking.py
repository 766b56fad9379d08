"""Link codes under concurrency: one code links one user; the lockout counts every attempt.

Run on a SQLite file and on PostgreSQL (`any_url`), each through two services (two
connection pools, as two processes would have).
"""

from __future__ import annotations

import asyncio

from ledger.clock import FixedClock
from ledger.events import parse_event
from ledger.linking import LINK_ATTEMPT_LIMIT
from ledger.service import LedgerService
from ledger.store.database import open_database
from tests.ledger.builders import created

USERS = 50


async def _services(url: str, clock: FixedClock, count: int = 2) -> list[LedgerService]:
    ledgers = [LedgerService(open_database(url), clock) for _ in range(count)]
    body = created("2026-03-10T09:00:00Z", plan="apprentice", account="acc")
    first = ledgers[0]
    assert (await first.apply(parse_event(body, first.catalogue))).outcome == "applied"
    return ledgers


async def test_fifty_users_redeeming_one_code_at_once_link_exactly_one(any_url, clock):
    ledgers = await _services(any_url, clock)
    try:
        code = await ledgers[0].create_link_code("acc")
        results = await asyncio.gather(
            *(ledgers[n % 2].redeem_link_code(code, str(1000 + n)) for n in range(USERS))
        )
        outcomes = [r.outcome for r in results]
        assert outcomes.count("linked") == 1
        assert outcomes.count("used") == USERS - 1
        winner = str(1000 + outcomes.index("linked"))
        account = await ledgers[0].account("acc")
        assert account is not None and account.discord_user_id == winner
        for n, result in enumerate(results):  # nobody else is linked to anything
            if result.outcome != "linked":
                assert await ledgers[0].account(str(1000 + n), by_user=True) is None
    finally:
        for ledger in ledgers:
            await ledger.db.close()


async def test_concurrent_wrong_codes_from_one_user_cannot_pass_the_lockout(any_url, clock):
    ledgers = await _services(any_url, clock)
    try:
        results = await asyncio.gather(
            *(ledgers[n % 2].redeem_link_code(f"WRONG{n:03d}", "777") for n in range(20))
        )
        outcomes = [r.outcome for r in results]
        assert outcomes.count("unknown") == LINK_ATTEMPT_LIMIT
        assert outcomes.count("locked") == 20 - LINK_ATTEMPT_LIMIT
        code = await ledgers[0].create_link_code("acc")
        assert (await ledgers[1].redeem_link_code(code, "777")).outcome == "locked"
        assert (await ledgers[1].redeem_link_code(code, "778")).outcome == "linked"
    finally:
        for ledger in ledgers:
            await ledger.db.close()

"""Reading and writing the ledger's records through a `Tx`, decoded by column name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ledger.state import AccountState, Entry, Generation, HistoryRow
from ledger.store.database import Shape, Tx
from ledger.store.queries import ACCOUNT_COLUMNS, GENERATION_COLUMNS

__all__ = [
    "account_and_charged_before",
    "account_for_user",
    "append",
    "bucket_at",
    "failed_generations",
    "find_account",
    "finish_generation",
    "generation",
    "generations_since",
    "insert_account",
    "insert_generation",
    "insert_refund",
    "journal_count",
    "journal_latest",
    "journal_page",
    "journal_since",
    "link_code",
    "link_failures",
    "lock_accounts",
    "ping",
    "record_link_failure",
    "remember_event",
    "save_account",
    "seen_event",
    "store_link_code",
    "use_link_code",
]

ACCOUNT = Shape(ACCOUNT_COLUMNS, AccountState._make)
ACCOUNT_AND_FLAG = Shape(
    (*ACCOUNT_COLUMNS, "charged_before"), lambda v: (AccountState._make(v[:-1]), bool(v[-1]))
)
GENERATION = Shape(
    (*GENERATION_COLUMNS, "refunded"), lambda v: Generation._make((*v[:-1], bool(v[-1])))
)


class ChargedGeneration(NamedTuple):
    """A generation as usage and `why` read it."""

    generation_id: str
    charged_us: int
    tokens: int
    api: int
    relaxed: int
    refused: bool
    refunded: bool
    settings: str | None


CHARGED = Shape(
    (
        "generation_id",
        "charged_us",
        "daily",
        "monthly",
        "rollover",
        "api",
        "relaxed",
        "outcome",
        "refunded",
        "settings",
    ),
    lambda v: ChargedGeneration(
        v[0], v[1], v[2] + v[3] + v[4], v[5], v[6], v[7] == "refused", bool(v[8]), v[9]
    ),
)
_AT = Shape(("at_us",), lambda v: v[0])
HISTORY = Shape(
    ("due_us", "kind", "bucket", "amount", "balance_after", "reference", "note"),
    lambda v: HistoryRow(*v),
)


def find_account(tx: Tx, account_id: str, *, lock: bool = False) -> AccountState | None:
    """The account, locked against other writers when `lock` (PostgreSQL row lock)."""
    return tx.fetch("account_lock" if lock else "account", {"id": account_id}, ACCOUNT)


def account_and_charged_before(
    tx: Tx, account_id: str, generation_id: str
) -> tuple[AccountState | None, bool]:
    """The account (locked) and whether a generation id was ever charged, in one query."""
    found = tx.fetch(
        "account_lock_and_generation", {"id": account_id, "gid": generation_id}, ACCOUNT_AND_FLAG
    )
    if found is None:
        return None, tx.one("generation_exists", {"gid": generation_id}) is not None
    return found


def account_for_user(tx: Tx, discord_user_id: str) -> AccountState | None:
    """The account linked to a Discord user, if any."""
    return tx.fetch("account_by_user", {"id": discord_user_id}, ACCOUNT)


def lock_accounts(tx: Tx, account_ids: Sequence[str]) -> None:
    """Lock accounts in id order so that batches naming the same ones never deadlock.

    SQLite has one writer at a time, so there is nothing to lock there.
    """
    if tx.dialect == "postgresql" and len(account_ids) > 1:
        tx.run("accounts_lock_many", {"ids": sorted(set(account_ids))})


def _account_params(state: AccountState) -> dict[str, Any]:
    return dict(zip(ACCOUNT_COLUMNS, state, strict=True))


def insert_account(tx: Tx, state: AccountState) -> None:
    """Store a new account (its Discord user, if any, is taken from any other account)."""
    if state.discord_user_id is not None:
        tx.run("unlink_user", {"user": state.discord_user_id, "id": state.account_id})
    tx.run("account_insert", _account_params(state))


def save_account(tx: Tx, state: AccountState, before: AccountState | None = None) -> None:
    """Store an account's new state.

    Given the state it was read as (`before`), only the balance columns are written when
    nothing else changed, and a new Discord user is first moved off any other account.
    """
    if before is not None and state[:3] == before[:3] and _same_terms(state, before):
        tx.run("account_balances", _account_params(state))
        return
    moved = before is None or before.discord_user_id != state.discord_user_id
    if moved and state.discord_user_id is not None:
        tx.run("unlink_user", {"user": state.discord_user_id, "id": state.account_id})
    tx.run("account_update", _account_params(state))


def _same_terms(a: AccountState, b: AccountState) -> bool:
    return (
        a.anchor_us == b.anchor_us
        and a.cycle == b.cycle
        and a.pending_plan == b.pending_plan
        and a.withheld_renewal == b.withheld_renewal
        and a.withheld_upgrade == b.withheld_upgrade
        and a.discord_user_id == b.discord_user_id
    )


def append(tx: Tx, account_id: str, entries: Sequence[Entry], recorded_us: int) -> None:
    """Append journal rows (the journal is never updated or deleted from)."""
    tx.many(
        "journal_insert",
        [
            {
                "account_id": account_id,
                "kind": e.kind,
                "bucket": e.bucket,
                "amount": e.amount,
                "balance_after": e.balance_after,
                "due_us": e.due_us,
                "recorded_us": recorded_us,
                "reference": e.reference,
                "note": e.note,
            }
            for e in entries
        ],
    )


def journal_latest(tx: Tx, account_id: str, limit: int) -> list[HistoryRow]:
    """The latest journal rows of an account, newest first."""
    return tx.fetch_all("journal_latest", {"id": account_id, "limit": limit}, HISTORY)


def journal_page(tx: Tx, account_id: str, limit: int, offset: int) -> list[HistoryRow]:
    """A page of an account's journal rows, newest first."""
    params = {"id": account_id, "limit": limit, "offset": offset}
    return tx.fetch_all("journal_page", params, HISTORY)


def journal_count(tx: Tx, account_id: str) -> int:
    """How many journal rows an account has."""
    row = tx.one("journal_count", {"id": account_id})
    return int(row[0]) if row else 0


def journal_since(tx: Tx, account_id: str, since_us: int) -> list[HistoryRow]:
    """The journal rows of an account due after an instant, in the order written."""
    return tx.fetch_all("journal_since", {"id": account_id, "since": since_us}, HISTORY)


def bucket_at(tx: Tx, account_id: str, bucket: str, at_us: int) -> int:
    """A bucket as its journal left it at an instant (0 before any row)."""
    row = tx.one("bucket_at", {"id": account_id, "bucket": bucket, "at": at_us})
    return 0 if row is None or row[0] is None else int(row[0])


def generations_since(tx: Tx, account_id: str, since_us: int) -> list[ChargedGeneration]:
    """An account's generations charged since an instant, oldest first."""
    return tx.fetch_all("generations_since", {"id": account_id, "since": since_us}, CHARGED)


def generation(tx: Tx, generation_id: str) -> Generation | None:
    """A generation by id, with whether it was refunded."""
    return tx.fetch("generation", {"id": generation_id}, GENERATION)


def failed_generations(tx: Tx, account_id: str, since_us: int, limit: int) -> list[Generation]:
    """An account's failed generations charged since `since_us`, newest first."""
    params = {"id": account_id, "since": since_us, "limit": limit}
    return tx.fetch_all("generations_failed", params, GENERATION)


def insert_generation(
    tx: Tx, record: Generation, settings: str | None, model: str | None = None
) -> None:
    """Record a charged (or refused) generation; the key refuses a second charge."""
    params = dict(zip(GENERATION_COLUMNS, record[: len(GENERATION_COLUMNS)], strict=True))
    params["settings"] = settings
    params["model"] = model
    tx.run("generation_insert", params)


def finish_generation(tx: Tx, record: Generation) -> None:
    """Record that a generation succeeded or failed."""
    params = {k: getattr(record, k) for k in ("status", "finished_us", "reason", "generation_id")}
    tx.run("generation_finish", params)


def insert_refund(tx: Tx, generation: Generation, reference: str, actor: str, at_us: int) -> None:
    """Record that a generation was refunded; the key refuses a second refund."""
    tx.run(
        "refund_insert",
        {
            "generation_id": generation.generation_id,
            "account_id": generation.account_id,
            "amount": generation.deducted,
            "reference": reference,
            "actor": actor,
            "at_us": at_us,
        },
    )


def seen_event(tx: Tx, event_id: str) -> str | None:
    """The content digest of an event applied before, or None."""
    row = tx.one("event", {"id": event_id})
    return None if row is None else row[0]


def remember_event(
    tx: Tx, event_id: str, account_id: str, digest: str, outcome: str, recorded_us: int
) -> None:
    """Remember an applied event's id, so that sending it again is skipped."""
    tx.run(
        "event_insert",
        {
            "event_id": event_id,
            "account_id": account_id,
            "digest": digest,
            "outcome": outcome,
            "recorded_us": recorded_us,
        },
    )


def store_link_code(tx: Tx, code: str, account_id: str, expires_us: int) -> None:
    """Keep a one-time link code for an account."""
    tx.run("link_code_insert", {"code": code, "account_id": account_id, "expires_us": expires_us})


def link_code(tx: Tx, code: str) -> tuple[str, int, int | None] | None:
    """(account_id, expires_us, used_us) of a link code, or None."""
    row = tx.one("link_code", {"code": code})
    return None if row is None else (row[0], row[1], row[2])


def use_link_code(tx: Tx, code: str, discord_user_id: str, account_id: str, now_us: int) -> bool:
    """Spend a code and link the user; False if someone else spent it first.

    The update only matches an unused code, so of two redeemers racing, one wins.
    """
    if tx.run("link_code_use", {"code": code, "now": now_us}) != 1:
        return False
    tx.run("unlink_user", {"user": discord_user_id, "id": account_id})
    tx.run("link_user", {"user": discord_user_id, "chooser": discord_user_id, "id": account_id})
    return True


def link_failures(tx: Tx, discord_user_id: str, since_us: int) -> list[int]:
    """When a user's failed link codes were given since an instant, oldest first.

    On PostgreSQL the user's attempts are serialized first (an advisory lock held until
    the transaction ends), so concurrent attempts cannot all pass the count; SQLite has
    one writer at a time already.
    """
    user = {"user": discord_user_id}
    if tx.dialect == "postgresql":
        tx.one("link_attempts_lock", user)
    rows = tx.fetch_all("link_failures_since", {**user, "since": since_us}, _AT)
    return rows


def record_link_failure(tx: Tx, discord_user_id: str, now_us: int, since_us: int) -> None:
    """Count a failed code, dropping the user's failures older than the window."""
    tx.run("link_failures_prune", {"user": discord_user_id, "since": since_us})
    tx.run("link_failure_insert", {"discord_user_id": discord_user_id, "at_us": now_us})


def ping(tx: Tx) -> None:
    """A round trip to the database (health checks)."""
    tx.one("ping", {})

"""A batch of events applied in memory: the rules of `decide`, event by event, in order.

The store loads what a batch needs at once (its accounts, the generations and the event
ids it names); `plan_batch` then does exactly what applying the events one at a time
would do (`ledger.operations.apply_event_op`): the same seen-check, the same decision,
the same outcome and reason per event. It returns what to write, set by set, and the
results. Nothing here touches storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ledger.apply import Rejection, decide
from ledger.events import Event
from ledger.notices import Notice
from ledger.plans import Catalogue
from ledger.state import AccountState, Entry, Generation

__all__ = ["CONFLICT", "BatchPlan", "EventResult", "plan_batch"]

CONFLICT = "conflict: this id was seen with different content"


class EventResult(NamedTuple):
    """How one event went: `applied`, `late`, `refused`, `skipped` or `rejected`."""

    id: str | None
    outcome: str
    reason: str | None = None
    account_id: str | None = None


class Remembered(NamedTuple):
    """An accepted event's id, kept so that sending it again is skipped."""

    event_id: str
    account_id: str
    digest: str
    outcome: str


@dataclass
class BatchPlan:
    """What a batch writes, and how each of its events went (in input order).

    Attributes:
        results: one per event, in order.
        new_accounts: accounts the batch opened, as they stand at its end.
        changed_accounts: accounts that existed before, as they stand at its end.
        linked_users: Discord users the batch linked: any other account loses them.
        new_generations: charges the batch recorded, as they stand at its end, with settings
            and model.
        finished_generations: earlier charges the batch finished.
        journal: (account id, entry) in the order the entries were made.
        remembered: accepted events.
        notices: direct messages the events called for, in order (`ledger.notices`).
    """

    results: list[EventResult] = field(default_factory=list)
    new_accounts: dict[str, AccountState] = field(default_factory=dict)
    changed_accounts: dict[str, AccountState] = field(default_factory=dict)
    linked_users: set[str] = field(default_factory=set)
    new_generations: dict[str, tuple[Generation, str | None, str | None]] = field(
        default_factory=dict
    )
    finished_generations: dict[str, Generation] = field(default_factory=dict)
    journal: list[tuple[str, Entry]] = field(default_factory=list)
    remembered: list[Remembered] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def plan_batch(
    accounts: dict[str, AccountState],
    seen: dict[str, str],
    generations: dict[str, Generation],
    events: Sequence[Event],
    now_us: int,
    catalogue: Catalogue,
    *,
    low_below: dict[str, int] | None = None,
) -> BatchPlan:
    """Apply `events` in order to what was loaded for them, in memory.

    Args:
        accounts: every existing account the events name, by id.
        seen: the digest of every event id of the batch that was applied before.
        generations: every existing generation the events name, by id.
        events: the validated events, in input order.
        now_us: the present.
        catalogue: the plans.
        low_below: the `low` threshold of each Discord user the events link who wants
            `low` notices (an account takes its new user's threshold, as stored).

    The three mappings are updated as the events apply; the plan says what to store.
    """
    plan = BatchPlan()
    results, journal = plan.results, plan.journal
    for event in events:
        digest = seen.get(event.id)
        if digest is not None:
            if digest == event.digest:
                results.append(EventResult(event.id, "skipped", None, event.account_id))
            else:
                results.append(EventResult(event.id, "rejected", CONFLICT))
            continue
        state = accounts.get(event.account_id)
        gid = event.generation_id
        gen = generations.get(gid) if gid is not None else None
        charged_before = False
        if event.type == "generation.charged":
            charged_before, gen = gen is not None, None
        decision = decide(state, gen, event, now_us, catalogue, charged_before=charged_before)
        if isinstance(decision, Rejection):
            results.append(EventResult(event.id, "rejected", decision.reason, event.account_id))
            continue
        after = decision.state
        account_id = after.account_id
        user = after.discord_user_id
        if user is not None and (state is None or state.discord_user_id != user):
            _take_user(plan, accounts, user, account_id)
            after = after._replace(low_below=(low_below or {}).get(user))
        accounts[account_id] = after
        if decision.new_account or account_id in plan.new_accounts:
            plan.new_accounts[account_id] = after
        else:
            plan.changed_accounts[account_id] = after
        record = decision.generation
        if record is not None:
            generations[record.generation_id] = record
            _keep_generation(plan, record, event, decision.new_generation)
        for entry in decision.entries:
            journal.append((account_id, entry))
        plan.notices.extend(decision.notices)
        seen[event.id] = event.digest
        plan.remembered.append(Remembered(event.id, account_id, event.digest, decision.outcome))
        results.append(EventResult(event.id, decision.outcome, decision.reason, account_id))
    return plan


def _take_user(
    plan: BatchPlan, accounts: dict[str, AccountState], user: str, account_id: str
) -> None:
    """A user links to one account at most: every other account loaded loses them."""
    plan.linked_users.add(user)
    for other_id, other in accounts.items():
        if other_id != account_id and other.discord_user_id == user:
            unlinked = other._replace(discord_user_id=None, low_below=None)
            accounts[other_id] = unlinked
            target = plan.new_accounts if other_id in plan.new_accounts else plan.changed_accounts
            target[other_id] = unlinked


def _keep_generation(plan: BatchPlan, record: Generation, event: Event, new: bool) -> None:
    gid = record.generation_id
    if new:
        plan.new_generations[gid] = (record, event.settings, event.model)
    elif gid in plan.new_generations:  # charged and finished in the same batch
        _, settings, model = plan.new_generations[gid]
        plan.new_generations[gid] = (record, settings, model)
    else:
        plan.finished_generations[gid] = record

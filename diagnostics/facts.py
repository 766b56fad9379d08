"""What a troubleshooting flow may know about the user, and ask of it.

Flows name conditions (``when = "past_due"``) and placeholders (``{total}``);
both are registered here, so a flow file can only use what the code provides.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from ledger import FREE

__all__ = [
    "FREE_PLAN",
    "PLACEHOLDERS",
    "PREDICATES",
    "Condition",
    "FailedGeneration",
    "RecentCharge",
    "UserFacts",
    "Value",
    "pick_key",
    "placeholder_values",
]

log = logging.getLogger(__name__)

FREE_PLAN = FREE
PAST_DUE = "past_due"

Value = int | str | datetime | None
"""A placeholder's raw value; the renderer formats it (times as Discord timestamps)."""


@dataclass(frozen=True, slots=True)
class FailedGeneration:
    """A generation that failed after it was charged."""

    generation_id: str
    tokens: int
    source: str  # "web" (tokens) or "api" (API credits)
    charged_at: datetime
    refundable: bool


@dataclass(frozen=True, slots=True)
class RecentCharge:
    """A recent journal charge: what consumed tokens or credits."""

    generation_id: str | None
    amount: int
    at: datetime
    source: str = "web"


@dataclass(frozen=True, slots=True)
class UserFacts:
    """A user's account as the ledger sees it, for deciding what a flow shows.

    An unlinked user has ``linked=False``; every account condition is then
    false, so flows skip the steps that would quote a balance.
    """

    linked: bool
    plan: str
    status: str  # "active" or "past_due"
    daily: int
    monthly: int
    rollover: int
    total: int
    display_total: int
    rollover_cap: int
    api_credits: int
    relaxed_eligible: bool
    relaxed_active: bool
    relaxed_used_today: int
    next_daily_reset: datetime
    next_renewal: datetime | None
    daily_allowance: int
    failed_charged: tuple[FailedGeneration, ...] = ()
    recent_charges: tuple[RecentCharge, ...] = ()

    @classmethod
    def unlinked(cls, next_daily_reset: datetime, daily_allowance: int) -> UserFacts:
        """Facts for a Discord user with no platform account linked.

        Args:
            next_daily_reset: The next 00:00 UTC, which is the same for everyone.
            daily_allowance: What the catalogue grants free accounts each day.
        """
        return cls(
            linked=False,
            plan=FREE_PLAN,
            status="active",
            daily=0,
            monthly=0,
            rollover=0,
            total=0,
            display_total=0,
            rollover_cap=0,
            api_credits=0,
            relaxed_eligible=False,
            relaxed_active=False,
            relaxed_used_today=0,
            next_daily_reset=next_daily_reset,
            next_renewal=None,
            daily_allowance=daily_allowance,
        )

    @property
    def refundable(self) -> tuple[FailedGeneration, ...]:
        """Failed, charged generations not yet refunded, newest first."""
        found = [f for f in self.failed_charged if f.refundable]
        return tuple(sorted(found, key=lambda f: (f.charged_at, f.generation_id), reverse=True))


def pick_key(generation_id: str) -> str:
    """A short, stable key for a generation, safe in a Discord custom id or select value.

    Generation ids may be longer than Discord allows, so pickers use this key.
    """
    return hashlib.sha256(generation_id.encode()).hexdigest()[:8]


def _account(rule: Callable[[UserFacts], bool]) -> Callable[[UserFacts], bool]:
    """A condition about the account: false for users who have not linked one."""
    return lambda facts: facts.linked and rule(facts)


def _is_free(facts: UserFacts) -> bool:
    return facts.plan == FREE_PLAN


def _uses_api(facts: UserFacts) -> bool:
    return (
        facts.api_credits > 0
        or any(f.source == "api" for f in facts.failed_charged)
        or any(c.source == "api" for c in facts.recent_charges)
    )


PREDICATES: Mapping[str, Callable[[UserFacts], bool]] = MappingProxyType(
    {
        "linked": lambda facts: facts.linked,
        "free": _account(_is_free),
        "paid": _account(lambda facts: not _is_free(facts)),
        "past_due": _account(lambda facts: facts.status == PAST_DUE),
        "at_zero": _account(lambda facts: facts.total <= 0),
        "free_at_zero": _account(lambda facts: _is_free(facts) and facts.total <= 0),
        "has_monthly": _account(lambda facts: facts.monthly > 0),
        "has_rollover": _account(lambda facts: facts.rollover > 0),
        "api_user": _account(_uses_api),
        "has_api_credits": _account(lambda facts: facts.api_credits > 0),
        "relaxed_eligible": _account(lambda facts: facts.relaxed_eligible),
        "relaxed_active": _account(lambda facts: facts.relaxed_active),
        "has_failed_charged": _account(lambda facts: bool(facts.failed_charged)),
        "has_refundable": _account(lambda facts: bool(facts.refundable)),
        "has_recent_charges": _account(lambda facts: bool(facts.recent_charges)),
    }
)
"""Conditions a flow step or choice may name in ``when``."""


PLACEHOLDERS: Mapping[str, Callable[[UserFacts], Value]] = MappingProxyType(
    {
        "plan": lambda facts: facts.plan,
        "status": lambda facts: facts.status,
        "daily": lambda facts: facts.daily,
        "monthly": lambda facts: facts.monthly,
        "rollover": lambda facts: facts.rollover,
        "rollover_cap": lambda facts: facts.rollover_cap,
        "total": lambda facts: facts.total,
        "display_total": lambda facts: facts.display_total,
        "api_credits": lambda facts: facts.api_credits,
        "relaxed_used_today": lambda facts: facts.relaxed_used_today,
        "next_daily_reset": lambda facts: facts.next_daily_reset,
        "next_renewal": lambda facts: facts.next_renewal,
        "daily_allowance": lambda facts: facts.daily_allowance,
        "refundable_count": lambda facts: len(facts.refundable),
        "refundable_tokens": lambda facts: sum(f.tokens for f in facts.refundable),
        "recent_count": lambda facts: len(facts.recent_charges),
        "recent_spent": lambda facts: sum(c.amount for c in facts.recent_charges),
    }
)
"""Values a flow step's text may quote as ``{name}``."""


@dataclass(frozen=True, slots=True)
class Condition:
    """All of some named predicates must hold (or, when negated, must not)."""

    terms: tuple[tuple[str, bool], ...]  # (predicate name, whether it must hold)

    def holds(self, facts: UserFacts) -> bool:
        """Whether the condition is true of these facts."""
        return all(bool(PREDICATES[name](facts)) == wanted for name, wanted in self.terms)


def placeholder_values(facts: UserFacts, names: tuple[str, ...]) -> Mapping[str, Value]:
    """The raw values of the named placeholders for these facts.

    Args:
        facts: The user's facts.
        names: Placeholder names, each a key of :data:`PLACEHOLDERS`.

    Raises:
        KeyError: A name is not a registered placeholder.
    """
    return MappingProxyType({name: PLACEHOLDERS[name](facts) for name in names})

"""Whether a generation can be refunded, and what a refund paid: the one eligibility rule.

The ticket desk asks the same question before it opens a refund ticket as the ledger
asks before it pays one, so both call `refund_problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledger.state import Generation

__all__ = ["RefundProblem", "RefundRefusal", "Refunded", "refund_problem"]


class RefundProblem(StrEnum):
    """Why a generation cannot be refunded.

    A generation on another account is `unknown` to the asker: the answer must not tell
    them that it exists.
    """

    UNKNOWN = "unknown"
    NOT_FAILED = "not_failed"
    NOTHING_DEDUCTED = "nothing_deducted"
    ALREADY_REFUNDED = "already_refunded"
    TOO_OLD = "too_old"


def refund_problem(
    generation: Generation | None,
    account_id: str | None = None,
    *,
    now_us: int | None = None,
    max_age_us: int | None = None,
) -> RefundProblem | None:
    """Why `generation` cannot be refunded (to the owner of `account_id`), or None if it can.

    Args:
        generation: the generation, or None when no generation has the id asked about.
        account_id: the account asking; None when the ledger's operator asks.
        now_us: the present, needed with `max_age_us`.
        max_age_us: how long after its charge a refund may still be asked for (None: ever).
    """
    if generation is None or (account_id is not None and generation.account_id != account_id):
        return RefundProblem.UNKNOWN
    if generation.status != "failed":
        return RefundProblem.NOT_FAILED
    if generation.deducted == 0:
        return RefundProblem.NOTHING_DEDUCTED
    if generation.refunded:
        return RefundProblem.ALREADY_REFUNDED
    too_old = max_age_us is not None and now_us is not None
    if too_old and now_us - generation.charged_us > max_age_us:  # type: ignore[operator]
        return RefundProblem.TOO_OLD
    return None


@dataclass(frozen=True, slots=True)
class Refunded:
    """A refund was paid: tokens (or API credits) returned per bucket."""

    generation_id: str
    account_id: str
    amounts: dict[str, int]

    @property
    def total(self) -> int:
        """Everything returned, tokens and API credits together."""
        return sum(self.amounts.values())


@dataclass(frozen=True, slots=True)
class RefundRefusal:
    """Why a refund was not paid."""

    generation_id: str
    problem: RefundProblem

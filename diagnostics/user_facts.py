"""What the troubleshooter knows about a user, read from the ledger."""

from __future__ import annotations

import logging

from diagnostics.facts import FailedGeneration, RecentCharge, UserFacts
from diagnostics.tickets import TicketPolicy
from ledger import DAY_US, LedgerService, from_us, next_midnight

log = logging.getLogger(__name__)

__all__ = ["facts_for"]


async def facts_for(
    ledger: LedgerService, user_id: str, policy: TicketPolicy, open_tickets: set[str]
) -> UserFacts:
    """The user's facts now: balance, failed charged generations, recent charges.

    Args:
        ledger: the ledger service.
        user_id: the Discord user id.
        policy: says how old a generation may be and still be refunded.
        open_tickets: generation ids that already have an open ticket.
    """
    now = ledger.now_us()
    balance = await ledger.balance(user_id, by_user=True)
    if balance is None:
        return UserFacts.unlinked(from_us(next_midnight(now)), ledger.catalogue.daily_allowance)
    since = now - policy.refund_max_age_days * DAY_US
    failed = await ledger.failed_generations(balance.account_id, since)
    rows = await ledger.history(balance.account_id, 50) or []
    return UserFacts(
        linked=True,
        plan=balance.plan,
        status=balance.status,
        daily=balance.daily,
        monthly=balance.monthly,
        rollover=balance.rollover,
        total=balance.total,
        display_total=balance.display_total,
        rollover_cap=balance.rollover_cap,
        api_credits=balance.api_credits,
        relaxed_eligible=balance.relaxed_eligible,
        relaxed_active=balance.relaxed_active,
        relaxed_used_today=balance.relaxed_used_today,
        next_daily_reset=from_us(balance.next_daily_reset_us),
        next_renewal=None if balance.next_renewal_us is None else from_us(balance.next_renewal_us),
        daily_allowance=ledger.catalogue.daily_allowance,
        failed_charged=tuple(
            FailedGeneration(
                generation_id=g.generation_id,
                tokens=g.deducted,
                source=g.source,
                charged_at=from_us(g.charged_us),
                refundable=g.deducted > 0
                and not g.refunded
                and g.generation_id not in open_tickets,
            )
            for g in failed
        ),
        recent_charges=tuple(
            RecentCharge(
                generation_id=r.reference,
                amount=-r.amount,
                at=from_us(r.at_us),
                source="api" if r.bucket == "api" else "web",
            )
            for r in rows
            if r.kind == "charge"
        )[:10],
    )

"""Business outcomes in plain words: the one place a refusal becomes a sentence.

The ledger and diagnostics return outcomes as values with codes (a pricing `Refusal`,
a ticket `Refused`, a `LinkResult`); this module words them for people.
"""

from __future__ import annotations

from bot.style import safe, when
from bot.words import duration, tokens
from diagnostics.tickets import Refused
from ledger import (
    LINK_ATTEMPT_LIMIT,
    LINK_ATTEMPT_WINDOW_US,
    LINK_CODE_TTL_US,
    LinkResult,
    PricingTable,
    Refusal,
)

__all__ = [
    "link_text",
    "not_yours_text",
    "refusal_text",
    "refused_text",
    "staff_only_text",
    "stale_command_text",
]

GUILD_SETTING = "TOKENDESK_GUILD_ID"

_FIELD = {
    "model": "model",
    "width": "width",
    "height": "height",
    "size": "image size",
    "count": "count",
    "alchemy": "Alchemy",
    "photoreal": "PhotoReal",
}


def refusal_text(refusal: Refusal, table: PricingTable) -> str:
    """Why a request cannot be priced, in plain words."""
    limits = table.limits
    field, problem = _FIELD[refusal.field], refusal.problem
    raw = refusal.value
    value = str(raw) if isinstance(raw, int) else safe(str(raw), 60)
    if refusal.field == "model":
        return f"There is no model called `{value}`. Start typing to pick one from the list."
    if problem in ("unsupported",):
        return f"{field} is not available on this model. Turn it off or pick another model."
    if refusal.field == "size":
        return (
            f"{refusal.value} pixels is more than the largest image, "
            f"{tokens(limits.max_pixels)} pixels (for example 1536 x 1152)."
        )
    if refusal.field == "count":
        return f"count must be between 1 and {limits.max_count}; you asked for {value}."
    if problem == "not_multiple":
        return f"{field} must be a multiple of {limits.multiple_of}; {value} is not."
    return (
        f"{field} must be between {limits.min_side} and {limits.max_side} pixels; "
        f"you asked for {value}."
    )


_REFUSED = {
    "not_linked": "Link your account first with `/link`, so I can see your generations.",
    "unknown": "I can't find a generation with that id on the platform.",
    "not_failed": "That generation did not fail, so there is nothing to refund.",
    "nothing_deducted": (
        "That generation took no tokens (it ran in relaxed mode or was refused), "
        "so there is nothing to refund."
    ),
    "already_refunded": "That generation has already been refunded.",
    "too_old": "That generation is older than the refund window.",
    "too_many_open": (
        "You already have the most open tickets allowed. The support team will get to "
        "them; you can see them with `/tickets`."
    ),
    "no_ticket": "There is no such ticket.",
    "not_refund": "Only refund tickets are approved or denied; close this one instead.",
    "empty_note": "A note needs some text.",
    "unknown_category": "Pick one of the listed categories.",
    "empty_message": "A message needs some text.",
    "not_ended": "Only a ticket that is decided or closed can be rated.",
    "bad_rating": "Ratings go from 1 to 5.",
}


def refused_text(refused: Refused, *, max_age_days: int = 30) -> str:
    """Why something about a ticket was not done, in plain words."""
    if refused.problem == "ticket_open":
        return f"There is already an open ticket for that generation: #{refused.ticket_id}."
    if refused.problem == "illegal":
        return f"Ticket #{refused.ticket_id} is {refused.state}, so it can't be {refused.action}d."
    if refused.problem == "ended":
        return f"Ticket #{refused.ticket_id} is {refused.state}: nothing more is written on it."
    if refused.problem == "too_old":
        return f"That generation is more than {max_age_days} days old, past the refund window."
    return _REFUSED.get(refused.problem, "That can't be done.")


def link_text(result: LinkResult) -> tuple[str, str]:
    """(title, text) for how redeeming a link code went."""
    if result.outcome == "locked":
        assert result.retry_at_us is not None
        return (
            "Too many codes that did not work",
            f"{LINK_ATTEMPT_LIMIT} codes in the last {duration(LINK_ATTEMPT_WINDOW_US)} "
            f"did not work, so /link is paused for you. Try again {when(result.retry_at_us)}.",
        )
    ttl = duration(LINK_CODE_TTL_US)
    return {
        "linked": ("Linked", "Your Discord account is now linked to your platform account."),
        "unknown": ("That code does not exist", "Check the code, or ask for a new one."),
        "expired": ("That code has expired", f"Codes last {ttl}. Ask for a new one."),
        "used": ("That code was already used", "Each code works once. Ask for a new one."),
    }[result.outcome]


def staff_only_text(reason: str, level: str = "support") -> str:
    """Why a staff action was refused; never names the role the action needs."""
    if reason == "no_support_server":
        return (
            "This is for the support team (staff only), and staff actions are switched off: "
            f"the bot's operator has not set `{GUILD_SETTING}`, the support server."
        )
    if reason == "stale":
        return (
            "This is for the support team (staff only), and this copy of the command is out "
            "of date. Staff commands work only in the support server, from the list Discord "
            "shows there now."
        )
    if reason == "elsewhere":
        return "This is for the support team (staff only), in the support server only."
    if level == "moderator":
        return "This is for the support team's moderators (staff only)."
    return "This is for the support team (staff only)."


def not_yours_text() -> str:
    """A button or menu made for someone else."""
    return "This was made for someone else, so it does nothing for you. Run the command yourself."


def stale_command_text() -> str:
    """A command Discord still shows but the bot no longer offers there."""
    return (
        "This command is not offered here any more; Discord may still be showing an old "
        "list. It updates by itself shortly."
    )

"""Server-side role checks for support and moderator actions.

Discord's own command permissions are only a default that server admins can change;
these checks run on every support and moderator command and button, whatever they say.
"""

from __future__ import annotations

import logging

import discord

from bot.errors import NotAllowed
from bot.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["is_moderator", "is_support", "require"]


def _holds(user: discord.abc.User, configured: str | None) -> bool:
    if not configured or not isinstance(user, discord.Member):
        return False
    wanted = configured.strip().lower()
    return any(str(role.id) == wanted or role.name.lower() == wanted for role in user.roles)


def is_moderator(user: discord.abc.User, settings: Settings) -> bool:
    """Holds `TOKENDESK_MODERATOR_ROLE` (by name or id)."""
    return _holds(user, settings.moderator_role)


def is_support(user: discord.abc.User, settings: Settings) -> bool:
    """Holds `TOKENDESK_SUPPORT_ROLE`, or is a moderator (moderators can triage too)."""
    return _holds(user, settings.support_role) or is_moderator(user, settings)


def require(user: discord.abc.User, settings: Settings, level: str) -> None:
    """Raise `NotAllowed` unless `user` may act at `level` (`support` or `moderator`).

    Raises:
        NotAllowed: naming the role the action needs.
    """
    if level == "moderator" and not is_moderator(user, settings):
        raise NotAllowed(settings.moderator_role)
    if level == "support" and not is_support(user, settings):
        raise NotAllowed(settings.support_role)

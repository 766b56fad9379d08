"""Answering interactions without ever letting Discord show "This interaction failed"."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import discord

log = logging.getLogger(__name__)

__all__ = ["Reply", "answer"]

MENTIONS_NONE = discord.AllowedMentions.none()


class Reply:
    """What a command answers: an embed, optional content, components and a file."""

    __slots__ = ("content", "embed", "file", "view")

    def __init__(
        self,
        embed: discord.Embed | None = None,
        *,
        content: str | None = None,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        self.embed = embed
        self.content = content
        self.view = view
        self.file = file
        """An attachment (a chart): sent as a multipart request."""

    def kwargs(self) -> dict:
        out: dict = {"allowed_mentions": MENTIONS_NONE}
        if self.embed is not None:
            out["embed"] = self.embed
        if self.content is not None:
            out["content"] = self.content
        if self.view is not None:
            out["view"] = self.view
        if self.file is not None:
            out["file"] = self.file
        return out


async def answer(
    interaction: discord.Interaction,
    work: Awaitable[Reply],
    *,
    defer_after: float,
    ephemeral: bool = True,
) -> None:
    """Send the reply `work` produces; if it takes longer than `defer_after`, defer first.

    A fast answer costs one request; a slow one shows "thinking" at once and edits in the
    answer when it is ready, so the user never sees the interaction fail.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    if done:
        reply = task.result()
        await interaction.response.send_message(ephemeral=ephemeral, **reply.kwargs())
        return
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    reply = await task
    await interaction.followup.send(ephemeral=ephemeral, **reply.kwargs())

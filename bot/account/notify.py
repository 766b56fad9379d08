"""`/notify`: which direct messages a user wants, as toggles only they can press.

Each toggle and the threshold button is a `DynamicItem`, so a `/notify` message keeps
working after a restart; `OwnerGuard` makes them act only for the user who ran the
command. A toggle switches the choice as it is stored now (not as the message last
showed it), then redraws the message.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.account.embeds import not_linked_embed
from bot.errors import refuse
from bot.guards import OwnerGuard, claim, services_of, settle
from bot.respond import MENTIONS_NONE
from bot.style import BRAND
from bot.words import tokens
from ledger import MAX_LOW_THRESHOLD, NoticeTopic, NotifyChoices

log = logging.getLogger(__name__)

__all__ = ["NotifyThreshold", "NotifyToggle", "ThresholdForm", "notify_embed", "notify_view"]

_ABOUT = {
    NoticeTopic.FAILED: "A generation of yours failed after it was charged. The message has a "
    "button to ask for the tokens back.",
    NoticeTopic.LOW: "Your tokens fall below {threshold}.",
    NoticeTopic.ROLLOVER: "Three days before a renewal at which rollover tokens would be lost "
    "to the bank's cap, with how many.",
    NoticeTopic.PAYMENT: "A payment for your plan failed.",
}
_TITLES = {
    NoticeTopic.FAILED: "Failed generations",
    NoticeTopic.LOW: "Low balance",
    NoticeTopic.ROLLOVER: "Rollover losses",
    NoticeTopic.PAYMENT: "Failed payments",
}


def notify_embed(choices: NotifyChoices, note: str | None = None) -> discord.Embed:
    """What the user gets by DM now, one field per kind."""
    embed = discord.Embed(title="Direct messages you get", colour=BRAND)
    embed.description = (
        "Press a button to switch a message on or off. They come as DMs from this bot; "
        "with your DMs closed, none arrive."
    )
    if note:
        embed.description += f"\n\n{note}"
    for topic in NoticeTopic:
        state = "**on**" if choices.wants(topic) else "off"
        about = _ABOUT[topic].format(threshold=tokens(choices.low_threshold))
        embed.add_field(name=f"{_TITLES[topic]}: {state}", value=about, inline=False)
    return embed


def notify_view(choices: NotifyChoices) -> discord.ui.View:
    """A toggle per kind, and the button that sets the `low` threshold."""
    view = discord.ui.View(timeout=None)
    for topic in NoticeTopic:
        view.add_item(NotifyToggle(topic, on=choices.wants(topic)))
    view.add_item(NotifyThreshold(choices.low_threshold))
    return view


async def _redraw(interaction: discord.Interaction, choices: NotifyChoices | None) -> None:
    if choices is None:  # unlinked since the message was made
        await interaction.edit_original_response(embed=not_linked_embed(), view=None)
        return
    await interaction.edit_original_response(
        embed=notify_embed(choices), view=notify_view(choices), allowed_mentions=MENTIONS_NONE
    )


class NotifyToggle(
    OwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdn:(?P<topic>failed|low|rollover|payment)",
):
    """Switches one kind of direct message on or off for the user who pressed it."""

    def __init__(self, topic: NoticeTopic | str, *, on: bool = False) -> None:
        topic = NoticeTopic(topic)
        super().__init__(
            discord.ui.Button(
                label=f"{topic.value}: {'on' if on else 'off'}",
                style=discord.ButtonStyle.success if on else discord.ButtonStyle.secondary,
                custom_id=f"tdn:{topic.value}",
            )
        )
        self.topic = topic

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> NotifyToggle:
        return cls(match["topic"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # before the database: Discord allows 3 s
        ledger = services_of(interaction).ledger
        topic = self.topic
        chosen = await ledger.change_notify_choices(
            str(interaction.user.id), lambda choices: choices.toggled(topic)
        )
        await _redraw(interaction, chosen)


class NotifyThreshold(
    OwnerGuard, discord.ui.DynamicItem[discord.ui.Button], template=r"tdn:threshold:(?P<n>\d{1,13})"
):
    """Opens the form that sets the `low` threshold (the form is the acknowledgement)."""

    def __init__(self, threshold: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"low threshold: {tokens(threshold)}",
                style=discord.ButtonStyle.primary,
                custom_id=f"tdn:threshold:{threshold}",
            )
        )
        self.threshold = threshold

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> NotifyThreshold:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, interaction.response.send_modal(ThresholdForm(self.threshold)))


def parse_threshold(text: str) -> int | None:
    """A threshold as people type it ('2,500', '2 500'); None unless 1 to the maximum."""
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("_", "")
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 13:
        return None
    value = int(cleaned)
    return value if 1 <= value <= MAX_LOW_THRESHOLD else None


class ThresholdForm(discord.ui.Modal, title="Low balance message"):
    """Asks for the threshold; a valid one also switches `low` on."""

    amount: discord.ui.TextInput = discord.ui.TextInput(
        label="Tell me when my tokens fall below", max_length=20
    )

    def __init__(self, current: int) -> None:
        super().__init__(timeout=15 * 60)  # an abandoned form is forgotten
        self.amount.default = str(current)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        claim(interaction)  # only its opener can submit a modal: Discord sends it to them
        return True

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        threshold = parse_threshold(str(self.amount.value))
        if threshold is None:
            await refuse(
                interaction,
                "Not a threshold",
                f"Type a whole number of tokens from 1 to {tokens(MAX_LOW_THRESHOLD)}, "
                "for example 500. Nothing was changed.",
            )
            return
        await interaction.response.defer()  # before the database: Discord allows 3 s
        ledger = services_of(interaction).ledger
        chosen = await ledger.change_notify_choices(
            str(interaction.user.id), lambda choices: choices.with_threshold(threshold)
        )
        await _redraw(interaction, chosen)

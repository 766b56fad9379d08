"""The troubleshooter in Discord: each step an embed, each choice a persistent button.

A button's custom id carries the walk's encoded position (`tdf:<position>:<choice>`),
so a message keeps working after the bot restarts: the position is replayed against
the user's facts as they are now. The buttons and the picker act only for the person the
troubleshooter was opened for (`OwnerGuard`), and acknowledge before reading the ledger.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

import discord

from bot.delivery import wake_deliveries
from bot.guards import OwnerGuard, services_of, settle
from bot.outcomes import refused_text
from bot.style import BRAND, GOOD, clip, safe
from bot.words import tokens
from diagnostics.desk import Opened
from diagnostics.facts import UserFacts
from diagnostics.flow_model import Panel, StepKind
from diagnostics.position import OutcomeKind, Position
from diagnostics.user_facts import facts_for
from diagnostics.walker import PositionError, StepView, choose, parse_position, pick, view

log = logging.getLogger(__name__)

__all__ = ["FlowChoice", "RefundPick", "current_facts", "render_step"]

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def _time(moment: datetime) -> str:
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


async def current_facts(interaction: discord.Interaction) -> UserFacts:
    """The user's ledger facts now, as the flows see them."""
    services = services_of(interaction)
    user_id = str(interaction.user.id)
    open_ids = await services.desk.open_refund_generations(user_id)
    return await facts_for(services.ledger, user_id, services.desk.policy, open_ids)


def render_step(
    position: Position, facts: UserFacts, note: str | None = None
) -> tuple[discord.Embed, discord.ui.View]:
    """(embed, view) for the step `position` is at."""
    step = view(position, facts)
    done = step.kind.is_outcome
    embed = discord.Embed(title=clip(step.title, 256), colour=GOOD if done else BRAND)
    embed.description = clip(step.render(_time) + (f"\n\n{note}" if note else ""), 4096)
    for panel in step.show:
        _panel(embed, panel, facts)
    components = discord.ui.View(timeout=None)
    encoded = position.encode()
    if step.kind is StepKind.REFUND_PICKER and step.pickable:
        components.add_item(RefundPick(encoded, step))
    for choice in step.choices:
        components.add_item(FlowChoice(encoded, choice.id, choice.label, choice.style.value))
    return embed, components


def _panel(embed: discord.Embed, panel: Panel, facts: UserFacts) -> None:
    if not facts.linked:
        return
    if panel is Panel.BALANCE:
        embed.add_field(
            name="Your balance",
            value=f"daily {tokens(facts.daily)}, monthly {tokens(facts.monthly)}, "
            f"rollover {tokens(facts.rollover)}; API credits {tokens(facts.api_credits)}",
            inline=False,
        )
    elif panel is Panel.RECENT_CHARGES and facts.recent_charges:
        lines = []
        for c in facts.recent_charges[:10]:
            unit = "API credits" if c.source == "api" else "tokens"
            gid = safe(c.generation_id or "-", 60)
            when = discord.utils.format_dt(c.at, "R")
            lines.append(f"{when}: {tokens(c.amount)} {unit}, `{gid}`")
        embed.add_field(name="What consumed them", value=clip("\n".join(lines), 1024), inline=False)
    elif panel is Panel.FAILED_CHARGED and facts.failed_charged:
        lines = [
            f"`{safe(g.generation_id, 60)}`: {tokens(g.tokens)}"
            f"{'' if g.refundable else ' (not refundable now)'}"
            for g in facts.failed_charged[:10]
        ]
        embed.add_field(name="Failed but charged", value=clip("\n".join(lines), 1024), inline=False)


async def _restore(
    interaction: discord.Interaction, encoded: str
) -> tuple[Position, UserFacts] | None:
    services = services_of(interaction)
    facts = await current_facts(interaction)
    try:
        return parse_position(services.flows, encoded, facts), facts
    except PositionError:
        await interaction.edit_original_response(
            embed=discord.Embed(
                title="This troubleshooter is out of date",
                description="Things changed since it started. Run `/troubleshoot` again.",
                colour=BRAND,
            ),
            view=None,
        )
        return None


async def advance(interaction: discord.Interaction, position: Position, facts: UserFacts) -> None:
    """Show where the user got to; at a ticket or refund outcome, open the ticket(s)."""
    note = None
    outcome = position.outcome
    if outcome is not None and outcome.kind in (OutcomeKind.TICKET, OutcomeKind.REFUND):
        note = await _open_tickets(interaction, position)
    embed, components = render_step(position, facts, note)
    await interaction.edit_original_response(embed=embed, view=components)


async def _open_tickets(interaction: discord.Interaction, position: Position) -> str:
    services = services_of(interaction)
    outcome = position.outcome
    assert outcome is not None
    user_id = str(interaction.user.id)
    answers = [(qa.question, qa.answer) for qa in outcome.answers]
    results = []
    if outcome.kind is OutcomeKind.REFUND:
        for gid in outcome.generation_ids:
            results.append(await services.desk.open_refund(user_id, gid, None, answers))
    else:
        category = outcome.category.value if outcome.category else "other"
        results.append(await services.desk.open_complaint(user_id, category, None, answers))
    lines = []
    for result in results:
        if isinstance(result, Opened):
            lines.append(f"Ticket **#{result.ticket.id}** is open; the support team has it.")
            wake_deliveries(interaction.client)  # its triage message, decided as it opened
        else:
            lines.append(
                refused_text(result, max_age_days=services.desk.policy.refund_max_age_days)
            )
    return "\n".join(lines)


async def _move(
    interaction: discord.Interaction,
    encoded: str,
    step: Callable[[Position, UserFacts], Position],
) -> None:
    """Acknowledge, restore the walk from its custom id, take one step, show where it got."""
    await interaction.response.defer()  # before the ledger: Discord allows 3 s
    restored = await _restore(interaction, encoded)
    if restored is None:
        return
    position, facts = restored
    await advance(interaction, step(position, facts), facts)


class FlowChoice(
    OwnerGuard,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"tdf:(?P<pos>.+):(?P<choice>[a-z0-9_]{1,16})",
):
    """A choice at a troubleshooter step."""

    def __init__(
        self, encoded: str, choice: str, label: str = "", style: str = "secondary"
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label or choice, 80),
                style=_STYLES.get(style, discord.ButtonStyle.secondary),
                custom_id=f"tdf:{encoded}:{choice}",
            )
        )
        self.encoded = encoded
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> FlowChoice:
        return cls(match["pos"], match["choice"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        await _move(interaction, self.encoded, lambda at, facts: choose(at, self.choice, facts))


class RefundPick(
    OwnerGuard, discord.ui.DynamicItem[discord.ui.Select], template=r"tdp:(?P<pos>.+)"
):
    """Picks failed, charged generations to ask a refund for."""

    def __init__(self, encoded: str, step: StepView | None = None) -> None:
        options = [
            discord.SelectOption(
                label=clip(p.generation.generation_id, 100),
                value=p.key,
                description=f"{tokens(p.generation.tokens)} tokens",
            )
            for p in (step.pickable if step else ())
        ] or [discord.SelectOption(label="-", value="-")]
        super().__init__(
            discord.ui.Select(
                custom_id=f"tdp:{encoded}",
                placeholder="Pick the generations to refund",
                min_values=1,
                max_values=len(options),
                options=options,
            )
        )
        self.encoded = encoded

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> RefundPick:
        return cls(match["pos"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await settle(interaction, self._run(interaction))

    async def _run(self, interaction: discord.Interaction) -> None:
        picked = list((interaction.data or {}).get("values", []))
        await _move(interaction, self.encoded, lambda at, facts: pick(at, picked, facts))

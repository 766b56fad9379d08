"""Walking a user through the flows: start, choose, pick, and what each step shows.

Positions live in Discord custom ids (see :mod:`diagnostics.position`), so a
button still works after the bot restarts: :func:`parse_position` rebuilds the
answers by replaying the encoded path under the user's current facts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from diagnostics.facts import FailedGeneration, UserFacts, Value, pick_key, placeholder_values
from diagnostics.flow_model import MAX_CHOICES, Choice, FlowSet, Panel, StepKind, StepRef
from diagnostics.position import DIGITS, Answer, Outcome, Position
from diagnostics.templates import render

__all__ = [
    "Pickable",
    "PositionError",
    "StepView",
    "WalkError",
    "choose",
    "parse_position",
    "pick",
    "start",
    "view",
]

log = logging.getLogger(__name__)


class WalkError(Exception):
    """A move that the current position does not allow.

    Attributes:
        position: The encoded position.
        problem: ``unknown_flow``, ``finished``, ``unknown_choice`` or ``not_a_picker``.
        detail: The flow or choice asked for.
    """

    def __init__(self, position: str, problem: str, detail: str = "") -> None:
        super().__init__(position, problem, detail)
        self.position = position
        self.problem = problem
        self.detail = detail


class PositionError(Exception):
    """An encoded position that cannot be restored.

    Attributes:
        text: The encoded position.
        problem: ``malformed`` (not a position) or ``stale`` (the flows or the
            user's facts changed so that its path no longer leads where it did).
    """

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(text, problem)
        self.text = text
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Pickable:
    """A failed, charged generation offered by a refund picker, with its select key."""

    key: str
    generation: FailedGeneration


@dataclass(frozen=True, slots=True)
class StepView:
    """What to show for a position: text template and values, choices, pickable generations.

    ``values`` holds the raw value of every placeholder in ``text``; times stay
    ``datetime`` so the Discord layer can show them as timestamps.
    """

    ref: StepRef
    kind: StepKind
    title: str
    text: str
    values: Mapping[str, Value]
    choices: tuple[Choice, ...]
    pickable: tuple[Pickable, ...]
    show: tuple[Panel, ...]
    outcome: Outcome | None

    def render(self, format_time: Callable[[datetime], str]) -> str:
        """The step text with its placeholders filled in."""
        return render(self.text, self.values, format_time)


def _settle(flows: FlowSet, ref: StepRef, facts: UserFacts) -> StepRef:
    """Follows ``skip_to`` past steps whose condition does not hold."""
    step = flows.step(ref)
    while step.when is not None and step.skip_to is not None and not step.when.holds(facts):
        ref = step.skip_to
        step = flows.step(ref)
    return ref


def start(flow_set: FlowSet, facts: UserFacts, flow: str | None = None) -> Position:
    """Begins a walk at the entry flow, or at the start of another flow.

    Args:
        flow_set: The loaded flows.
        facts: The user's facts, deciding which steps apply.
        flow: A flow id to start in instead of the entry menu.

    Raises:
        WalkError: ``flow`` is not a flow of the set.
    """
    origin = flow_set.entry if flow is None else flow
    if origin not in flow_set.flows:
        raise WalkError("", "unknown_flow", origin)
    ref = _settle(flow_set, flow_set.start_of(origin), facts)
    return Position(flow_set, origin, ref.flow, ref.step)


def choose(position: Position, choice_id: str, facts: UserFacts) -> Position:
    """Takes a choice at the current step and moves to where it leads.

    A choice hidden by its condition is still accepted: the user saw it when
    the step was drawn, and facts may have changed since.

    Args:
        position: Where the user is.
        choice_id: The id of one of the current step's choices.
        facts: The user's facts, deciding which steps are skipped.

    Raises:
        WalkError: The walk is finished or the step has no such choice.
    """
    step = position.current
    if step.kind.is_outcome:
        raise WalkError(position.encode(), "finished", choice_id)
    found = step.choice(choice_id)
    if found is None:
        raise WalkError(position.encode(), "unknown_choice", choice_id)
    index, choice = found
    target = _settle(position.flows, choice.next, facts)
    answers = (*position.answers, Answer(position.flow, position.step, choice.id, index))
    for seen, answer in enumerate(answers):
        if StepRef(answer.flow, answer.step) == target:
            answers = answers[:seen]
            break
    return replace(position, flow=target.flow, step=target.step, answers=answers)


def pick(position: Position, picked: Iterable[str], facts: UserFacts) -> Position:
    """Picks failed, charged generations at a refund picker and moves to its refund outcome.

    Args:
        position: A position at a refund picker.
        picked: Keys from :attr:`StepView.pickable` (or generation ids).
        facts: The user's facts; only generations still refundable are kept.

    Returns:
        The refund outcome for the picked generations that are refundable, or
        the same position if none of them is.

    Raises:
        WalkError: The current step is not a refund picker.
    """
    step = position.current
    if step.kind is not StepKind.REFUND_PICKER or step.then is None:
        raise WalkError(position.encode(), "not_a_picker")
    wanted = set(picked)
    chosen = tuple(
        g.generation_id
        for g in facts.refundable
        if g.generation_id in wanted or pick_key(g.generation_id) in wanted
    )
    if not chosen:
        return position
    return replace(position, flow=step.then.flow, step=step.then.step, picked=chosen)


def view(position: Position, facts: UserFacts) -> StepView:
    """What the current step shows this user.

    Args:
        position: Where the user is.
        facts: The user's facts: they fill the placeholders, hide choices whose
            condition fails, and list the generations a refund picker offers.
    """
    step = position.current
    choices = tuple(c for c in step.choices if c.when is None or c.when.holds(facts))
    pickable: tuple[Pickable, ...] = ()
    if step.kind is StepKind.REFUND_PICKER:
        offered = facts.refundable[:MAX_CHOICES]
        pickable = tuple(Pickable(pick_key(g.generation_id), g) for g in offered)
    return StepView(
        ref=StepRef(position.flow, position.step),
        kind=step.kind,
        title=step.title,
        text=step.text,
        values=placeholder_values(facts, step.placeholders),
        choices=choices,
        pickable=pickable,
        show=step.show,
        outcome=position.outcome,
    )


def parse_position(flow_set: FlowSet, text: str, facts: UserFacts) -> Position:
    """Restores a position from :meth:`Position.encode`, replaying its path.

    Args:
        flow_set: The loaded flows.
        text: An encoded position.
        facts: The user's facts now.

    Raises:
        PositionError: ``text`` is not a position, or no longer leads where it did.
    """
    parts = text.split(":")
    if len(parts) not in (4, 5) or parts[2] not in flow_set.flows:
        raise PositionError(text, "malformed")
    path, keys = parts[3], parts[4].split(".") if len(parts) == 5 else []
    position = start(flow_set, facts, parts[2])
    try:
        for char in path:
            step = position.current
            index = DIGITS.index(char)
            if step.kind.is_outcome or index >= len(step.choices):
                raise PositionError(text, "stale")
            position = choose(position, step.choices[index].id, facts)
        if keys:
            position = pick(position, keys, facts)
    except (ValueError, WalkError) as exc:
        raise PositionError(text, "malformed" if isinstance(exc, ValueError) else "stale") from exc
    if position.encode() != text:
        raise PositionError(text, "stale")
    return position

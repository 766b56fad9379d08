"""Where a user is in the troubleshooting flows, what they answered, and how it ended.

A :class:`Position` is immutable and encodes to a short string
(``flow:step:origin:path``, one character of path per answer) that fits in a
Discord custom id; :func:`diagnostics.walker.parse_position` restores it.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from enum import StrEnum

from diagnostics.facts import pick_key
from diagnostics.flow_model import FlowSet, Step, StepRef, TicketCategory

__all__ = ["DIGITS", "QA", "Answer", "Outcome", "OutcomeKind", "Position"]

log = logging.getLogger(__name__)

DIGITS = string.digits + string.ascii_lowercase
"""One character per answer in an encoded path: the index of the choice taken."""


class OutcomeKind(StrEnum):
    """How a walk ended."""

    SOLVED = "solved"
    TICKET = "ticket"
    REFUND = "refund"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Answer:
    """A choice made at a step; ``index`` is the choice's place in the step."""

    flow: str
    step: str
    choice: str
    index: int


@dataclass(frozen=True, slots=True)
class QA:
    """A question and the answer given, as attached to a ticket."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The end of a walk: solved, a ticket (with its category), a refund, or information."""

    kind: OutcomeKind
    category: TicketCategory | None
    generation_ids: tuple[str, ...]
    answers: tuple[QA, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a user is in the flows, and how they got there.

    Attributes:
        flows: The flow set walked (not part of equality or the encoding).
        origin: The flow the walk started in.
        flow: The current flow.
        step: The current step.
        answers: Choices made so far; a step that comes round again drops
            the answers given since its first visit.
        picked: Generation ids picked for a refund.
    """

    flows: FlowSet = field(compare=False, repr=False)
    origin: str
    flow: str
    step: str
    answers: tuple[Answer, ...] = ()
    picked: tuple[str, ...] = ()

    @property
    def current(self) -> Step:
        """The step the user is at."""
        return self.flows.step(StepRef(self.flow, self.step))

    @property
    def finished(self) -> bool:
        """Whether the walk has reached an outcome."""
        return self.current.kind.is_outcome

    @property
    def transcript(self) -> tuple[QA, ...]:
        """The questions asked so far and the answers given."""
        pairs = []
        for answer in self.answers:
            step = self.flows.step(StepRef(answer.flow, answer.step))
            pairs.append(QA(step.title, step.choices[answer.index].label))
        return tuple(pairs)

    @property
    def outcome(self) -> Outcome | None:
        """How the walk ended, or ``None`` while it goes on."""
        step = self.current
        if not step.kind.is_outcome:
            return None
        return Outcome(OutcomeKind(step.kind.value), step.category, self.picked, self.transcript)

    def encode(self) -> str:
        """The position as a short string; see :func:`parse_position`.

        Positions that are not finished fit in ``MAX_POSITION_CHARS``; a finished
        refund also lists a short key per picked generation.
        """
        path = "".join(DIGITS[answer.index] for answer in self.answers)
        text = f"{self.flow}:{self.step}:{self.origin}:{path}"
        if self.picked:
            text += ":" + ".".join(pick_key(g) for g in self.picked)
        return text

    def __str__(self) -> str:
        return self.encode()

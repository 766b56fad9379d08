"""The shape of a troubleshooting flow once loaded: flows, steps, choices.

Flows are read from data files by :mod:`diagnostics.flows`, which checks them
against the rules and limits below before anything walks them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from diagnostics.facts import Condition
from ledger import TicketCategory

__all__ = [
    "ID_PATTERN",
    "MAX_CHOICES",
    "MAX_CHOICE_ID",
    "MAX_FLOW_ID",
    "MAX_LABEL",
    "MAX_PATH",
    "MAX_POSITION_CHARS",
    "MAX_STEP_ID",
    "MAX_TEXT",
    "MAX_TITLE",
    "Choice",
    "ChoiceStyle",
    "Flow",
    "FlowError",
    "FlowProblem",
    "FlowSet",
    "Panel",
    "Step",
    "StepKind",
    "StepRef",
    "TicketCategory",
]

log = logging.getLogger(__name__)

# Discord limits the flows must respect so any step can be rendered.
MAX_LABEL = 80  # button label
MAX_CHOICES = 25  # buttons in a message, options in a select
MAX_TEXT = 4000  # step text once filled in (an embed description holds 4,096)
MAX_TITLE = 256  # embed title
# Ids go into custom ids of at most 100 characters: "prefix:position:choice".
ID_PATTERN = re.compile(r"[a-z0-9_]+")
MAX_FLOW_ID = 12
MAX_STEP_ID = 20
MAX_CHOICE_ID = 16
MAX_POSITION_CHARS = 72
# A position is "flow:step:origin:path", one character of path per answer.
MAX_PATH = MAX_POSITION_CHARS - (2 * MAX_FLOW_ID + MAX_STEP_ID + 3)


class StepKind(StrEnum):
    """What a step does: ask, offer failed generations to pick, or end the flow."""

    QUESTION = "question"
    REFUND_PICKER = "refund_picker"
    SOLVED = "solved"
    TICKET = "ticket"
    REFUND = "refund"
    INFO = "info"

    @property
    def is_outcome(self) -> bool:
        """Whether a step of this kind ends the flow."""
        return self not in (StepKind.QUESTION, StepKind.REFUND_PICKER)


class ChoiceStyle(StrEnum):
    """How a choice's button looks (Discord's button styles)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


class Panel(StrEnum):
    """Account data a step asks the renderer to show beside its text."""

    BALANCE = "balance"
    RECENT_CHARGES = "recent_charges"
    FAILED_CHARGED = "failed_charged"


class FlowProblem(StrEnum):
    """What is wrong with a flow file."""

    UNREADABLE = "unreadable"
    INVALID_TOML = "invalid_toml"
    NO_FLOWS = "no_flows"
    MISSING = "missing"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_KEY = "unknown_key"
    NOT_ALLOWED = "not_allowed"
    BAD_ID = "bad_id"
    DUPLICATE_FLOW = "duplicate_flow"
    DUPLICATE_STEP = "duplicate_step"
    DUPLICATE_CHOICE = "duplicate_choice"
    TOO_LONG = "too_long"
    TOO_MANY_CHOICES = "too_many_choices"
    NO_FALLBACK_CHOICE = "no_fallback_choice"
    UNKNOWN_VALUE = "unknown_value"
    UNKNOWN_PREDICATE = "unknown_predicate"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    BAD_TEMPLATE = "bad_template"
    UNKNOWN_TARGET = "unknown_target"
    BAD_REFUND_TARGET = "bad_refund_target"
    SKIP_CYCLE = "skip_cycle"
    UNREACHABLE = "unreachable"
    DEAD_END = "dead_end"
    NO_ENTRY = "no_entry"
    SEVERAL_ENTRIES = "several_entries"
    PATH_TOO_LONG = "path_too_long"


class FlowError(Exception):
    """A flow file breaks a rule; start-up stops on it.

    Attributes:
        path: The flow file.
        step: The step at fault, or ``None`` for the file as a whole.
        problem: What is wrong.
        detail: The key, value or target involved, when there is one.
    """

    def __init__(self, path: str, step: str | None, problem: FlowProblem, detail: str = "") -> None:
        super().__init__(path, step, problem, detail)
        self.path = path
        self.step = step
        self.problem = problem
        self.detail = detail

    def __str__(self) -> str:
        where = self.path if self.step is None else f"{self.path}: step {self.step}"
        return f"{where}: {self.problem.value}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, slots=True)
class StepRef:
    """A step of a flow set."""

    flow: str
    step: str

    def __str__(self) -> str:
        return f"{self.flow}:{self.step}"


@dataclass(frozen=True, slots=True)
class Choice:
    """A button of a step; ``when`` hides it unless the condition holds."""

    id: str
    label: str
    next: StepRef
    when: Condition | None = None
    style: ChoiceStyle = ChoiceStyle.SECONDARY


@dataclass(frozen=True, slots=True)
class Step:
    """One screen of a flow.

    A step with ``when`` is shown only if the condition holds; otherwise the
    walker moves on to ``skip_to`` without asking. A refund picker moves to
    ``then`` (a refund outcome) once generations are picked. ``placeholders``
    are the names ``text`` uses.
    """

    id: str
    kind: StepKind
    title: str
    text: str
    placeholders: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    when: Condition | None = None
    skip_to: StepRef | None = None
    then: StepRef | None = None
    category: TicketCategory | None = None
    show: tuple[Panel, ...] = ()

    def choice(self, choice_id: str) -> tuple[int, Choice] | None:
        """The choice with this id and its index, if the step has it."""
        for index, choice in enumerate(self.choices):
            if choice.id == choice_id:
                return index, choice
        return None


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow file: its steps in file order, starting at ``start``."""

    id: str
    path: str
    start: str
    entry: bool
    steps: Mapping[str, Step]


@dataclass(frozen=True, slots=True)
class FlowSet:
    """Every flow, checked as a whole; ``entry`` is where ``/troubleshoot`` begins."""

    flows: Mapping[str, Flow]
    entry: str

    def step(self, ref: StepRef) -> Step:
        """The step a reference names.

        Raises:
            KeyError: No such flow or step.
        """
        return self.flows[ref.flow].steps[ref.step]

    def start_of(self, flow_id: str) -> StepRef:
        """The first step of a flow.

        Raises:
            KeyError: No such flow.
        """
        return StepRef(flow_id, self.flows[flow_id].start)

    def walk(self) -> Iterator[tuple[Flow, Step]]:
        """Every step with its flow, flows in id order and steps in file order."""
        for flow_id in sorted(self.flows):
            flow = self.flows[flow_id]
            for step in flow.steps.values():
                yield flow, step

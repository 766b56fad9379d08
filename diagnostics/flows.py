"""Troubleshooting flows as data: read and check the ``diagnostics/flows/*.toml`` files.

One file holds one flow::

    id = "tokens"            # [a-z0-9_], at most 12 characters
    entry = true             # only on the menu /troubleshoot opens with
    start = "start"          # the first step (this is the default)

    [[steps]]
    id = "daily"             # [a-z0-9_], at most 20 characters, unique in the flow
    kind = "question"        # question (default), refund_picker, solved, ticket, refund, info
    title = "..."            # at most 256 characters, no placeholders
    text = "... {total} ..." # placeholders from diagnostics.facts.PLACEHOLDERS
    when = "free_at_zero"    # optional: predicates (or "not name"), a list means all of them
    skip_to = "daily_free"   # required with `when`: where to go when it does not hold
    show = "recent_charges"  # optional: panels of account data to show beside the text
    category = "billing"     # tickets only: missing_tokens, not_refreshing, billing, other
    then = "refund"          # refund pickers only: the refund outcome once picked

    [[steps.choices]]        # questions and pickers: 1 to 25, one without `when` at least
    id = "late"              # at most 16 characters, unique in the step
    label = "..."            # at most 80 characters
    next = "ticket"          # a step of this flow, or "flow:step"
    when = "paid"            # optional: hide the choice unless this holds
    style = "primary"        # optional: primary, secondary (default), success, danger

Loading checks each file, then the whole set (see :mod:`diagnostics.flow_checks`),
and raises :class:`FlowError` naming the file and step of the first break.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

from diagnostics.facts import PLACEHOLDERS
from diagnostics.flow_checks import check_flow_set
from diagnostics.flow_fields import (
    check_keys,
    read_condition,
    read_enum,
    read_id,
    read_list,
    read_target,
    read_text,
)
from diagnostics.flow_model import (
    MAX_CHOICE_ID,
    MAX_CHOICES,
    MAX_FLOW_ID,
    MAX_LABEL,
    MAX_STEP_ID,
    MAX_TEXT,
    MAX_TITLE,
    Choice,
    ChoiceStyle,
    Flow,
    FlowError,
    FlowProblem,
    FlowSet,
    Panel,
    Step,
    StepKind,
    StepRef,
    TicketCategory,
)
from diagnostics.templates import TemplateError, placeholders_in, worst_case_length

__all__ = ["FlowError", "FlowSet", "load_default_flows", "load_flows", "parse_flow"]

log = logging.getLogger(__name__)

_FLOW_KEYS = frozenset({"id", "entry", "start", "steps"})
_STEP_KEYS = frozenset(
    {"id", "kind", "title", "text", "when", "skip_to", "choices", "then", "category", "show"}
)
_CHOICE_KEYS = frozenset({"id", "label", "next", "when", "style"})


def load_default_flows() -> FlowSet:
    """Reads the flows shipped in the ``diagnostics/flows`` package data.

    Raises:
        FlowError: A shipped flow breaks a rule.
    """
    folder = resources.files("diagnostics").joinpath("flows")
    files = [f for f in folder.iterdir() if f.name.endswith(".toml")]
    return load_flows(sorted(files, key=lambda f: f.name))


def load_flows(paths: Iterable[Path | Traversable]) -> FlowSet:
    """Reads flow files and checks them together.

    Args:
        paths: One file per flow.

    Raises:
        FlowError: A file is unreadable or breaks a rule; the error names it.
    """
    flows = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FlowError(str(path), None, FlowProblem.UNREADABLE, type(exc).__name__) from exc
        flows.append(parse_flow(text, str(path)))
    flow_set = check_flow_set(flows)
    log.info("loaded %d troubleshooting flows", len(flows))
    return flow_set


def parse_flow(text: str, path: str) -> Flow:
    """Parses one flow file and checks the rules that need no other file.

    Args:
        text: The file's TOML.
        path: Its path, named in errors.

    Raises:
        FlowError: The file breaks a rule.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FlowError(path, None, FlowProblem.INVALID_TOML, str(exc)) from exc
    check_keys(path, None, data, _FLOW_KEYS, "")
    flow_id = read_id(path, None, data, "id", MAX_FLOW_ID)
    start = read_id(path, None, {"start": "start", **data}, "start", MAX_STEP_ID)
    entry = data.get("entry", False)
    if not isinstance(entry, bool):
        raise FlowError(path, None, FlowProblem.WRONG_TYPE, "entry")
    raw_steps = read_list(path, None, data, "steps")
    steps: dict[str, Step] = {}
    for raw in raw_steps:
        step = _parse_step(path, flow_id, raw)
        if step.id in steps:
            raise FlowError(path, step.id, FlowProblem.DUPLICATE_STEP)
        steps[step.id] = step
    if start not in steps:
        raise FlowError(path, None, FlowProblem.UNKNOWN_TARGET, f"start = {start}")
    for step in steps.values():
        for ref in _refs(step):
            if ref.flow == flow_id and ref.step not in steps:
                raise FlowError(path, step.id, FlowProblem.UNKNOWN_TARGET, str(ref))
    return Flow(flow_id, path, start, entry, MappingProxyType(steps))


def _refs(step: Step) -> list[StepRef]:
    refs = [choice.next for choice in step.choices]
    return refs + [ref for ref in (step.skip_to, step.then) if ref is not None]


def _parse_step(path: str, flow_id: str, raw: object) -> Step:
    if not isinstance(raw, dict):
        raise FlowError(path, None, FlowProblem.WRONG_TYPE, "steps")
    step_id = read_id(path, None, raw, "id", MAX_STEP_ID)
    check_keys(path, step_id, raw, _STEP_KEYS, "")
    kind = read_enum(path, step_id, raw, "kind", StepKind) or StepKind.QUESTION
    title = read_text(path, step_id, raw, "title", MAX_TITLE)
    if "{" in title or "}" in title:
        raise FlowError(path, step_id, FlowProblem.BAD_TEMPLATE, "title")
    text = read_text(path, step_id, raw, "text", None)
    try:
        names = placeholders_in(text)
        longest = worst_case_length(text)
    except TemplateError as exc:
        raise FlowError(path, step_id, FlowProblem.BAD_TEMPLATE, exc.problem) from exc
    for name in names:
        if name not in PLACEHOLDERS:
            raise FlowError(path, step_id, FlowProblem.UNKNOWN_PLACEHOLDER, name)
    if longest > MAX_TEXT:
        raise FlowError(path, step_id, FlowProblem.TOO_LONG, f"text: up to {longest} chars")
    when = read_condition(path, step_id, raw.get("when"))
    skip_to = read_target(path, step_id, flow_id, raw, "skip_to")
    if (when is None) != (skip_to is None):
        key = "when" if when is None else "skip_to"
        raise FlowError(path, step_id, FlowProblem.MISSING, key)
    category = read_enum(path, step_id, raw, "category", TicketCategory)
    if category is TicketCategory.REFUND:  # refund tickets come from refund steps
        raise FlowError(path, step_id, FlowProblem.UNKNOWN_VALUE, "category = refund")
    if (kind is StepKind.TICKET) != (category is not None):
        problem = FlowProblem.MISSING if category is None else FlowProblem.NOT_ALLOWED
        raise FlowError(path, step_id, problem, "category")
    then = read_target(path, step_id, flow_id, raw, "then")
    if (kind is StepKind.REFUND_PICKER) != (then is not None):
        problem = FlowProblem.MISSING if then is None else FlowProblem.NOT_ALLOWED
        raise FlowError(path, step_id, problem, "then")
    show = [read_enum(path, step_id, {"show": s}, "show", Panel) for s in _show(raw)]
    choices = _parse_choices(path, step_id, flow_id, kind, raw)
    return Step(
        id=step_id,
        kind=kind,
        title=title,
        text=text,
        placeholders=names,
        choices=choices,
        when=when,
        skip_to=skip_to,
        then=then,
        category=category,
        show=tuple(p for p in show if p is not None),
    )


def _show(raw: Mapping[str, object]) -> list[object]:
    value = raw.get("show", [])
    return value if isinstance(value, list) else [value]


def _parse_choices(
    path: str, step_id: str, flow_id: str, kind: StepKind, raw: Mapping[str, object]
) -> tuple[Choice, ...]:
    if kind.is_outcome:
        if "choices" in raw:
            raise FlowError(path, step_id, FlowProblem.NOT_ALLOWED, "choices")
        return ()
    raw_choices = read_list(path, step_id, raw, "choices")
    if len(raw_choices) > MAX_CHOICES:
        raise FlowError(path, step_id, FlowProblem.TOO_MANY_CHOICES, str(len(raw_choices)))
    choices: list[Choice] = []
    for item in raw_choices:
        if not isinstance(item, dict):
            raise FlowError(path, step_id, FlowProblem.WRONG_TYPE, "choices")
        choice_id = read_id(path, step_id, item, "id", MAX_CHOICE_ID, where="choices.")
        where = f"choices[{choice_id}]."
        check_keys(path, step_id, item, _CHOICE_KEYS, where)
        if any(c.id == choice_id for c in choices):
            raise FlowError(path, step_id, FlowProblem.DUPLICATE_CHOICE, choice_id)
        label = read_text(path, step_id, item, "label", MAX_LABEL, where=where)
        next_ref = read_target(path, step_id, flow_id, item, "next", where=where)
        if next_ref is None:
            raise FlowError(path, step_id, FlowProblem.MISSING, f"{where}next")
        style = read_enum(path, step_id, item, "style", ChoiceStyle, where) or ChoiceStyle.SECONDARY
        when = read_condition(path, step_id, item.get("when"), where)
        choices.append(Choice(choice_id, label, next_ref, when, style))
    if all(c.when is not None for c in choices):
        raise FlowError(path, step_id, FlowProblem.NO_FALLBACK_CHOICE)
    return tuple(choices)

"""Reading the fields of a flow file, with errors that name the file and step.

Each reader takes the file path and step id only to put them in a
:class:`FlowError`; none of them knows the shape of a whole flow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from diagnostics.facts import PREDICATES, Condition
from diagnostics.flow_model import (
    ID_PATTERN,
    MAX_FLOW_ID,
    MAX_STEP_ID,
    FlowError,
    FlowProblem,
    StepRef,
)

__all__ = [
    "check_keys",
    "is_id",
    "read_condition",
    "read_enum",
    "read_id",
    "read_list",
    "read_target",
    "read_text",
]

log = logging.getLogger(__name__)

E = TypeVar("E", bound=StrEnum)


def read_condition(path: str, step_id: str, raw: object, where: str = "") -> Condition | None:
    if raw is None:
        return None
    specs = raw if isinstance(raw, list) else [raw]
    if not specs or not all(isinstance(s, str) for s in specs):
        raise FlowError(path, step_id, FlowProblem.WRONG_TYPE, f"{where}when")
    terms = []
    for spec in specs:
        words = str(spec).split()
        negated = len(words) == 2 and words[0] == "not"
        name = words[-1] if words else ""
        if len(words) != (2 if negated else 1) or name not in PREDICATES:
            raise FlowError(path, step_id, FlowProblem.UNKNOWN_PREDICATE, str(spec))
        terms.append((name, not negated))
    return Condition(tuple(terms))


def read_target(
    path: str, step_id: str, flow_id: str, raw: Mapping[str, object], key: str, where: str = ""
) -> StepRef | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FlowError(path, step_id, FlowProblem.WRONG_TYPE, f"{where}{key}")
    flow, _, step = value.rpartition(":")
    ref = StepRef(flow or flow_id, step)
    if not (is_id(ref.flow, MAX_FLOW_ID) and is_id(ref.step, MAX_STEP_ID)):
        raise FlowError(path, step_id, FlowProblem.UNKNOWN_TARGET, value)
    return ref


def is_id(value: str, longest: int) -> bool:
    return len(value) <= longest and ID_PATTERN.fullmatch(value) is not None


def read_id(
    path: str,
    step_id: str | None,
    raw: Mapping[str, object],
    key: str,
    longest: int,
    where: str = "",
) -> str:
    value = raw.get(key)
    if value is None:
        raise FlowError(path, step_id, FlowProblem.MISSING, f"{where}{key}")
    if not isinstance(value, str) or not is_id(value, longest):
        raise FlowError(path, step_id, FlowProblem.BAD_ID, f"{where}{key} = {value!r}")
    return value


def read_text(
    path: str,
    step_id: str,
    raw: Mapping[str, object],
    key: str,
    longest: int | None,
    where: str = "",
) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FlowError(path, step_id, FlowProblem.MISSING, f"{where}{key}")
    if not isinstance(value, str):
        raise FlowError(path, step_id, FlowProblem.WRONG_TYPE, f"{where}{key}")
    if longest is not None and len(value) > longest:
        raise FlowError(path, step_id, FlowProblem.TOO_LONG, f"{where}{key}: {len(value)} chars")
    return value.strip()


def read_enum(
    path: str,
    step_id: str,
    raw: Mapping[str, object],
    key: str,
    kind: type[E],
    where: str = "",
) -> E | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise FlowError(
            path, step_id, FlowProblem.UNKNOWN_VALUE, f"{where}{key} = {value!r}"
        ) from None


def read_list(path: str, step_id: str | None, raw: Mapping[str, object], key: str) -> list[object]:
    value = raw.get(key)
    if value is None or value == []:
        raise FlowError(path, step_id, FlowProblem.MISSING, key)
    if not isinstance(value, list):
        raise FlowError(path, step_id, FlowProblem.WRONG_TYPE, key)
    return value


def check_keys(
    path: str, step_id: str | None, raw: Mapping[str, object], known: frozenset[str], where: str
) -> None:
    for key in raw:
        if key not in known:
            raise FlowError(path, step_id, FlowProblem.UNKNOWN_KEY, f"{where}{key}")

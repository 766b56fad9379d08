"""Discord's command-sync rules that its OpenAPI document does not express.

The schema bounds lengths and counts, but Discord also rejects (50035 Invalid Form Body)
chat-input names that are not lowercase ``^[-_'\\p{L}\\p{N}]{1,32}$``, duplicate names,
required options after optional ones, choices combined with autocomplete, and more.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from bot.emulator.schema import FieldError

log = logging.getLogger(__name__)

_NAME = re.compile(r"[-_'\w]{1,32}")
_CHAT_INPUT = 1
_CONTAINERS = (1, 2)  # subcommand, subcommand group
_VALUE_TYPES_WITH_CHOICES = (3, 4, 10)

Path = tuple[str | int, ...]

MIXED = "Sub-command and sub-command group option types are mutually exclusive to all other types"
DUPLICATE_OPTION = "Application command option names must be unique"
REQUIRED_ORDER = "Required options must be placed before non-required options"
AUTOCOMPLETE_CHOICES = "Autocomplete cannot be set with choices"
CHOICES_TYPE = "Choices are only allowed on string, integer and number options"


def command_errors(definitions: Sequence[Any]) -> list[FieldError]:
    """Return Discord's objections to a bulk-overwrite command list (empty when fine)."""
    errors: list[FieldError] = []
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(definitions):
        kind = command.get("type") or _CHAT_INPUT
        key = (command["name"], kind)
        if key in seen:
            errors.append(FieldError((index, "name"), "Application command names must be unique"))
        seen.add(key)
        if kind == _CHAT_INPUT:
            errors.extend(_named((index,), command))
            errors.extend(_options((index, "options"), command.get("options") or [], depth=0))
    return errors


def _named(path: Path, item: dict[str, Any]) -> list[FieldError]:
    errors = []
    name = item["name"]
    if not _NAME.fullmatch(name) or name != name.lower():
        errors.append(FieldError((*path, "name"), "Command name is invalid"))
    description = item.get("description") or ""
    if not 1 <= len(description) <= 100:
        errors.append(FieldError((*path, "description"), "Must be between 1 and 100 in length."))
    return errors


def _options(path: Path, options: Sequence[dict[str, Any]], *, depth: int) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    optional_seen = False
    containers = [o["type"] in _CONTAINERS for o in options]
    if any(containers) and not all(containers):
        errors.append(FieldError(path, MIXED))
    for index, option in enumerate(options):
        here = (*path, index)
        errors.extend(_named(here, option))
        if option["name"] in names:
            errors.append(FieldError((*here, "name"), DUPLICATE_OPTION))
        names.add(option["name"])
        kind = option["type"]
        if kind in _CONTAINERS:
            if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
                errors.append(
                    FieldError((*here, "type"), "Sub-commands cannot be nested this deep")
                )
            errors.extend(
                _options((*here, "options"), option.get("options") or [], depth=depth + 1)
            )
            continue
        if option.get("required"):
            if optional_seen:
                errors.append(FieldError((*here, "required"), REQUIRED_ORDER))
        else:
            optional_seen = True
        if option.get("choices") and option.get("autocomplete"):
            errors.append(FieldError((*here, "autocomplete"), AUTOCOMPLETE_CHOICES))
        if option.get("choices") and kind not in _VALUE_TYPES_WITH_CHOICES:
            errors.append(FieldError((*here, "choices"), CHOICES_TYPE))
        low, high = option.get("min_value"), option.get("max_value")
        if low is not None and high is not None and low > high:
            errors.append(FieldError((*here, "min_value"), "min_value must not exceed max_value"))
    return errors

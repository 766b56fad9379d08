"""Step text templates: the ``{placeholder}`` names they use, and filling them in.

Templates use ``str.format`` syntax restricted to bare names: no attribute
access, indexing, conversions or format specs; ``{{`` and ``}}`` are literal
braces. Times are formatted by the caller, so the Discord layer can show them
as timestamps.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from string import Formatter

from diagnostics.facts import Value

__all__ = ["MAX_VALUE_CHARS", "TemplateError", "placeholders_in", "render", "worst_case_length"]

log = logging.getLogger(__name__)

MAX_VALUE_CHARS = 64
"""Room allowed for one filled-in value when checking a template against Discord's limits."""

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class TemplateError(ValueError):
    """A template is malformed.

    Attributes:
        problem: ``unbalanced_braces``, ``bad_placeholder`` or ``format_spec``.
        fragment: The offending part of the template, when known.
    """

    def __init__(self, problem: str, fragment: str = "") -> None:
        super().__init__(problem, fragment)
        self.problem = problem
        self.fragment = fragment


def _parse(template: str) -> list[tuple[str, str | None]]:
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError("unbalanced_braces") from exc
    parsed: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parts:
        if name is not None and not _NAME.fullmatch(name):
            raise TemplateError("bad_placeholder", name)
        if spec or conversion:
            raise TemplateError("format_spec", name or "")
        parsed.append((literal, name))
    return parsed


def placeholders_in(template: str) -> tuple[str, ...]:
    """The placeholder names a template uses, in order of first use.

    Raises:
        TemplateError: The template is malformed.
    """
    names = (name for _, name in _parse(template) if name is not None)
    return tuple(dict.fromkeys(names))


def worst_case_length(template: str) -> int:
    """How long the template can get once filled in, allowing MAX_VALUE_CHARS per value.

    Raises:
        TemplateError: The template is malformed.
    """
    parsed = _parse(template)
    return sum(len(literal) + (MAX_VALUE_CHARS if name else 0) for literal, name in parsed)


def _group_digits(number: int) -> str:
    return f"{number:,}"


def render(
    template: str,
    values: Mapping[str, Value],
    format_time: Callable[[datetime], str],
    format_number: Callable[[int], str] = _group_digits,
    missing: str = "-",
) -> str:
    """Fills a template in.

    Args:
        template: The text, with ``{name}`` placeholders.
        values: A value for every placeholder the template uses.
        format_time: Turns a time into text (e.g. a Discord timestamp).
        format_number: Turns an integer into text; digits are grouped by default.
        missing: Shown for a value that is ``None`` (no next renewal on a free plan).

    Raises:
        TemplateError: The template is malformed.
        KeyError: ``values`` lacks a placeholder the template uses.
    """
    out: list[str] = []
    for literal, name in _parse(template):
        out.append(literal)
        if name is None:
            continue
        value = values[name]
        if value is None:
            out.append(missing)
        elif isinstance(value, datetime):
            out.append(format_time(value))
        elif isinstance(value, int):
            out.append(format_number(value))
        else:
            out.append(value)
    return "".join(out)

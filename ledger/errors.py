"""The ledger's one exception tree.

Business outcomes (a refused charge, a refund that is not due, a rejected event) are
return values. These exceptions mean the ledger could not do what was asked at all.
"""

from __future__ import annotations

__all__ = ["CatalogueError", "Conflict", "DatabaseUnavailable", "LedgerError", "PricingError"]


class LedgerError(Exception):
    """Base of every exception the ledger raises on purpose."""


class DatabaseUnavailable(LedgerError):
    """The database cannot be reached, opened or upgraded.

    Attributes:
        url: the database URL, without its password.
        cause: what went wrong, in the driver's or our words.
    """

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"{url}: {cause}")
        self.url = url
        self.cause = cause


class Conflict(LedgerError):
    """A write broke a key or a check the database keeps: another writer got there first.

    Attributes:
        cause: the driver's message, naming the constraint.
    """

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class CatalogueError(LedgerError, ValueError):
    """The plan file is malformed.

    Attributes:
        path: the file that was read.
        problem: what is wrong, naming the entry.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class PricingError(LedgerError):
    """The pricing table cannot be used.

    Attributes:
        source: The file (or other origin) of the table.
        entry: Where in the table, e.g. ``models[phoenix].base`` or ``limits``.
        problem: A short code such as ``missing``, ``negative`` or ``duplicate_id``.
        value: The offending value, when there is one.
    """

    def __init__(self, source: str, entry: str, problem: str, value: object = None) -> None:
        self.source = source
        self.entry = entry
        self.problem = problem
        self.value = value
        super().__init__(source, entry, problem, value)

    def __str__(self) -> str:
        shown = "" if self.value is None else f" ({self.value!r})"
        return f"{self.source}: {self.entry}: {self.problem}{shown}"

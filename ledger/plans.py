"""The plan catalogue, read from an operator-editable TOML file."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ledger.errors import CatalogueError

log = logging.getLogger(__name__)

__all__ = ["FREE", "Catalogue", "CatalogueError", "Plan", "load_catalogue"]

FREE = "free"


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan of the catalogue."""

    id: str
    name: str
    rank: int
    monthly: int
    rollover_cap: int
    relaxed: bool
    price_cents: int

    @property
    def paid(self) -> bool:
        return self.id != FREE


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All plans, and the daily allowance that free accounts get and paid ones are topped up to."""

    plans: dict[str, Plan]
    daily_allowance: int

    def __getitem__(self, plan_id: str) -> Plan:
        return self.plans[plan_id]

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self.plans

    def ordered(self) -> list[Plan]:
        """Plans from the lowest rank to the highest."""
        return sorted(self.plans.values(), key=lambda plan: plan.rank)


_FIELDS = {
    "name": str,
    "rank": int,
    "monthly": int,
    "rollover_cap": int,
    "relaxed": bool,
    "price_cents": int,
}


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read the plan catalogue: `path`, or the `plans.toml` shipped with the ledger.

    Raises:
        CatalogueError: a field is missing or of the wrong type, or there is no `free` plan.
    """
    if path is None:
        text = resources.files("ledger").joinpath("plans.toml").read_text("utf-8")
        where = "ledger/plans.toml"
    else:
        text, where = path.read_text("utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(where, f"not valid TOML: {exc}") from exc
    daily = raw.get("daily", {}).get("allowance")
    if type(daily) is not int or daily <= 0:
        raise CatalogueError(where, "[daily] allowance must be a positive integer")
    plans: dict[str, Plan] = {}
    for plan_id, entry in raw.get("plans", {}).items():
        for field, kind in _FIELDS.items():
            if type(entry.get(field)) is not kind:
                raise CatalogueError(where, f"plan {plan_id!r}: {field} must be {kind.__name__}")
        if entry["monthly"] < 0 or entry["rollover_cap"] < 0:
            raise CatalogueError(where, f"plan {plan_id!r}: amounts must not be negative")
        plans[plan_id] = Plan(id=plan_id, **{field: entry[field] for field in _FIELDS})
    if FREE not in plans or plans[FREE].monthly != 0:
        raise CatalogueError(where, "a 'free' plan with monthly = 0 is required")
    return Catalogue(plans=plans, daily_allowance=daily)

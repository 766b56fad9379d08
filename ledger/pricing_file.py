"""Reading the pricing table from its TOML file, checking every entry.

A broken table raises `PricingError` naming the file, the entry and the problem.
"""

from __future__ import annotations

import logging
import re
import tomllib
from importlib import resources
from pathlib import Path

from ledger.pricing import (
    MAX_MODEL_ID,
    MAX_MODEL_NAME,
    Feature,
    Limits,
    PricedModel,
    PricingError,
    PricingTable,
)

__all__ = ["load_default_pricing", "load_pricing"]

log = logging.getLogger(__name__)

_MODEL_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_LIMIT_KEYS = ("min_side", "max_side", "multiple_of", "max_pixels", "max_count")
_MODEL_KEYS = frozenset({"id", "name", "base", "per_megapixel", "alchemy", "photoreal"})
_FEATURE_KEYS = frozenset({"supported", "surcharge", "per_megapixel"})


def load_default_pricing() -> PricingTable:
    """Reads the pricing table shipped with the ``ledger`` package.

    Raises:
        PricingError: The shipped table is broken.
    """
    shipped = resources.files("ledger").joinpath("pricing.toml")
    return _parse(shipped.read_text(encoding="utf-8"), source=str(shipped))


def load_pricing(path: Path) -> PricingTable:
    """Reads and validates a pricing table file.

    Args:
        path: The TOML file.

    Raises:
        PricingError: The file is unreadable, not TOML, or breaks a table rule.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PricingError(str(path), "file", "unreadable", type(exc).__name__) from exc
    return _parse(text, source=str(path))


def _parse(text: str, source: str) -> PricingTable:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PricingError(source, "file", "invalid_toml", str(exc)) from exc
    table = _Section(source, "", data).only(frozenset({"limits", "models"}))
    limits = table.section("limits", frozenset(_LIMIT_KEYS))
    values = {key: limits.integer(key, minimum=1) for key in _LIMIT_KEYS}
    entries = data.get("models")
    if not isinstance(entries, list) or not entries:
        raise PricingError(source, "models", "missing" if entries is None else "no_models")
    priced: list[PricedModel] = []
    for index, entry in enumerate(entries):
        model = _parse_model(source, index, entry)
        if any(model.id == other.id for other in priced):
            raise PricingError(source, f"models[{model.id}].id", "duplicate_id", model.id)
        priced.append(model)
    log.debug("pricing table %s: %d models", source, len(priced))
    return PricingTable(
        source=source, limits=_check_limits(source, Limits(**values)), priced=tuple(priced)
    )


def _check_limits(source: str, limits: Limits) -> Limits:
    if limits.max_side < limits.min_side:
        raise PricingError(source, "limits.max_side", "below_min_side", limits.max_side)
    if limits.max_pixels < limits.min_side * limits.min_side:
        raise PricingError(source, "limits.max_pixels", "below_smallest_image", limits.max_pixels)
    return limits


def _parse_model(source: str, index: int, entry: object) -> PricedModel:
    data = _Section(source, f"models[{index}]", entry)
    model_id = data.data.get("id")
    if not isinstance(model_id, str) or not _MODEL_ID.fullmatch(model_id[: MAX_MODEL_ID + 1]):
        problem = "missing" if model_id is None else "bad_id"
        raise PricingError(source, f"{data.where}.id", problem, model_id)
    data.where = f"models[{model_id}]"
    data.only(_MODEL_KEYS)
    name = data.data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_MODEL_NAME:
        problem = "missing" if name is None else "bad_name"
        raise PricingError(source, f"{data.where}.name", problem, name)
    base, per_megapixel = data.integer("base", 0), data.integer("per_megapixel", 0)
    if base == 0 and per_megapixel == 0:
        raise PricingError(source, data.where, "free_model")
    return PricedModel(
        id=model_id,
        name=name.strip(),
        base=base,
        per_megapixel=per_megapixel,
        alchemy=_parse_feature(data, "alchemy"),
        photoreal=_parse_feature(data, "photoreal"),
    )


def _parse_feature(model: _Section, key: str) -> Feature | None:
    if key not in model.data:
        return None
    data = model.section(key, _FEATURE_KEYS)
    supported = data.data.get("supported")
    if not isinstance(supported, bool):
        problem = "missing" if supported is None else "not_a_bool"
        raise PricingError(data.source, f"{data.where}.supported", problem, supported)
    if not supported:
        return None
    return Feature(
        data.integer("surcharge", 0, default=0), data.integer("per_megapixel", 0, default=0)
    )


class _Section:
    """A table of the TOML file, read with errors that name where it sits."""

    def __init__(self, source: str, where: str, data: object) -> None:
        if not isinstance(data, dict):
            raise PricingError(source, where, "missing" if data is None else "not_a_table")
        self.source, self.where, self.data = source, where, data

    def only(self, known: frozenset[str]) -> _Section:
        for key in self.data:
            if key not in known:
                raise PricingError(self.source, self._at(key), "unknown_key")
        return self

    def section(self, key: str, known: frozenset[str]) -> _Section:
        return _Section(self.source, self._at(key), self.data.get(key)).only(known)

    def integer(self, key: str, minimum: int, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if value is None:
            raise PricingError(self.source, self._at(key), "missing")
        if not isinstance(value, int) or isinstance(value, bool):
            raise PricingError(self.source, self._at(key), "not_an_integer", value)
        if value < minimum:
            problem = "negative" if value < 0 else "below_minimum"
            raise PricingError(self.source, self._at(key), problem, value)
        return value

    def _at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

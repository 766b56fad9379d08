"""Token prices of image generation settings, from an operator-editable table.

The table ships as ``ledger/pricing.toml``; :func:`load_default_pricing` reads
it and :meth:`PricingTable.quote` answers what ``/cost`` asks. Prices are whole
tokens, rounded up part by part, so a quote is deterministic and never zero.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = [
    "Feature",
    "Limits",
    "PricedModel",
    "PricingError",
    "PricingTable",
    "Problem",
    "Quote",
    "QuoteLine",
    "QuotePart",
    "Refusal",
    "RefusalField",
    "load_default_pricing",
    "load_pricing",
]

log = logging.getLogger(__name__)

PIXELS_PER_MEGAPIXEL = 1_000_000
MAX_MODEL_ID = 32
MAX_MODEL_NAME = 100  # a Discord autocomplete choice name
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 autocomplete choices
_MODEL_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_LIMIT_KEYS = ("min_side", "max_side", "multiple_of", "max_pixels", "max_count")
_MODEL_KEYS = frozenset({"id", "name", "base", "per_megapixel", "alchemy", "photoreal"})
_FEATURE_KEYS = frozenset({"supported", "surcharge", "per_megapixel"})


class PricingError(Exception):
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


QuotePart = Literal["base", "resolution", "alchemy", "photoreal"]
"""One line of a quote's breakdown."""

RefusalField = Literal["model", "width", "height", "size", "count", "alchemy", "photoreal"]
"""The input a refusal is about; ``size`` is width and height together."""

Problem = Literal["unknown", "too_small", "too_large", "not_multiple", "unsupported"]
"""Why an input cannot be priced."""


@dataclass(frozen=True)
class Feature:
    """The extra price of an optional feature (Alchemy, PhotoReal) on one model."""

    surcharge: int
    per_megapixel: int

    def tokens(self, pixels: int) -> int:
        """Extra tokens per image of ``pixels`` pixels."""
        return self.surcharge + _megapixel_tokens(self.per_megapixel, pixels)


@dataclass(frozen=True)
class PricedModel:
    """A model as priced by the table; a feature of ``None`` is not supported."""

    id: str
    name: str
    base: int
    per_megapixel: int
    alchemy: Feature | None
    photoreal: Feature | None


@dataclass(frozen=True)
class Limits:
    """Settings every request must respect, whatever the model."""

    min_side: int
    max_side: int
    multiple_of: int
    max_pixels: int
    max_count: int


@dataclass(frozen=True)
class QuoteLine:
    """Tokens one part adds to the price of each image."""

    part: QuotePart
    tokens: int


@dataclass(frozen=True)
class Quote:
    """The price of a valid request; ``breakdown`` adds up to ``per_image``."""

    model: PricedModel
    width: int
    height: int
    count: int
    alchemy: bool
    photoreal: bool
    per_image: int
    total: int
    breakdown: tuple[QuoteLine, ...]


@dataclass(frozen=True)
class Refusal:
    """A request that cannot be priced: which input, why, and the bound it broke."""

    field: RefusalField
    problem: Problem
    value: int | str | bool
    limit: int | None = None


@dataclass(frozen=True)
class PricingTable:
    """A validated pricing table."""

    source: str
    limits: Limits
    priced: tuple[PricedModel, ...]

    def model(self, name: str) -> PricedModel | None:
        """Finds a model by id or display name, ignoring case and outer spaces.

        Args:
            name: What the user typed or picked.

        Returns:
            The model, or ``None`` when the table has no such model.
        """
        wanted = name.strip().casefold()
        for model in self.priced:
            if wanted in (model.id, model.name.casefold()):
                return model
        return None

    def models(self, query: str = "", limit: int = AUTOCOMPLETE_LIMIT) -> tuple[PricedModel, ...]:
        """Models matching a partial query, for autocomplete.

        Models whose id or name starts with the query come first, then those
        that merely contain it; each group keeps the table's order.

        Args:
            query: Text typed so far; empty lists every model.
            limit: At most this many models are returned.

        Returns:
            The matching models.
        """
        wanted = query.strip().casefold()
        keys = [(m, (m.id, m.name.casefold())) for m in self.priced]
        starts = [m for m, names in keys if any(n.startswith(wanted) for n in names)]
        contains = [m for m, names in keys if m not in starts and any(wanted in n for n in names)]
        return tuple((starts + contains)[: max(limit, 0)])

    def quote(
        self,
        model: str,
        width: int,
        height: int,
        count: int = 1,
        alchemy: bool = False,
        photoreal: bool = False,
    ) -> Quote | Refusal:
        """Prices a generation request.

        Args:
            model: A model id or display name.
            width: Image width in pixels.
            height: Image height in pixels.
            count: Number of images.
            alchemy: Whether Alchemy is on.
            photoreal: Whether PhotoReal is on.

        Returns:
            A :class:`Quote`, or a :class:`Refusal` naming the first input that
            cannot be priced (checked in the order of the arguments).
        """
        priced = self.model(model)
        if priced is None:
            return Refusal("model", "unknown", model)
        refusal = self._check_sides(width, height) or _check_count(count, self.limits.max_count)
        if refusal is not None:
            return refusal
        if alchemy and priced.alchemy is None:
            return Refusal("alchemy", "unsupported", alchemy)
        if photoreal and priced.photoreal is None:
            return Refusal("photoreal", "unsupported", photoreal)
        pixels = width * height
        lines = []
        if priced.base:
            lines.append(QuoteLine("base", priced.base))
        lines.append(QuoteLine("resolution", _megapixel_tokens(priced.per_megapixel, pixels)))
        if alchemy and priced.alchemy is not None:
            lines.append(QuoteLine("alchemy", priced.alchemy.tokens(pixels)))
        if photoreal and priced.photoreal is not None:
            lines.append(QuoteLine("photoreal", priced.photoreal.tokens(pixels)))
        per_image = sum(line.tokens for line in lines)
        return Quote(
            model=priced,
            width=width,
            height=height,
            count=count,
            alchemy=alchemy,
            photoreal=photoreal,
            per_image=per_image,
            total=per_image * count,
            breakdown=tuple(lines),
        )

    def _check_sides(self, width: int, height: int) -> Refusal | None:
        limits = self.limits
        sides: tuple[tuple[RefusalField, int], ...] = (("width", width), ("height", height))
        for field, side in sides:
            if side < limits.min_side:
                return Refusal(field, "too_small", side, limits.min_side)
            if side > limits.max_side:
                return Refusal(field, "too_large", side, limits.max_side)
            if side % limits.multiple_of:
                return Refusal(field, "not_multiple", side, limits.multiple_of)
        if width * height > limits.max_pixels:
            return Refusal("size", "too_large", width * height, limits.max_pixels)
        return None


def _check_count(count: int, max_count: int) -> Refusal | None:
    if count < 1:
        return Refusal("count", "too_small", count, 1)
    if count > max_count:
        return Refusal("count", "too_large", count, max_count)
    return None


def _megapixel_tokens(per_megapixel: int, pixels: int) -> int:
    """``per_megapixel * pixels / 1e6`` rounded up, in integer arithmetic."""
    return -(-per_megapixel * pixels // PIXELS_PER_MEGAPIXEL)


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

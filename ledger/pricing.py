"""Token prices of image generation settings, from an operator-editable table.

The table ships as ``ledger/pricing.toml``; :func:`load_default_pricing` reads
it and :meth:`PricingTable.quote` answers what ``/cost`` asks. Prices are whole
tokens, rounded up part by part, so a quote is deterministic and never zero.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

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
    "parse_pricing",
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


class QuotePart(StrEnum):
    """One line of a quote's breakdown."""

    BASE = "base"
    RESOLUTION = "resolution"
    ALCHEMY = "alchemy"
    PHOTOREAL = "photoreal"


class RefusalField(StrEnum):
    """The input a refusal is about (``size`` is width and height together)."""

    MODEL = "model"
    WIDTH = "width"
    HEIGHT = "height"
    SIZE = "size"
    COUNT = "count"
    ALCHEMY = "alchemy"
    PHOTOREAL = "photoreal"


class Problem(StrEnum):
    """Why an input cannot be priced."""

    UNKNOWN = "unknown"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    NOT_MULTIPLE = "not_multiple"
    UNSUPPORTED = "unsupported"


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
            return Refusal(RefusalField.MODEL, Problem.UNKNOWN, model)
        refusal = self._check_sides(width, height) or _check_count(count, self.limits.max_count)
        if refusal is not None:
            return refusal
        if alchemy and priced.alchemy is None:
            return Refusal(RefusalField.ALCHEMY, Problem.UNSUPPORTED, alchemy)
        if photoreal and priced.photoreal is None:
            return Refusal(RefusalField.PHOTOREAL, Problem.UNSUPPORTED, photoreal)
        pixels = width * height
        lines = []
        if priced.base:
            lines.append(QuoteLine(QuotePart.BASE, priced.base))
        lines.append(
            QuoteLine(QuotePart.RESOLUTION, _megapixel_tokens(priced.per_megapixel, pixels))
        )
        if alchemy and priced.alchemy is not None:
            lines.append(QuoteLine(QuotePart.ALCHEMY, priced.alchemy.tokens(pixels)))
        if photoreal and priced.photoreal is not None:
            lines.append(QuoteLine(QuotePart.PHOTOREAL, priced.photoreal.tokens(pixels)))
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
        for field, side in ((RefusalField.WIDTH, width), (RefusalField.HEIGHT, height)):
            if side < limits.min_side:
                return Refusal(field, Problem.TOO_SMALL, side, limits.min_side)
            if side > limits.max_side:
                return Refusal(field, Problem.TOO_LARGE, side, limits.max_side)
            if side % limits.multiple_of:
                return Refusal(field, Problem.NOT_MULTIPLE, side, limits.multiple_of)
        if width * height > limits.max_pixels:
            return Refusal(RefusalField.SIZE, Problem.TOO_LARGE, width * height, limits.max_pixels)
        return None


def _check_count(count: int, max_count: int) -> Refusal | None:
    if count < 1:
        return Refusal(RefusalField.COUNT, Problem.TOO_SMALL, count, 1)
    if count > max_count:
        return Refusal(RefusalField.COUNT, Problem.TOO_LARGE, count, max_count)
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
    return parse_pricing(shipped.read_text(encoding="utf-8"), source=str(shipped))


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
    return parse_pricing(text, source=str(path))


def parse_pricing(text: str, source: str) -> PricingTable:
    """Validates a pricing table given as TOML text.

    Args:
        text: The table.
        source: Where it came from, named in errors.

    Raises:
        PricingError: The text is not TOML or breaks a table rule.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PricingError(source, "file", "invalid_toml", str(exc)) from exc
    _reject_unknown(source, "", data, frozenset({"limits", "models"}))
    limits = _parse_limits(source, _table(source, "limits", data.get("limits")))
    entries = data.get("models")
    if not isinstance(entries, list) or not entries:
        raise PricingError(source, "models", "missing" if entries is None else "no_models")
    priced: list[PricedModel] = []
    for index, entry in enumerate(entries):
        model = _parse_model(source, index, entry)
        if any(model.id == other.id for other in priced):
            raise PricingError(source, f"models[{model.id}].id", "duplicate_id", model.id)
        priced.append(model)
    table = PricingTable(source=source, limits=limits, priced=tuple(priced))
    log.debug("pricing table %s: %d models", source, len(priced))
    return table


def _parse_limits(source: str, data: Mapping[str, object]) -> Limits:
    _reject_unknown(source, "limits", data, frozenset(_LIMIT_KEYS))
    values = {key: _int(source, f"limits.{key}", data.get(key), minimum=1) for key in _LIMIT_KEYS}
    limits = Limits(**values)
    if limits.max_side < limits.min_side:
        raise PricingError(source, "limits.max_side", "below_min_side", limits.max_side)
    if limits.max_pixels < limits.min_side * limits.min_side:
        raise PricingError(source, "limits.max_pixels", "below_smallest_image", limits.max_pixels)
    return limits


def _parse_model(source: str, index: int, entry: object) -> PricedModel:
    where = f"models[{index}]"
    data = _table(source, where, entry)
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not raw_id:
        raise PricingError(source, f"{where}.id", "missing" if raw_id is None else "wrong_type")
    if len(raw_id) > MAX_MODEL_ID or not _MODEL_ID.fullmatch(raw_id):
        raise PricingError(source, f"{where}.id", "bad_id", raw_id)
    where = f"models[{raw_id}]"
    _reject_unknown(source, where, data, _MODEL_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PricingError(source, f"{where}.name", "missing" if name is None else "wrong_type")
    if len(name) > MAX_MODEL_NAME:
        raise PricingError(source, f"{where}.name", "too_long", len(name))
    base = _int(source, f"{where}.base", data.get("base"), minimum=0)
    per_megapixel = _int(source, f"{where}.per_megapixel", data.get("per_megapixel"), minimum=0)
    if base == 0 and per_megapixel == 0:
        raise PricingError(source, where, "free_model")
    return PricedModel(
        id=raw_id,
        name=name.strip(),
        base=base,
        per_megapixel=per_megapixel,
        alchemy=_parse_feature(source, f"{where}.alchemy", data.get("alchemy")),
        photoreal=_parse_feature(source, f"{where}.photoreal", data.get("photoreal")),
    )


def _parse_feature(source: str, where: str, entry: object) -> Feature | None:
    if entry is None:
        return None
    data = _table(source, where, entry)
    _reject_unknown(source, where, data, _FEATURE_KEYS)
    supported = data.get("supported")
    if not isinstance(supported, bool):
        problem = "missing" if supported is None else "wrong_type"
        raise PricingError(source, f"{where}.supported", problem, supported)
    if not supported:
        return None
    return Feature(
        surcharge=_int(source, f"{where}.surcharge", data.get("surcharge", 0), minimum=0),
        per_megapixel=_int(
            source, f"{where}.per_megapixel", data.get("per_megapixel", 0), minimum=0
        ),
    )


def _table(source: str, where: str, value: object) -> Mapping[str, object]:
    if value is None:
        raise PricingError(source, where, "missing")
    if not isinstance(value, dict):
        raise PricingError(source, where, "wrong_type", type(value).__name__)
    return value


def _int(source: str, where: str, value: object, minimum: int) -> int:
    if value is None:
        raise PricingError(source, where, "missing")
    if not isinstance(value, int) or isinstance(value, bool):
        raise PricingError(source, where, "not_an_integer", value)
    if value < minimum:
        raise PricingError(source, where, "negative" if value < 0 else "below_minimum", value)
    return value


def _reject_unknown(
    source: str, where: str, data: Mapping[str, object], known: frozenset[str]
) -> None:
    for key in data:
        if key not in known:
            raise PricingError(source, f"{where}.{key}" if where else key, "unknown_key")

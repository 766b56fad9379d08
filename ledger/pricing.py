"""Token prices of image generation settings, from an operator-editable table.

The table ships as ``ledger/pricing.toml``; :func:`load_default_pricing` reads
it and :meth:`PricingTable.quote` answers what ``/cost`` asks. Prices are whole
tokens, rounded up part by part, so a quote is deterministic and never zero.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from ledger.errors import PricingError

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
]

log = logging.getLogger(__name__)

PIXELS_PER_MEGAPIXEL = 1_000_000
MAX_MODEL_ID = 32
MAX_MODEL_NAME = 100  # a Discord autocomplete choice name
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 autocomplete choices


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

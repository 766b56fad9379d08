"""The /cost pricing table: quotes, refusals, and a table operators can break."""

from __future__ import annotations

from fractions import Fraction
from math import ceil
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.pricing import (
    PricedModel,
    PricingError,
    PricingTable,
    Problem,
    Quote,
    Refusal,
    RefusalField,
)
from ledger.pricing_file import load_default_pricing, load_pricing

TABLE = load_default_pricing()
LIMITS = TABLE.limits

SMALL_TABLE = """
[limits]
min_side = 64
max_side = 2048
multiple_of = 64
max_pixels = 2097152
max_count = 4

[[models]]
id = "plain"
name = "Plain"
base = 1
per_megapixel = 3
alchemy = { supported = true, surcharge = 2, per_megapixel = 1 }
photoreal = { supported = false }
"""


def by_hand(model: PricedModel, width: int, height: int, alchemy: bool, photoreal: bool) -> int:
    """The per-image price as the table's comment describes it, in exact fractions."""
    mp = Fraction(width * height, 1_000_000)
    price = model.base + ceil(model.per_megapixel * mp)
    if alchemy:
        assert model.alchemy is not None
        price += model.alchemy.surcharge + ceil(model.alchemy.per_megapixel * mp)
    if photoreal:
        assert model.photoreal is not None
        price += model.photoreal.surcharge + ceil(model.photoreal.per_megapixel * mp)
    return price


def quoted(table: PricingTable, *args: object, **kwargs: object) -> Quote:
    result = table.quote(*args, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, Quote), result
    return result


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pricing.toml"
    path.write_text(text, encoding="utf-8")
    return path


# Known quotes


def test_quote_from_a_table_with_known_numbers(tmp_path: Path) -> None:
    table = load_pricing(write(tmp_path, SMALL_TABLE))
    # 1024 x 1024 = 1.048576 MP: base 1, resolution ceil(3.15) = 4, alchemy 2 + ceil(1.05) = 4.
    quote = quoted(table, "plain", 1024, 1024, count=3, alchemy=True)
    assert quote.per_image == 9
    assert quote.total == 27
    assert [(line.part, line.tokens) for line in quote.breakdown] == [
        ("base", 1),
        ("resolution", 4),
        ("alchemy", 4),
    ]


@pytest.mark.parametrize(
    ("model_id", "width", "height", "count", "alchemy", "photoreal"),
    [
        ("diffusion-xl", 768, 768, 1, True, False),
        ("diffusion-xl", 768, 768, 1, False, False),
        ("kino-xl", 1024, 768, 4, True, True),
        ("phoenix", 1536, 1152, 8, True, False),
        ("sketch-15", 256, 256, 1, False, False),
    ],
)
def test_shipped_quotes_match_the_table_by_hand(
    model_id: str, width: int, height: int, count: int, alchemy: bool, photoreal: bool
) -> None:
    model = TABLE.model(model_id)
    assert model is not None
    quote = quoted(TABLE, model_id, width, height, count, alchemy, photoreal)
    per_image = by_hand(model, width, height, alchemy, photoreal)
    assert quote.per_image == per_image
    assert quote.total == per_image * count
    assert sum(line.tokens for line in quote.breakdown) == quote.per_image


def test_a_standard_alchemy_image_costs_a_handful_and_a_free_day_buys_tens() -> None:
    quote = quoted(TABLE, "diffusion-xl", 768, 768, alchemy=True)
    assert 3 <= quote.per_image <= 8
    assert 150 // quote.per_image >= 15


def test_the_smallest_image_of_the_cheapest_model_still_costs_a_token() -> None:
    for model in TABLE.models():
        quote = quoted(TABLE, model.id, LIMITS.min_side, LIMITS.min_side)
        assert quote.total >= 1


def test_model_is_found_by_display_name_ignoring_case() -> None:
    assert quoted(TABLE, "  Kino XL ", 512, 512).model.id == "kino-xl"


# Refusals


@pytest.mark.parametrize(
    ("kwargs", "field", "problem", "limit"),
    [
        ({"model": "no-such-model"}, "model", "unknown", None),
        ({"width": 0}, "width", "too_small", LIMITS.min_side),
        ({"width": -512}, "width", "too_small", LIMITS.min_side),
        ({"width": 10**9}, "width", "too_large", LIMITS.max_side),
        ({"height": 0}, "height", "too_small", LIMITS.min_side),
        ({"height": 10**9}, "height", "too_large", LIMITS.max_side),
        ({"width": 769}, "width", "not_multiple", LIMITS.multiple_of),
        (
            {"width": LIMITS.max_side, "height": LIMITS.max_side},
            "size",
            "too_large",
            LIMITS.max_pixels,
        ),
        ({"count": 0}, "count", "too_small", 1),
        ({"count": -3}, "count", "too_small", 1),
        ({"count": LIMITS.max_count + 1}, "count", "too_large", LIMITS.max_count),
        ({"model": "sketch-15", "alchemy": True}, "alchemy", "unsupported", None),
        (
            {"model": "phoenix", "photoreal": True},
            "photoreal",
            "unsupported",
            None,
        ),
    ],
)
def test_impossible_inputs_are_refused_with_the_field_and_the_limit(
    kwargs: dict[str, object], field: RefusalField, problem: Problem, limit: int | None
) -> None:
    request: dict[str, object] = {"model": "diffusion-xl", "width": 768, "height": 768}
    request.update(kwargs)
    result = TABLE.quote(**request)  # type: ignore[arg-type]
    assert isinstance(result, Refusal)
    assert (result.field, result.problem, result.limit) == (field, problem, limit)
    if field == "size":
        assert result.value == LIMITS.max_side * LIMITS.max_side
    else:
        assert result.value == request[field]


# Properties

valid_side = st.integers(
    LIMITS.min_side // LIMITS.multiple_of, LIMITS.max_side // LIMITS.multiple_of
)
models = st.sampled_from([m.id for m in TABLE.models()])


def valid(width: int, height: int) -> bool:
    return LIMITS.min_side <= min(width, height) and width * height <= LIMITS.max_pixels


@given(models, valid_side, valid_side, valid_side, st.integers(1, LIMITS.max_count), st.data())
def test_price_is_positive_and_grows_with_size_and_count(
    model_id: str, w1: int, w2: int, h: int, count: int, data: st.DataObject
) -> None:
    step = LIMITS.multiple_of
    small_w, large_w, height = min(w1, w2) * step, max(w1, w2) * step, h * step
    assume(valid(large_w, height) and valid(small_w, height))
    model = TABLE.model(model_id)
    assert model is not None
    alchemy = data.draw(st.booleans()) and model.alchemy is not None
    photoreal = data.draw(st.booleans()) and model.photoreal is not None
    settings = {"count": count, "alchemy": alchemy, "photoreal": photoreal}

    small = quoted(TABLE, model_id, small_w, height, **settings)
    large = quoted(TABLE, model_id, large_w, height, **settings)
    tall = quoted(TABLE, model_id, height, large_w, **settings)  # height grows the same way
    narrow_tall = quoted(TABLE, model_id, height, small_w, **settings)
    assert isinstance(small.total, int)
    assert 1 <= small.per_image <= small.total
    assert small.total <= large.total
    assert narrow_tall.total <= tall.total
    if count < LIMITS.max_count:
        more = quoted(TABLE, model_id, small_w, height, **{**settings, "count": count + 1})
        assert small.total < more.total


@given(models, valid_side, valid_side, st.integers(1, LIMITS.max_count))
def test_alchemy_and_photoreal_never_lower_the_price(
    model_id: str, w: int, h: int, count: int
) -> None:
    width, height = w * LIMITS.multiple_of, h * LIMITS.multiple_of
    assume(valid(width, height))
    model = TABLE.model(model_id)
    assert model is not None
    plain = quoted(TABLE, model_id, width, height, count).total
    if model.alchemy is not None:
        assert quoted(TABLE, model_id, width, height, count, alchemy=True).total >= plain
    if model.photoreal is not None:
        assert quoted(TABLE, model_id, width, height, count, photoreal=True).total >= plain
    if model.alchemy is not None and model.photoreal is not None:
        both = quoted(TABLE, model_id, width, height, count, alchemy=True, photoreal=True)
        assert both.total >= quoted(TABLE, model_id, width, height, count, alchemy=True).total


# Autocomplete


def test_models_autocomplete_puts_prefix_matches_before_substring_matches() -> None:
    ids = [m.id for m in TABLE.models("xl")]
    assert ids and all("xl" in i for i in ids)
    assert [m.id for m in TABLE.models("kin")] == ["kino-xl"]
    assert [m.id for m in TABLE.models("VISION")] == ["vision-xl"]
    assert TABLE.models("zzz") == ()
    assert len(TABLE.models("", limit=2)) == 2


def test_models_autocomplete_ranks_a_prefix_before_table_order(tmp_path: Path) -> None:
    extra = '\n[[models]]\nid = "lain-xl"\nname = "Lain XL"\nbase = 1\nper_megapixel = 1\n'
    table = load_pricing(write(tmp_path, SMALL_TABLE + extra))
    # "lain" starts "lain-xl" (listed second) and is only inside "plain" (listed first).
    assert [m.id for m in table.models("lain")] == ["lain-xl", "plain"]


# Broken tables


@pytest.mark.parametrize(
    ("replace", "by", "entry", "problem"),
    [
        ("base = 1", "base = -1", "models[plain].base", "negative"),
        ("base = 1", 'base = "1"', "models[plain].base", "not_an_integer"),
        ('id = "plain"', 'id = "Plain Model"', "models[0].id", "bad_id"),
        ('name = "Plain"\n', "", "models[plain].name", "missing"),
        ("max_count = 4", "max_count = 0", "limits.max_count", "below_minimum"),
        ("max_side = 2048", "max_side = 32", "limits.max_side", "below_min_side"),
        ("per_megapixel = 3", "per_megapixle = 3", "models[plain].per_megapixle", "unknown_key"),
        (
            "base = 1\nper_megapixel = 3",
            "base = 0\nper_megapixel = 0",
            "models[plain]",
            "free_model",
        ),
        (
            "{ supported = false }",
            "{ surcharge = 1 }",
            "models[plain].photoreal.supported",
            "missing",
        ),
        ("[limits]", "[limits", "file", "invalid_toml"),
    ],
)
def test_a_broken_table_names_the_file_and_the_entry(
    tmp_path: Path, replace: str, by: str, entry: str, problem: str
) -> None:
    assert replace in SMALL_TABLE
    path = write(tmp_path, SMALL_TABLE.replace(replace, by, 1))
    with pytest.raises(PricingError) as caught:
        load_pricing(path)
    assert caught.value.source == str(path)
    assert caught.value.entry == entry
    assert caught.value.problem == problem
    assert str(path) in str(caught.value)
    assert entry in str(caught.value)


def test_a_duplicate_model_id_is_named(tmp_path: Path) -> None:
    model = SMALL_TABLE[SMALL_TABLE.index("[[models]]") :]
    path = write(tmp_path, SMALL_TABLE + model)
    with pytest.raises(PricingError) as caught:
        load_pricing(path)
    assert (caught.value.entry, caught.value.problem) == ("models[plain].id", "duplicate_id")


def test_a_missing_file_is_a_pricing_error(tmp_path: Path) -> None:
    with pytest.raises(PricingError) as caught:
        load_pricing(tmp_path / "absent.toml")
    assert caught.value.problem == "unreadable"
    assert "absent.toml" in str(caught.value)

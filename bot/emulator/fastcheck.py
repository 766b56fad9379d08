"""Compile JSON Schema (the Draft 2020-12 subset Discord's OpenAPI uses) into fast predicates.

``jsonschema`` is the reference validator and explains every rejection, but it walks the
schema anew for each instance (~0.8 ms for one interaction callback body). The emulator
must validate several bodies per interaction at hundreds of interactions per second, so
this module compiles a schema once into nested closures that only answer "valid or not"
(~20-40 µs for the same body). Unions whose branches are told apart by a ``type``
discriminator (components, callback kinds, command options) are dispatched directly
instead of trying every branch.

The semantics follow ``jsonschema`` exactly for the keywords supported here; a schema
using any other assertion keyword raises :class:`UnsupportedSchema` at compile time so
the caller can fall back to the reference validator.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from referencing._core import Resolver

log = logging.getLogger(__name__)

Check = Callable[[Any], bool]

#: Keywords that never affect validity (vendor ``x-`` extensions are ignored too).
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "format", "contentEncoding",
    "contentMediaType", "default", "examples", "deprecated", "readOnly", "writeOnly",
})  # fmt: skip
#: The assertion keywords compiled here: all that Discord's document uses.
_ASSERTIONS = frozenset({
    "$ref", "type", "enum", "const", "allOf", "anyOf", "oneOf",
    "properties", "required", "additionalProperties", "minProperties", "maxProperties",
    "items", "minItems", "maxItems", "uniqueItems",
    "minLength", "maxLength", "pattern", "minimum", "maximum",
})  # fmt: skip


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this compiler does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPE_CHECKS: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def equal(one: Any, two: Any) -> bool:
    """Compare two JSON values the way ``jsonschema`` does (``True`` is not ``1``)."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _unique(items: list[Any]) -> bool:
    if all(isinstance(i, str) for i in items) or all(
        isinstance(i, int) and not isinstance(i, bool) for i in items
    ):
        return len(set(items)) == len(items)
    return not any(equal(a, b) for n, a in enumerate(items) for b in items[n + 1 :])


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _v: True
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check(value: Any) -> bool:
        for c in frozen:  # noqa: SIM110 - a plain loop beats all() on this hot path
            if not c(value):
                return False
        return True

    return check


class SchemaCompiler:
    """Compiles schemas that live in one ``referencing`` registry, sharing compiled refs.

    Args:
        resolver: Resolver anchored at the document the schemas' ``$ref`` values point into.
    """

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._memo: dict[int, Check] = {}
        self._keep: list[Any] = []  # keeps memo keys (ids) alive

    def compile(self, schema: Any) -> Check:
        """Return a predicate telling whether an instance is valid against ``schema``.

        Raises:
            UnsupportedSchema: if the schema uses a keyword outside the supported subset.
        """
        if schema is True:
            return lambda _v: True
        if schema is False:
            return lambda _v: False
        key = id(schema)
        found = self._memo.get(key)
        if found is not None:
            return found
        cell: list[Check] = []
        self._memo[key] = lambda value: cell[0](value)  # forward reference for recursion
        self._keep.append(schema)
        compiled = self._build(schema)
        cell.append(compiled)
        self._memo[key] = compiled
        return compiled

    def _resolve(self, ref: str) -> Any:
        return self._resolver.lookup(ref).contents

    def _build(self, schema: Mapping[str, Any]) -> Check:
        unknown = [
            k
            for k in schema
            if k not in _ASSERTIONS and k not in _ANNOTATIONS and not k.startswith("x-")
        ]
        if unknown:
            raise UnsupportedSchema(f"unsupported keyword(s) {unknown}")
        checks: list[Check] = []
        if "type" in schema:
            checks.append(self._type(schema["type"]))
        if "enum" in schema:
            checks.append(self._enum(schema["enum"]))
        if "const" in schema:
            checks.append(self._const(schema["const"]))
        for part in (self._object(schema), self._array(schema), self._string(schema)):
            if part is not None:
                checks.append(part)
        checks.extend(self._numeric(schema))
        if "allOf" in schema:
            checks.extend(self.compile(s) for s in schema["allOf"])
        if "anyOf" in schema:
            checks.append(self._union(schema["anyOf"], exactly_one=False))
        if "oneOf" in schema:
            checks.append(self._union(schema["oneOf"], exactly_one=True))
        if "$ref" in schema:
            checks.append(self.compile(self._resolve(schema["$ref"])))
        return _all(checks)

    @staticmethod
    def _type(declared: str | list[str]) -> Check:
        names = [declared] if isinstance(declared, str) else list(declared)
        tests = [_TYPE_CHECKS[n] for n in names]
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(t(v) for t in tests)

    @staticmethod
    def _const(expected: Any) -> Check:
        if expected is None or isinstance(expected, bool):
            return lambda v: v is expected
        if isinstance(expected, str):
            return lambda v: v == expected
        if isinstance(expected, int | float):
            return lambda v: _is_number(v) and v == expected
        return lambda v: equal(v, expected)

    @staticmethod
    def _enum(values: list[Any]) -> Check:
        if all(isinstance(v, str) for v in values):
            strings = frozenset(values)
            return lambda v: isinstance(v, str) and v in strings
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            ints = frozenset(values)
            return lambda v: _is_number(v) and v in ints
        return lambda v: any(equal(v, e) for e in values)

    def _object(self, schema: Mapping[str, Any]) -> Check | None:
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties")
        extra_check = None if extra is None else self.compile(extra)
        min_p, max_p = schema.get("minProperties"), schema.get("maxProperties")
        if not props and not required and extra_check is None and min_p is None and max_p is None:
            return None

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name in required:
                if name not in value:
                    return False
            if min_p is not None and len(value) < min_p:
                return False
            if max_p is not None and len(value) > max_p:
                return False
            for name, item in value.items():
                prop = props.get(name)
                if prop is not None:
                    if not prop(item):
                        return False
                elif extra_check is not None and not extra_check(item):
                    return False
            return True

        return check

    def _array(self, schema: Mapping[str, Any]) -> Check | None:
        items = schema.get("items")
        item_check = None if items is None else self.compile(items)
        min_i, max_i = schema.get("minItems"), schema.get("maxItems")
        unique = bool(schema.get("uniqueItems", False))
        if item_check is None and min_i is None and max_i is None and not unique:
            return None

        def check(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            if min_i is not None and len(value) < min_i:
                return False
            if max_i is not None and len(value) > max_i:
                return False
            if item_check is not None:
                for item in value:
                    if not item_check(item):
                        return False
            return not unique or _unique(value)

        return check

    @staticmethod
    def _string(schema: Mapping[str, Any]) -> Check | None:
        min_l, max_l = schema.get("minLength"), schema.get("maxLength")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        if min_l is None and max_l is None and pattern is None:
            return None

        def check(value: Any) -> bool:
            if not isinstance(value, str):
                return True
            if min_l is not None and len(value) < min_l:
                return False
            if max_l is not None and len(value) > max_l:
                return False
            return pattern is None or pattern.search(value) is not None

        return check

    @staticmethod
    def _numeric(schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "minimum" in schema:
            low = schema["minimum"]
            checks.append(lambda v: not _is_number(v) or v >= low)
        if "maximum" in schema:
            high = schema["maximum"]
            checks.append(lambda v: not _is_number(v) or v <= high)
        return checks

    def _discriminator(self, branches: list[Any]) -> dict[Any, int] | None:
        """Map ``type`` values to branch indexes when every branch pins ``type`` disjointly."""
        mapping: dict[Any, int] = {}
        for index, branch in enumerate(branches):
            target = branch
            while isinstance(target, Mapping) and set(target) - _ANNOTATIONS == {"$ref"}:
                target = self._resolve(target["$ref"])
            if not isinstance(target, Mapping) or target.get("type") != "object":
                return None
            if "type" not in target.get("required", ()):
                return None
            declared = target.get("properties", {}).get("type", {})
            values = declared.get("enum", [declared["const"]] if "const" in declared else None)
            if not values:
                return None
            for value in values:
                if isinstance(value, bool) or not isinstance(value, int | str) or value in mapping:
                    return None
                mapping[value] = index
        return mapping

    def _constants(self, branches: list[Any]) -> list[Any] | None:
        """The values of a union of bare ``const`` branches (an enum), if distinct."""
        values = []
        for branch in branches:
            while isinstance(branch, Mapping) and set(branch) - _ANNOTATIONS == {"$ref"}:
                branch = self._resolve(branch["$ref"])
            if not isinstance(branch, Mapping) or set(branch) - _ANNOTATIONS != {"const"}:
                return None
            values.append(branch["const"])
        if any(equal(a, b) for n, a in enumerate(values) for b in values[n + 1 :]):
            return None
        return values

    def _union(self, branches: list[Any], *, exactly_one: bool) -> Check:
        constants = self._constants(branches)
        if constants is not None:
            return self._enum(constants)  # distinct values: "one of" is "any of"
        compiled = [self.compile(b) for b in branches]
        mapping = self._discriminator(branches)
        if mapping is not None:
            # Every branch requires an object whose "type" selects at most one branch,
            # so the union holds exactly when the selected branch holds.
            def dispatch(value: Any) -> bool:
                if not isinstance(value, dict):
                    return False
                tag = value.get("type")
                if isinstance(tag, bool) or not isinstance(tag, int | str | float):
                    return False
                index = mapping.get(tag)
                return index is not None and compiled[index](value)

            return dispatch
        if not exactly_one:
            return lambda v: any(c(v) for c in compiled)

        def one_of(value: Any) -> bool:
            passed = 0
            for c in compiled:
                if c(value):
                    passed += 1
                    if passed > 1:
                        return False
            return passed == 1

        return one_of

"""Discord's OpenAPI description: loading, per-route validators and Discord-shaped errors.

The document (``discord_openapi.json``, MIT, vendored from Discord) is parsed once, lazily,
and registered in a ``referencing`` registry so ``$ref`` values resolve inside it. For each
route and method the request body schema and every response schema get one
:class:`BodyValidator`, built once and cached: a compiled fast predicate decides validity
and ``jsonschema``'s Draft 2020-12 validator (the reference) explains rejections.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from bot.emulator.fastcheck import Check, SchemaCompiler, UnsupportedSchema

log = logging.getLogger(__name__)

VENDORED_DOCUMENT = Path(__file__).with_name("discord_openapi.json")
DOCUMENT_URI = "urn:tokendesk:discord-openapi"
REQUEST_DOCUMENT_URI = "urn:tokendesk:discord-openapi:requests"
INVALID_FORM_BODY = 50035

#: Where Discord's servers accept more than its document says, request bodies are checked
#: against a patched copy: Discord takes snowflakes as JSON integers too, and discord.py
#: sends some that way (``recipient_id``, ``allowed_mentions.users``, message references).
#: Responses are still held to the document as written.
_REQUEST_OVERRIDES: dict[str, Any] = {
    "SnowflakeType": {
        "anyOf": [
            {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
            {"type": "integer", "minimum": 0},
        ]
    },
}

_FIELD_MESSAGES = {
    "maxLength": "Must be {value} or fewer in length.",
    "minLength": "Must be {value} or more in length.",
    "maxItems": "Must be {value} or fewer in length.",
    "minItems": "Must be {value} or more in length.",
    "maxProperties": "Must be {value} or fewer in length.",
    "maximum": "Must be less than or equal to {value}.",
    "minimum": "Must be greater than or equal to {value}.",
    "pattern": "String value did not match validation regex.",
    "enum": "Value must be one of {value}.",
    "const": "Value must be {value}.",
    "type": "Value must be of type {value}.",
    "uniqueItems": "Values must be unique.",
}


@dataclass(frozen=True)
class FieldError:
    """One rejected field: where it is in the body and what Discord would say about it."""

    path: tuple[str | int, ...]
    message: str

    def dotted(self) -> str:
        """Return the path as ``data.embeds[0].fields[0].value`` for humans."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text.lstrip(".") or "<body>"


@dataclass(frozen=True)
class Verdict:
    """Outcome of one validation.

    Attributes:
        errors: Field errors; empty when the instance is valid.
        disagreement: Set when the fast path and the reference validator disagreed
            (a bug in :mod:`bot.emulator.fastcheck`); the reference verdict wins.
    """

    errors: list[FieldError] = field(default_factory=list)
    disagreement: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the instance was valid."""
        return not self.errors


@functools.cache
def document() -> dict[str, Any]:
    """Return the parsed OpenAPI document (loaded once, on first use)."""
    with VENDORED_DOCUMENT.open("rb") as handle:
        loaded: dict[str, Any] = json.load(handle)
    log.debug("loaded Discord OpenAPI %s", loaded.get("info", {}).get("version"))
    return loaded


def _request_document() -> dict[str, Any]:
    original = document()
    schemas = {**original["components"]["schemas"], **_REQUEST_OVERRIDES}
    return {**original, "components": {**original["components"], "schemas": schemas}}


@functools.cache
def registry() -> Registry[Any]:
    """Return a ``referencing`` registry with the document (:data:`DOCUMENT_URI`) and its
    request-side variant (:data:`REQUEST_DOCUMENT_URI`)."""
    return Registry().with_resources(
        [
            (DOCUMENT_URI, DRAFT202012.create_resource(document())),
            (REQUEST_DOCUMENT_URI, DRAFT202012.create_resource(_request_document())),
        ]
    )


@functools.cache
def _compiler(base_uri: str) -> SchemaCompiler:
    return SchemaCompiler(registry().resolver(base_uri=base_uri))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class BodyValidator:
    """Validates JSON instances against one schema of the document.

    Args:
        pointer: JSON pointer (``#/...``) of the schema inside the document.
        request: Validate a request body (against the request-side variant).
        paranoid: Also run the reference validator on instances the fast path accepts,
            reporting any disagreement (slow; meant for the emulator's own tests).
    """

    def __init__(self, pointer: str, *, request: bool = False, paranoid: bool = False) -> None:
        self.pointer = pointer
        self.paranoid = paranoid
        base = REQUEST_DOCUMENT_URI if request else DOCUMENT_URI
        uri = f"{base}{pointer}"
        self._reference = Draft202012Validator({"$ref": uri}, registry=registry())
        schema = registry().resolver(base_uri=base).lookup(uri).contents
        self._fast: Check | None
        try:
            self._fast = _compiler(base).compile(schema)
        except UnsupportedSchema as exc:
            log.warning("no fast validator for %s (%s); using jsonschema only", pointer, exc)
            self._fast = None

    def validate(self, instance: Any) -> Verdict:
        """Validate ``instance``; cheap when it is valid and ``paranoid`` is off."""
        fast_ok = None if self._fast is None else self._fast(instance)
        if fast_ok and not self.paranoid:
            return Verdict()
        errors = self.explain(instance)
        if fast_ok is None or fast_ok == (not errors):
            return Verdict(errors)
        said = "accepted" if fast_ok else "rejected"
        note = f"fast validator {said} an instance the reference judged otherwise at {self.pointer}"
        log.error(note)
        return Verdict(errors, disagreement=note)

    def explain(self, instance: Any) -> list[FieldError]:
        """Return the reference validator's field errors (empty if valid)."""
        found: list[FieldError] = []
        for top in self._reference.iter_errors(instance):
            for entry in _explain(top):
                if entry not in found:
                    found.append(entry)
        return found


def _discriminates(error: ValidationError) -> bool:
    """Whether a branch error shows the branch was not meant for this instance at all."""
    relative = tuple(error.relative_path)
    if error.validator == "type" and not relative:
        return True
    return relative == ("type",) and error.validator in ("enum", "const")


def _explain(error: ValidationError) -> list[FieldError]:
    """Descend into failed unions towards the branch the instance was meant to match."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [_field_error(error)]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    plausible = {
        k: errs for k, errs in branches.items() if not any(_discriminates(e) for e in errs)
    }
    if not plausible:
        tags = [
            v
            for errs in branches.values()
            for e in errs
            if tuple(e.relative_path) == ("type",) and e.validator == "enum"
            for v in e.validator_value
        ]
        if tags and len(branches) == len(error.validator_value):
            path = (*tuple(error.absolute_path), "type")
            tags = sorted(set(tags), key=lambda v: (type(v).__name__, v))
            return [FieldError(path, f"Value must be one of {tags}.")]
        return [_field_error(best_match([error]))]
    chosen = min(plausible.values(), key=lambda errs: (len(errs), -max(len(e.path) for e in errs)))
    return [entry for sub in chosen for entry in _explain(sub)]


def _field_error(error: ValidationError) -> FieldError:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "required" and isinstance(error.instance, Mapping):
        missing = [n for n in error.validator_value if n not in error.instance]
        return FieldError((*path, *missing[:1]), "This field is required")
    template = _FIELD_MESSAGES.get(keyword)
    message = template.format(value=error.validator_value) if template else error.message
    return FieldError(path, message)


def form_errors(errors: list[FieldError], code: int = INVALID_FORM_BODY) -> dict[str, Any]:
    """Nest field errors the way Discord's 50035 "Invalid Form Body" response does."""
    tree: dict[str, Any] = {}
    for error in errors:
        node = tree
        for part in error.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": error.message})
    return tree


@dataclass(frozen=True)
class RouteSchemas:
    """Validators of one OpenAPI operation.

    Attributes:
        request: Validator of the JSON request body, or ``None`` if the route takes none.
        responses: Response validators by declared status key (``"200"``, ``"4XX"``, ...);
            ``None`` marks a status declared without a body (``204``).
    """

    request: BodyValidator | None
    responses: Mapping[str, BodyValidator | None]

    def response(self, status: int) -> tuple[bool, BodyValidator | None]:
        """Return ``(declared, validator)`` for an HTTP status of this route."""
        for key in (str(status), f"{str(status)[0]}XX"):
            if key in self.responses:
                return True, self.responses[key]
        return False, None


@functools.cache
def route_schemas(method: str, path: str, *, paranoid: bool = False) -> RouteSchemas:
    """Return the cached validators of ``method`` ``path`` (an OpenAPI path template).

    Raises:
        KeyError: if Discord's document does not describe that operation.
    """
    operation = document()["paths"][path][method.lower()]
    base = f"#/paths/{_escape(path)}/{method.lower()}"
    request = None
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        request = BodyValidator(
            f"{base}/requestBody/content/application~1json/schema", request=True, paranoid=paranoid
        )
    responses: dict[str, BodyValidator | None] = {}
    for status, declared in operation.get("responses", {}).items():
        pointer = f"{base}/responses/{status}"
        if "$ref" in declared:
            pointer = declared["$ref"]
            declared = (
                registry()
                .resolver(base_uri=DOCUMENT_URI)
                .lookup(f"{DOCUMENT_URI}{pointer}")
                .contents
            )
        content = declared.get("content", {})
        responses[status] = (
            BodyValidator(f"{pointer}/content/application~1json/schema", paranoid=paranoid)
            if "application/json" in content
            else None
        )
    return RouteSchemas(request=request, responses=responses)

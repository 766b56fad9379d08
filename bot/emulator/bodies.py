"""Turn the bodies a bot sends (messages, callbacks, follow-ups, edits) into stored fields.

Discord numbers components, fills select defaults, drops unset (null) fields and types
embeds as ``rich``; the stored form is what later responses and gateway events show.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.emulator.problems import INVALID_FORM_BODY, DiscordHTTPError
from bot.emulator.schema import FieldError, form_errors
from bot.emulator.world import World

log = logging.getLogger(__name__)

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def strip_nulls(value: Any) -> Any:
    """Drop ``None`` values from objects, recursively (Discord omits unset fields)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def stored_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Turn request components into stored/response ones: numbered ids, select defaults."""
    counter = 0

    def visit(component: dict[str, Any]) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        result = {"id": counter, **strip_nulls(component)}
        if result.get("type") in _SELECT_TYPES:
            result.setdefault("min_values", 1)
            result.setdefault("max_values", 1)
        for key in ("components", "accessory", "component"):
            child = result.get(key)
            if isinstance(child, list):
                result[key] = [visit(c) for c in child]
            elif isinstance(child, dict):
                result[key] = visit(child)
        return result

    return [visit(c) for c in components or ()]


def stored_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Turn request embeds (``RichEmbed``) into response embeds (``MessageEmbedResponse``)."""
    result = []
    for embed in embeds or []:
        clean = strip_nulls(embed)
        clean.setdefault("type", "rich")
        for item in clean.get("fields", []):
            item.setdefault("inline", False)
        result.append(clean)
    return result


#: Flags a bot may set when sending: suppress embeds, ephemeral, suppress notifications, V2.
SENDABLE_FLAGS = 4 | 64 | 4096 | 32768


_FILE_PART = re.compile(r"files\[(\d+)\]")


def check_uploads(body: dict[str, Any], files: list[dict[str, Any]]) -> None:
    """Each uploaded part is ``files[n]``, and ``attachments`` in the JSON names each ``n``.

    Raises:
        DiscordHTTPError: 400 Invalid Form Body, as Discord answers a mismatched upload.
    """
    if not files:
        return
    listed = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
    for n, upload in enumerate(files):
        match = _FILE_PART.fullmatch(str(upload.get("name") or ""))
        if match is None or ("attachments" in body and match.group(1) not in listed):
            note = f"Uploaded part {upload.get('name')!r} is not a listed files[n] attachment."
            raise DiscordHTTPError(
                400,
                INVALID_FORM_BODY,
                "Invalid Form Body",
                form_errors([FieldError(("attachments", n), note)]),
            )


def attachments_json(files: list[dict[str, Any]], world: World) -> list[dict[str, Any]]:
    """Describe uploaded files as ``MessageAttachmentResponse`` objects (bytes kept)."""
    result = []
    for upload in files:
        attachment_id = world.ids.next()
        if "data" in upload:
            world.keep_file(attachment_id, upload["data"])
        name = upload.get("filename") or "file"
        url = f"https://cdn.discordapp.invalid/attachments/{attachment_id}/{name}"
        result.append(
            {
                "id": str(attachment_id),
                "filename": name,
                "size": upload["size"],
                "url": url,
                "proxy_url": url,
            }
        )
    return result


_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")


def pings(body: dict[str, Any]) -> tuple[str, ...]:
    """Who a message's content would notify, as Discord decides it from `allowed_mentions`.

    Without `allowed_mentions` every mention in the content pings; with it, only the kinds
    in `parse` and the ids in `users`/`roles` do. Embeds never ping.
    """
    content = body.get("content") or ""
    allowed = body.get("allowed_mentions")
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    users = {str(u) for u in (allowed or {}).get("users") or []}
    roles = {str(r) for r in (allowed or {}).get("roles") or []}
    found: list[str] = []
    if "everyone" in parse and ("@everyone" in content or "@here" in content):
        found.append("everyone")
    found += [f"user:{u}" for u in _USER.findall(content) if "users" in parse or u in users]
    found += [f"role:{r}" for r in _ROLE.findall(content) if "roles" in parse or r in roles]
    return tuple(found)


def message_fields(
    body: dict[str, Any] | None, files: list[dict[str, Any]], world: World
) -> dict[str, Any]:
    """Extract the stored fields of a new message from a create/callback/follow-up body."""
    body = body or {}
    check_uploads(body, files)
    return {
        "content": body.get("content") or "",
        "embeds": stored_embeds(body.get("embeds")),
        "components": stored_components(body.get("components")),
        "flags": int(body.get("flags") or 0) & SENDABLE_FLAGS,
        "tts": bool(body.get("tts")),
        "attachments": attachments_json(files, world),
        "pings": pings(body),
    }


def edit_fields(
    body: dict[str, Any] | None, files: list[dict[str, Any]], world: World
) -> dict[str, Any]:
    """Extract the fields an edit body changes (absent keys stay as they are)."""
    body = body or {}
    check_uploads(body, files)
    fields: dict[str, Any] = {}
    if "content" in body:
        fields["content"] = body["content"] or ""
        fields["pings"] = pings(body)
    if "embeds" in body:
        fields["embeds"] = stored_embeds(body["embeds"])
    if "components" in body:
        fields["components"] = stored_components(body["components"])
    if files or "attachments" in body:
        fields["attachments"] = attachments_json(files, world)
    return fields


def is_empty(fields: dict[str, Any]) -> bool:
    """Whether a message would have nothing to show (Discord error 50006)."""
    return not (
        fields.get("content")
        or fields.get("embeds")
        or fields.get("components")
        or fields.get("attachments")
    )

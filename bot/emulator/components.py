"""The Discord-client side of using components: pressing buttons, picking, filling modals."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.emulator.message import Message
from bot.emulator.payloads import member_json, role_json, user_json
from bot.emulator.problems import ComponentNotFound, InvalidOptionValue
from bot.emulator.result import walk_components
from bot.emulator.world import Channel, Guild, Member, Role, User, World

log = logging.getLogger(__name__)

BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SELECTS = frozenset({STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT})
LABEL, ACTION_ROW, TEXT_DISPLAY = 18, 1, 10
LINK_STYLE, PREMIUM_STYLE = 5, 6


def find_button(message: Message, key: str) -> dict[str, Any] | None:
    """Return the button whose custom_id, else label, is ``key`` (None if absent).

    Raises:
        ComponentNotFound: if several buttons carry that label, or it cannot be pressed.
    """
    buttons = [c for c in walk_components(message.components) if c.get("type") == BUTTON]
    exact = [b for b in buttons if b.get("custom_id") == key]
    labelled = [b for b in buttons if b.get("label") == key]
    if not exact and len(labelled) > 1:
        raise ComponentNotFound(f"{len(labelled)} buttons are labelled {key!r}; use a custom_id")
    if not exact and not labelled:
        return None
    found = (exact or labelled)[0]
    if found.get("disabled"):
        raise ComponentNotFound(f"button {key!r} is disabled")
    if found.get("style") in (LINK_STYLE, PREMIUM_STYLE):
        raise ComponentNotFound(f"button {key!r} opens a URL/store page; it sends no interaction")
    return found


def find_select(message: Message, custom_id: str) -> dict[str, Any] | None:
    """Return the select menu with ``custom_id`` (None if absent)."""
    for component in walk_components(message.components):
        if component.get("type") in SELECTS and component.get("custom_id") == custom_id:
            if component.get("disabled"):
                raise ComponentNotFound(f"select {custom_id!r} is disabled")
            return component
    return None


def select_data(
    select: Mapping[str, Any], values: Sequence[Any], world: World, guild: Guild | None
) -> dict[str, Any]:
    """Return the interaction ``data`` for picking ``values`` in ``select``.

    Raises:
        InvalidOptionValue: wrong number of values, or values the menu does not offer.
    """
    custom_id, kind = select["custom_id"], select["type"]
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not low <= len(values) <= high:
        raise InvalidOptionValue(f"select {custom_id!r} takes {low}..{high} value(s)")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind, "id": select["id"]}
    if kind == STRING_SELECT:
        offered = [o["value"] for o in select.get("options", [])]
        wrong = [v for v in values if v not in offered]
        if wrong:
            raise InvalidOptionValue(f"select {custom_id!r} offers {offered}, not {wrong}")
        data["values"] = list(values)
        return data
    resolved: dict[str, dict[str, Any]] = {}
    ids = []
    for value in values:
        user = value.user if isinstance(value, Member) else value
        if isinstance(user, User) and kind in (USER_SELECT, MENTIONABLE_SELECT):
            resolved.setdefault("users", {})[str(user.id)] = user_json(user)
            member = guild.members.get(user.id) if guild else None
            if member is not None and guild is not None:
                entry = member_json(member, with_user=False)
                entry["permissions"] = str(world.permissions(guild, user.id))
                resolved.setdefault("members", {})[str(user.id)] = entry
            ids.append(str(user.id))
        elif isinstance(value, Role) and kind in (ROLE_SELECT, MENTIONABLE_SELECT):
            resolved.setdefault("roles", {})[str(value.id)] = role_json(value)
            ids.append(str(value.id))
        elif isinstance(value, Channel) and kind == CHANNEL_SELECT:
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": str(value.id),
                "name": value.name,
                "type": value.type,
                "permissions": "0",
                "guild_id": str(value.guild_id),
            }
            ids.append(str(value.id))
        else:
            raise InvalidOptionValue(f"{value!r} cannot be picked in select type {kind}")
    data.update(values=ids, resolved=resolved)
    return data


def _text_value(field: Mapping[str, Any], answers: dict[str, Any]) -> str:
    custom_id = field["custom_id"]
    value = answers.pop(custom_id, None)
    if value is None:
        if field.get("required", True):
            raise InvalidOptionValue(f"modal field {custom_id!r} is required")
        return ""
    if not isinstance(value, str):
        raise InvalidOptionValue(f"modal field {custom_id!r} takes text, not {value!r}")
    if value == "" and not field.get("required", True):
        return value
    low, high = field.get("min_length", 0), field.get("max_length", 4000)
    if not low <= len(value) <= high:
        raise InvalidOptionValue(f"modal field {custom_id!r} takes {low}..{high} characters")
    return value


def _submitted(field: Mapping[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    kind = field["type"]
    entry: dict[str, Any] = {
        "type": kind,
        "id": field.get("id", 0),
        "custom_id": field["custom_id"],
    }
    if kind == TEXT_INPUT:
        entry["value"] = _text_value(field, answers)
    elif kind == STRING_SELECT:
        picked = answers.pop(field["custom_id"], [])
        offered = [o["value"] for o in field.get("options", [])]
        if any(v not in offered for v in picked):
            raise InvalidOptionValue(f"modal select {field['custom_id']!r} offers {offered}")
        entry["values"] = list(picked)
    else:
        raise InvalidOptionValue(f"modal component type {kind} is not supported by the emulator")
    return entry


def modal_submission(modal: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the MODAL_SUBMIT ``data`` for filling ``modal`` with ``answers`` by custom_id.

    Raises:
        ComponentNotFound: an answer for a field the modal does not have.
        InvalidOptionValue: a missing required field or a value out of bounds.
    """
    remaining = dict(answers)
    rows: list[dict[str, Any]] = []
    for component in modal.get("components", []):
        kind = component.get("type")
        if kind == ACTION_ROW:
            inner = [_submitted(c, remaining) for c in component.get("components", [])]
            rows.append({"type": ACTION_ROW, "id": component.get("id", 0), "components": inner})
        elif kind == LABEL:
            inner_one = _submitted(component["component"], remaining)
            rows.append({"type": LABEL, "id": component.get("id", 0), "component": inner_one})
        elif kind == TEXT_DISPLAY:
            rows.append({"type": TEXT_DISPLAY, "id": component.get("id", 0)})
    if remaining:
        raise ComponentNotFound(
            f"modal {modal.get('custom_id')!r} has no field(s) {list(remaining)}"
        )
    return {"custom_id": modal["custom_id"], "components": rows}

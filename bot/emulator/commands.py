"""The Discord-client side of invoking a synced command: typed, validated options.

Discord's client type-checks every option against the synced definition before sending
anything. :func:`invocation` does the same. Which commands a user is offered where is
:mod:`bot.emulator.places`; what is synced is :mod:`bot.emulator.registry`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.emulator.payloads import member_json, role_json, user_json
from bot.emulator.problems import CommandNotAvailable, InvalidOptionValue
from bot.emulator.registry import SyncedCommand
from bot.emulator.world import Channel, Guild, Member, Role, User, World

log = logging.getLogger(__name__)

CHAT_INPUT = 1
USER_COMMAND = 2
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3, 4, 5, 6, 7, 8, 9, 10, 11,
)  # fmt: skip
MAX_SAFE_INTEGER = 2**53


def invocation(
    command: SyncedCommand,
    path: list[str],
    values: Mapping[str, Any],
    *,
    world: World,
    guild: Guild | None,
    focused: str | None = None,
) -> dict[str, Any]:
    """Build the interaction ``data`` for ``/name sub ...`` with typed, validated options.

    Args:
        command: The synced top-level command.
        path: Subcommand group/subcommand names after the command name.
        values: Option values by option name (emulator objects for users/roles/channels).
        world: The emulator's state (to resolve users, roles, channels).
        guild: Guild the command runs in (``None`` for DMs).
        focused: For autocomplete, the option being typed (its value is sent as typed).

    Raises:
        CommandNotAvailable: unknown subcommand/option.
        InvalidOptionValue: a value Discord's client would not accept.
    """
    spec = command.definition
    chain: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = spec.get("options", [])
    title = f"/{command.name}"
    for part in path:
        sub = next((o for o in options if o["name"] == part and o["type"] in (1, 2)), None)
        if sub is None:
            raise CommandNotAvailable(f"{title} has no subcommand {part!r}")
        chain.append(sub)
        title += f" {part}"
        options = sub.get("options", [])
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
        names = [o["name"] for o in options]
        raise CommandNotAvailable(f"{title} is a group; choose a subcommand: {names}")
    by_name = {o["name"]: o for o in options}
    unknown = [n for n in values if n not in by_name]
    if unknown:
        raise CommandNotAvailable(f"{title} has no option(s) {unknown}; it has {list(by_name)}")
    resolved: dict[str, dict[str, Any]] = {}
    leaf: list[dict[str, Any]] = []
    for option in options:
        name = option["name"]
        if name not in values:
            if option.get("required") and focused is None:
                raise InvalidOptionValue(f"{title}: option {name!r} is required")
            continue
        if name == focused:
            if not option.get("autocomplete"):
                raise CommandNotAvailable(f"{title}: option {name!r} has no autocomplete")
            leaf.append(
                {"type": option["type"], "name": name, "value": values[name], "focused": True}
            )
            continue
        value = _coerce(option, values[name], title, world, guild, resolved)
        leaf.append({"type": option["type"], "name": name, "value": value})
    nested = leaf
    for sub in reversed(chain):
        nested = [{"type": sub["type"], "name": sub["name"], "options": nested}]
    data: dict[str, Any] = {
        "id": str(command.id),
        "name": command.name,
        "type": spec["type"],
        "options": nested,
    }
    if resolved:
        data["resolved"] = resolved
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    return data


def user_invocation(
    command: SyncedCommand, target: Member | User, *, world: World, guild: Guild | None
) -> dict[str, Any]:
    """Build the interaction ``data`` of a user context-menu command (Apps -> name) on
    ``target``: its id, and the target resolved as a user (and member, in a guild)."""
    resolved: dict[str, dict[str, Any]] = {}
    target_id = _resolve(USER, target, f"{command.name} target", {}, world, guild, resolved)
    data: dict[str, Any] = {
        "id": str(command.id),
        "name": command.name,
        "type": USER_COMMAND,
        "target_id": target_id,
        "resolved": resolved,
    }
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    return data


def _number(option: Mapping[str, Any], value: Any, where: str, *, integer: bool) -> int | float:
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            raise InvalidOptionValue(f"{where}: {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidOptionValue(f"{where}: {value!r} is not a number")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise InvalidOptionValue(f"{where}: {value!r} is not an integer")
        value = int(value)
    low = option.get("min_value", -MAX_SAFE_INTEGER)
    high = option.get("max_value", MAX_SAFE_INTEGER)
    if not low <= value <= high:
        raise InvalidOptionValue(f"{where}: {value!r} is outside {low}..{high}")
    number: int | float = value
    return number


def _coerce(
    option: Mapping[str, Any],
    value: Any,
    title: str,
    world: World,
    guild: Guild | None,
    resolved: dict[str, dict[str, Any]],
) -> Any:
    kind, where = option["type"], f"{title} {option['name']}"
    result: Any
    if kind == STRING:
        if not isinstance(value, str):
            raise InvalidOptionValue(f"{where}: expected text, got {value!r}")
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise InvalidOptionValue(f"{where}: length {len(value)} is outside {low}..{high}")
        result = value
    elif kind in (INTEGER, NUMBER):
        result = _number(option, value, where, integer=kind == INTEGER)
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidOptionValue(f"{where}: expected True/False, got {value!r}")
        result = value
    elif kind in (USER, ROLE, MENTIONABLE, CHANNEL):
        result = _resolve(kind, value, where, option, world, guild, resolved)
    else:
        raise InvalidOptionValue(f"{where}: option type {kind} is not supported by the emulator")
    choices = option.get("choices")
    if choices and result not in [c["value"] for c in choices]:
        raise InvalidOptionValue(
            f"{where}: {result!r} is not one of {[c['value'] for c in choices]}"
        )
    return result


def _resolve(
    kind: int,
    value: Any,
    where: str,
    option: Mapping[str, Any],
    world: World,
    guild: Guild | None,
    resolved: dict[str, dict[str, Any]],
) -> str:
    """Return the snowflake string of a user/role/channel option and fill ``resolved``."""
    user = value.user if isinstance(value, Member) else value
    if isinstance(user, User) and kind in (USER, MENTIONABLE):
        resolved.setdefault("users", {})[str(user.id)] = user_json(user)
        member = guild.members.get(user.id) if guild else None
        if member is not None and guild is not None:
            entry = member_json(member, with_user=False)
            entry["permissions"] = str(world.permissions(guild, user.id))
            resolved.setdefault("members", {})[str(user.id)] = entry
        return str(user.id)
    if isinstance(value, Role) and kind in (ROLE, MENTIONABLE):
        if guild is None or value.guild_id != guild.id:
            raise InvalidOptionValue(f"{where}: role {value.name!r} is not in this guild")
        resolved.setdefault("roles", {})[str(value.id)] = role_json(value)
        return str(value.id)
    if isinstance(value, Channel) and kind == CHANNEL:
        allowed = option.get("channel_types")
        if allowed and value.type not in allowed:
            raise InvalidOptionValue(f"{where}: channel type {value.type} not in {allowed}")
        resolved.setdefault("channels", {})[str(value.id)] = {
            "id": str(value.id),
            "name": value.name,
            "type": value.type,
            "permissions": str(world.permissions(guild, world.application.bot.id) if guild else 0),
            "guild_id": str(value.guild_id),
        }
        return str(value.id)
    raise InvalidOptionValue(f"{where}: {value!r} is not a valid value for option type {kind}")

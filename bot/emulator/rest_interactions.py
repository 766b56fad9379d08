"""REST routes answering interactions: the callback, follow-ups and original-message edits."""

from __future__ import annotations

import logging
from typing import Any

from bot.emulator.bodies import edit_fields, is_empty, message_fields, stored_components
from bot.emulator.interactions import InteractionTracker, metadata_json
from bot.emulator.message import EPHEMERAL, LOADING, Message
from bot.emulator.payloads import message_json
from bot.emulator.problems import (
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    already_acknowledged,
    not_found,
)
from bot.emulator.rest import Call, Reply, RestApi, invalid_form
from bot.emulator.rest_messages import empty_message
from bot.emulator.schema import FieldError
from bot.emulator.transcripts import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    MODAL,
    UPDATE_MESSAGE,
    InteractionRecord,
)
from bot.emulator.world import World

log = logging.getLogger(__name__)

CHAT_INPUT_COMMAND_MESSAGE = 20
#: Callbacks that create or change a message, and how the record logs them.
MESSAGE_CALLBACKS = {
    CHANNEL_MESSAGE: "create",
    DEFERRED_CHANNEL_MESSAGE: "defer",
    DEFERRED_UPDATE: "",
    UPDATE_MESSAGE: "update",
}


def install(api: RestApi, world: World, tracker: InteractionTracker) -> None:
    """Register the interaction callback and webhook routes on `api`."""
    bot = world.application.bot

    def record_for_callback(call: Call) -> InteractionRecord:
        record = tracker.get(call.interaction_id or 0)
        if record is None or record.token != call.params["interaction_token"] or record.expired:
            raise not_found(UNKNOWN_INTERACTION, "interaction")
        record.callbacks += 1
        if record.acknowledged:
            raise already_acknowledged()
        return record

    def new_message(record: InteractionRecord, fields: dict[str, Any]) -> Message:
        channel = world.channels[record.channel_id]
        kind = CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0
        return world.add_message(
            channel,
            bot,
            type=kind,
            webhook_id=world.application.id,
            interaction_id=record.id,
            metadata_json=metadata_json(record, world, tracker),
            **fields,
        )

    def allowed_callbacks(record: InteractionRecord) -> set[int]:
        allowed = set(ALLOWED_CALLBACKS[record.type])
        if record.source_message_id is None:
            allowed -= {DEFERRED_UPDATE, UPDATE_MESSAGE}  # no message to update
        return allowed

    def respond(record: InteractionRecord, kind: int, data: dict[str, Any], call: Call) -> Message:
        """Apply a message-producing callback (4, 5, 6, 7); return the message concerned."""
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = world.messages[record.source_message_id or 0]
            if kind == UPDATE_MESSAGE:
                world.edit_message(message, **edit_fields(data, call.files, world))
            return message
        fields = message_fields(data, call.files, world)
        if kind == DEFERRED_CHANNEL_MESSAGE:
            fields = {"flags": (fields["flags"] & EPHEMERAL) | LOADING}
        elif is_empty(fields):
            raise empty_message()
        return new_message(record, fields)

    async def callback(call: Call) -> Reply:
        record = record_for_callback(call)
        kind, data = call.body["type"], call.body.get("data") or {}
        allowed = allowed_callbacks(record)
        if kind not in allowed:
            note = f"Callback type {kind} is not valid here; use one of {sorted(allowed)}."
            raise invalid_form([FieldError(("type",), note)])
        info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        result: dict[str, Any] = {"interaction": info}
        message: Message | None = None
        if kind == AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            record.modal = {**data, "components": stored_components(data.get("components"))}
        elif kind in MESSAGE_CALLBACKS:
            message = respond(record, kind, data, call)
            record.original_message_id = message.id
            info["response_message_id"] = str(message.id)
            if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
                info["response_message_loading"] = kind == DEFERRED_CHANNEL_MESSAGE
                info["response_message_ephemeral"] = message.ephemeral
            if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
                result["resource"] = {"type": kind, "message": message_json(message, world)}
        tracker.acknowledge(record, kind)
        if message is not None and kind != DEFERRED_UPDATE:
            tracker.note_sent(record, MESSAGE_CALLBACKS[kind], message)
        return Reply(body=result) if call.flag("with_response") else Reply(204)

    def record_for_webhook(call: Call) -> InteractionRecord:
        record = tracker.by_token(call.params["webhook_token"])
        if (
            record is None
            or call.snowflake("webhook_id") != world.application.id
            or not record.acknowledged
        ):
            raise not_found(UNKNOWN_WEBHOOK, "Webhook")
        return record

    def owned_message(record: InteractionRecord, call: Call) -> Message:
        original = "message_id" not in call.params  # the .../messages/@original route
        message_id = record.original_message_id if original else call.snowflake("message_id")
        owned = {sent[1] for sent in record.sent_raw} | {record.original_message_id}
        message = world.messages.get(message_id or 0)
        if message is None or message.deleted or message_id not in owned:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return message

    async def followup(call: Call) -> Reply:
        record = record_for_webhook(call)
        fields = message_fields(call.body, call.files, world)
        if is_empty(fields):
            raise empty_message()
        original = world.messages.get(record.original_message_id or 0)
        if (
            record.response_type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.flags & LOADING
        ):
            # Discord turns the first follow-up after a deferral into the original response.
            fields["flags"] = original.flags & ~LOADING
            message = world.edit_message(original, **fields)
        else:
            message = new_message(record, fields)
        tracker.note_sent(record, "followup", message)
        return Reply(body=message_json(message, world)) if call.flag("wait") else Reply(204)

    async def edit(call: Call) -> Reply:
        record = record_for_webhook(call)
        message = owned_message(record, call)
        fields = edit_fields(call.body, call.files, world)
        fields["flags"] = message.flags & ~LOADING
        if message.flags & LOADING and is_empty(fields):
            raise empty_message()
        world.edit_message(message, **fields)
        tracker.note_sent(record, "edit", message)
        return Reply(body=message_json(message, world))

    async def fetch(call: Call) -> Reply:
        record = record_for_webhook(call)
        return Reply(body=message_json(owned_message(record, call), world))

    async def delete(call: Call) -> Reply:
        record = record_for_webhook(call)
        message = owned_message(record, call)
        world.delete_message(message)
        tracker.note_sent(record, "delete", message)
        return Reply(204)

    api.add(
        "POST", "/interactions/{interaction_id}/{interaction_token}/callback", callback, auth=False
    )
    api.add("POST", "/webhooks/{webhook_id}/{webhook_token}", followup, auth=False)
    for path in (
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    ):
        api.add("PATCH", path, edit, auth=False)
        api.add("GET", path, fetch, auth=False)
        api.add("DELETE", path, delete, auth=False)

"""The inbound bus's contract (docs/inbound.md), as pure rules: where partners publish,
and what a message must be. Nothing here does I/O; :mod:`.inbound` applies what this
accepts and dead-letters what it refuses, with the reason this gives."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: partners publish here (topic, durable); the routing key is ``<type>.<anything>``
EXCHANGE = "osprey.inbound"
#: the social service consumes this (durable, bound with ``#``)
QUEUE = "osprey.inbound.social"
#: refused messages go here with their reason (fanout, durable) ...
DEAD_EXCHANGE = "osprey.inbound.dead"
#: ... and wait in this queue for a person to look at them
DEAD_QUEUE = "osprey.inbound.dead"
REASON_HEADER = "x-osprey-reason"
#: the versions of the contract this service reads
VERSIONS = (1,)
TYPES = ("lead", "activity")
MAX_BYTES = 256 * 1024
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")

#: the lead fields a partner may send (the leads service checks each value)
LEAD_FIELDS = frozenset({
    "contact_name", "account_name", "email", "phone", "source", "channel", "need_type",
    "region", "notes", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "referrer", "owner_id", "team_id",
})  # fmt: skip
#: the activity fields a partner may send (the sales service checks each value)
ACTIVITY_FIELDS = frozenset({
    "type", "title", "description", "status", "priority", "owner_id", "start_at", "due_at",
    "end_at", "related", "result",
})  # fmt: skip


class Malformed(Exception):
    """A message the contract refuses; ``reason`` goes with it to the dead letters."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Message:
    message_id: str
    version: int
    type: str
    source: str
    data: dict[str, Any]


def parse_message(body: bytes, content_type: str | None) -> Message:
    """The message in ``body``, or :class:`Malformed` naming the first thing wrong."""
    if content_type and content_type.split(";")[0].strip().lower() != "application/json":
        raise Malformed(f"content_type is {content_type!r}, not application/json")
    if len(body) > MAX_BYTES:
        raise Malformed(f"the body is over {MAX_BYTES} bytes")
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"the body is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise Malformed("the body is not a JSON object")
    message_id = message.get("message_id")
    if not isinstance(message_id, str) or not UUID.match(message_id):
        raise Malformed("message_id: a UUID is required")
    version = message.get("version")
    if isinstance(version, bool) or version not in VERSIONS:
        raise Malformed(f"version: {version!r} is not one of {list(VERSIONS)}")
    kind = message.get("type")
    if kind not in TYPES:
        raise Malformed(f"type: {kind!r} is not one of {list(TYPES)}")
    source = message.get("source")
    if not isinstance(source, str) or not SOURCE.match(source):
        raise Malformed("source: the sending system's name is required (a-z, 0-9, _ . -)")
    data = message.get("data")
    if not isinstance(data, dict) or not data:
        raise Malformed("data: an object of the record's fields is required")
    allowed = LEAD_FIELDS if kind == "lead" else ACTIVITY_FIELDS
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Malformed(f"data: fields not in the contract: {', '.join(unknown)}")
    unknown_top = sorted(set(message) - {"message_id", "version", "type", "source", "sent_at",
                                         "data"})  # fmt: skip
    if unknown_top:
        raise Malformed(f"fields not in the contract: {', '.join(unknown_top)}")
    return Message(message_id.lower(), version, kind, source, data)


def field_reasons(message: str, errors: list[dict[str, Any]]) -> str:
    """A service's ``ValidationFailed`` in one line for the dead letter's reason."""
    fields = "; ".join(f"data.{e.get('field')}: {e.get('message')}" for e in errors or [])
    return f"{message} ({fields})" if fields else message

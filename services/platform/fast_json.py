"""Messages read with orjson: kombu's JSON decoder calls a Python hook for every object
in a message (to bring back the datetimes, decimals and UUIDs its encoder wraps as
``{"__type__": …, "__value__": …}``), which made reading an event of a lead with its
look-alikes cost each of its consumers about five times what orjson does.

:func:`install` keeps kombu's encoder and reads a message with :func:`loads`: orjson when
the message holds no wrapped value (every event — the outbox relay writes plain JSON —
and most RPC messages), kombu's own decoder otherwise, and also for whatever orjson
refuses that the standard library takes (``NaN``, integers past 64 bits)."""

from __future__ import annotations

from typing import Any

import orjson
from kombu import serialization
from kombu.utils import json as kombu_json

_WRAPPED = "__type__"


def loads(data: Any) -> Any:
    """One message's body (str, bytes or a buffer) as Python values, as kombu's
    decoder gives it."""
    if isinstance(data, (memoryview, bytearray)):
        data = bytes(data)
    text_has_wrapped = _WRAPPED.encode() in data if isinstance(data, bytes) else _WRAPPED in data
    if not text_has_wrapped:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return kombu_json.loads(data)


def install() -> None:
    """Read JSON messages in this process with :func:`loads` (kombu's encoder kept)."""
    serialization.registry.register(
        "json",
        kombu_json.dumps,
        loads,
        content_type="application/json",
        content_encoding="utf-8",
    )

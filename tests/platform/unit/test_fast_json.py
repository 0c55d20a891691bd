"""Messages read with orjson (services/platform/fast_json.py) come out as kombu's own
decoder gives them, wrapped values, NaN and huge integers included."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kombu import serialization
from kombu.utils import json as kombu_json

from services.platform import fast_json

EVENT = {
    "id": str(uuid.uuid4()),
    "type": "lead_created",
    "occurred_at": "2026-12-08T04:00:00Z",
    "actor": {"id": None, "email": "ada@osprey.test"},
    "data": {"contact_name": "Анна Смирнова", "score": 40, "budget": 12.5, "tags": [], "x": None},
}


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(EVENT),
        json.dumps(EVENT).encode(),
        memoryview(json.dumps(EVENT).encode()),
        bytearray(json.dumps(EVENT).encode()),
        # kombu's wrapped values: its own decoder brings them back
        kombu_json.dumps(
            {
                "at": datetime(2026, 12, 8, tzinfo=UTC),
                "price": Decimal("12.50"),
                "id": uuid.UUID(int=7),
            }
        ),  # fmt: skip
        # what orjson refuses and the standard library takes
        json.dumps({"n": 2**70, "f": 1.5}),
        '{"note": "a text that says __type__ is fine"}',
    ],
)
def test_the_same_values_as_kombus_decoder(body):
    assert fast_json.loads(body) == kombu_json.loads(body)


def test_nan_as_the_standard_library_reads_it():
    assert math.isnan(fast_json.loads('{"v": NaN}')["v"])


def test_installed_it_reads_every_json_message():
    try:
        fast_json.install()
        body = json.dumps(EVENT).encode()
        assert serialization.loads(body, "application/json", "utf-8") == EVENT
        content_type, encoding, payload = serialization.dumps(EVENT, serializer="json")
        assert (content_type, encoding) == ("application/json", "utf-8")
        assert json.loads(payload) == EVENT
        assert serialization.registry._decoders["application/json"] is fast_json.loads
    finally:
        serialization.register_json()
    assert serialization.registry._decoders["application/json"] is kombu_json.loads

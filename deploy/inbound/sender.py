"""A reference sender for Osprey's inbound bus (docs/inbound.md), as a partner writes
one: plain AMQP with pika, no Nameko, no kombu, nothing of Osprey imported.

It publishes leads and activities to the ``osprey.inbound`` exchange as persistent JSON
messages with publisher confirms (a message the broker did not confirm is not sent),
each with a fresh ``message_id`` unless one is given — send the same id again and Osprey
applies it once. Run::

    python -m deploy.inbound.sender --amqp-uri amqp://guest:guest@127.0.0.1:5672/ \\
        lead '{"contact_name": "Ann Lee", "email": "ann@example.com", "source": "website"}'
    python -m deploy.inbound.sender activity \\
        '{"type": "call", "title": "Inbound call from +1 555 0100", "status": "completed"}'

``--dead`` prints the messages waiting in the dead-letter queue with their reasons
(and takes them off it with ``--take``).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import pika

EXCHANGE = "osprey.inbound"
DEAD_QUEUE = "osprey.inbound.dead"
VERSION = 1


class InboundSender:
    """One connection to the broker; :meth:`send` publishes one message and waits for
    the broker's confirm."""

    def __init__(self, amqp_uri: str, source: str = "reference-sender"):
        self.source = source
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        # the same declaration Osprey makes: whoever starts first creates it
        self.channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self) -> InboundSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def message(self, kind: str, data: dict[str, Any], message_id: str | None = None) -> dict:
        return {
            "message_id": message_id or str(uuid.uuid4()),
            "version": VERSION,
            "type": kind,
            "source": self.source,
            "sent_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "data": data,
        }

    def send_raw(
        self, body: bytes, routing_key: str, content_type: str = "application/json"
    ) -> None:
        """Publish ``body`` as it is (persistent, mandatory, confirmed)."""
        self.channel.basic_publish(
            EXCHANGE,
            routing_key,
            body,
            properties=pika.BasicProperties(content_type=content_type, delivery_mode=2),
            mandatory=True,
        )

    def send(self, kind: str, data: dict[str, Any], message_id: str | None = None) -> str:
        """Publish one ``lead`` or ``activity``; its ``message_id``."""
        message = self.message(kind, data, message_id)
        self.send_raw(json.dumps(message).encode(), f"{kind}.create")
        return message["message_id"]

    def dead_letters(self, take: bool = False) -> list[tuple[str, str, bytes]]:
        """``(reason, routing key, body)`` of each message in the dead-letter queue."""
        found = []
        while True:
            method, properties, body = self.channel.basic_get(DEAD_QUEUE, auto_ack=False)
            if method is None:
                break
            headers = properties.headers or {}
            reason = headers.get("x-osprey-reason", "")
            if isinstance(reason, bytes):
                reason = reason.decode()
            found.append((reason, headers.get("x-osprey-routing-key", ""), body))
            if take:
                self.channel.basic_ack(method.delivery_tag)
        if not take:
            self.channel.basic_recover(requeue=True)
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/%2F")
    parser.add_argument("--source", default="reference-sender")
    parser.add_argument("--message-id")
    parser.add_argument("--dead", action="store_true", help="list the dead letters")
    parser.add_argument("--take", action="store_true", help="with --dead: remove them")
    parser.add_argument("kind", nargs="?", choices=("lead", "activity"))
    parser.add_argument("data", nargs="?", help="the record's fields as a JSON object")
    args = parser.parse_args(argv)
    with InboundSender(args.amqp_uri, args.source) as sender:
        if args.dead:
            for reason, routing_key, body in sender.dead_letters(take=args.take):
                print(f"{routing_key}\t{reason}\t{body[:200]!r}")
            return 0
        if not args.kind or not args.data:
            parser.error("give a kind and its data (or --dead)")
        print(sender.send(args.kind, json.loads(args.data), args.message_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())

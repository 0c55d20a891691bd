"""The inbound bus's refused messages, for an administrator (Administration → Inbound
bus): each kept with its body as it came, its routing key and the reason
(docs/inbound.md), listed newest first, sent again to ``osprey.inbound`` (the partner's
data may be right now: an owner made since, a field the leads service takes now) or
discarded. A message sent again and refused again is a new dead letter.

The consumer thread still publishes each refused message to ``osprey.inbound.dead`` as
well, for the partners' own tools (``python -m deploy.inbound.sender --dead``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import kombu
import sqlalchemy as sa
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from services.platform.errors import EXPECTED, NotFound
from services.platform.events import isoformat, utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import contract
from .channels import require_admin
from .dependencies import SocialBase
from .models import dead_letters

log = logging.getLogger(__name__)

#: the most of a body an answer shows (a body is at most 256 KiB)
SHOWN_BYTES = 64 * 1024
MAX_LIMIT = 200


def keep(db: Any, body: bytes, content_type: str | None, routing_key: str, reason: str) -> str:
    """Keep a refused message (no commit); its id."""
    message_id = None
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("message_id"), str):
            message_id = parsed["message_id"][:100]
    except (ValueError, UnicodeDecodeError):
        pass
    letter_id = new_id()
    db.execute(
        dead_letters.insert().values(
            id=letter_id,
            message_id=message_id,
            routing_key=(routing_key or "")[:255],
            content_type=(content_type or None) and content_type[:255],
            body=bytes(body),
            reason=reason,
            received_at=utcnow(),
        )
    )
    return letter_id


def dump(row: Any) -> dict[str, Any]:
    body = bytes(row.body)
    return {
        "id": str(row.id),
        "message_id": row.message_id,
        "routing_key": row.routing_key,
        "content_type": row.content_type,
        "reason": row.reason,
        "received_at": isoformat(row.received_at),
        "size": len(body),
        "body": body[:SHOWN_BYTES].decode("utf-8", errors="replace"),
    }


class InboundPublisher(DependencyProvider):
    """Publishes a message to the inbound exchange as a partner would."""

    def setup(self) -> None:
        self.uri = self.container.config[AMQP_URI_CONFIG_KEY]

    def get_dependency(self, worker_ctx: Any) -> InboundPublisher:
        return self

    def publish(self, body: bytes, content_type: str | None, routing_key: str) -> None:
        exchange = kombu.Exchange(contract.EXCHANGE, "topic", durable=True)
        with kombu.Connection(self.uri) as connection:
            kombu.Producer(connection.channel()).publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                content_type=content_type or "application/octet-stream",
                content_encoding="binary",
                delivery_mode=2,
                declare=[exchange],
                retry=True,
            )


def _letter(db: Any, letter_id: Any, *, lock: bool = False) -> Any:
    if not is_uuid(letter_id):
        raise NotFound("No such refused message")
    statement = sa.select(dead_letters).where(dead_letters.c.id == letter_id)
    row = db.execute(statement.with_for_update() if lock else statement).first()
    if row is None:
        raise NotFound("No such refused message")
    return row


class DeadLettersRpc(SocialBase):
    """``list_dead_letters``, ``get_dead_letter``, ``resend_dead_letter``,
    ``discard_dead_letter`` (administrators only)."""

    inbound_publisher = InboundPublisher()

    @rpc(expected_exceptions=EXPECTED)
    def list_dead_letters(
        self, actor: dict[str, Any], limit: Any = 50, before: Any = None
    ) -> dict[str, Any]:
        """The refused messages, newest first: ``{items: [{id, message_id, routing_key,
        content_type, reason, received_at, size, body}], next_cursor}`` (``body``: its
        first 64 KiB as text). ``before``: a page's ``next_cursor``. Raises
        ``PermissionDenied`` (not an administrator), ``ValidationFailed``."""
        require_admin(actor)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
            raise failed("limit", f"must be 1 to {MAX_LIMIT}")
        if before is not None and not is_uuid(before):
            raise failed("cursor", "not a cursor of this list")
        statement = sa.select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit + 1)
        if before is not None:
            statement = statement.where(dead_letters.c.id < before)
        with self.db.reading() as conn:
            rows = conn.execute(statement).all()
        items = [dump(row) for row in rows[:limit]]
        more = len(rows) > limit
        return {"items": items, "next_cursor": items[-1]["id"] if more and items else None}

    @rpc(expected_exceptions=EXPECTED)
    def get_dead_letter(self, letter_id: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """One refused message. Raises ``NotFound``, ``PermissionDenied``."""
        require_admin(actor)
        return dump(_letter(self.db, letter_id))

    @rpc(expected_exceptions=EXPECTED)
    def resend_dead_letter(self, letter_id: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """Publish the message again to ``osprey.inbound`` with its routing key, its
        body untouched, and forget it here: the bus applies it, or refuses it again as a
        new dead letter. Returns ``{id, resent_at}``. Raises ``NotFound``,
        ``PermissionDenied``."""
        caller = require_admin(actor)
        row = _letter(self.db, letter_id, lock=True)
        self.db.execute(dead_letters.delete().where(dead_letters.c.id == row.id))
        self.inbound_publisher.publish(bytes(row.body), row.content_type, row.routing_key)
        self.db.commit()  # published first: a failed publish keeps the letter
        log.info("inbound bus: dead letter %s sent again by %s", row.id, caller.id)
        return {"id": str(row.id), "resent_at": isoformat(utcnow())}

    @rpc(expected_exceptions=EXPECTED)
    def discard_dead_letter(self, letter_id: Any, actor: dict[str, Any]) -> None:
        """Forget a refused message. Raises ``NotFound``, ``PermissionDenied``."""
        caller = require_admin(actor)
        row = _letter(self.db, letter_id, lock=True)
        self.db.execute(dead_letters.delete().where(dead_letters.c.id == row.id))
        self.db.commit()
        log.info("inbound bus: dead letter %s discarded by %s", row.id, caller.id)

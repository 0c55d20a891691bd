"""Messages page by page as analytics keeps them from mail's events: what its read
models are rebuilt from (``osprey analytics rebuild``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import isoformat
from services.platform.exports import MAX_PAGE, check_exporter, unknown_entity
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from .dependencies import MailBase
from .models import links, messages

ENTITIES = ("email",)


def dump_email(row: Any) -> dict[str, Any]:
    """A message as its ``email_received`` (or ``email_sent``) and ``email_linked``
    events tell it together: whom it counts for, when, which way, and whether it is
    linked to a record."""
    out = {
        "id": row.id,
        "direction": row.direction,
        "sent_at": isoformat(row.sent_at),
        "mailbox_id": row.mailbox_id,
        "user_id": row.user_id,
        "team_id": row.team_id,
    }
    if row.linked:
        out["linked"] = "yes"
    return out


class ExportsRpc(MailBase):
    """``export_records``: administrators and the system only."""

    @rpc(expected_exceptions=EXPECTED)
    def export_records(
        self,
        entity: str,
        after: str | None = None,
        limit: int = 500,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """``{items, next_after}``: messages (``email``) in id order after the id
        ``after``, as analytics keeps them from their events."""
        check_exporter(actor)
        if entity not in ENTITIES:
            raise unknown_entity(entity, list(ENTITIES))
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                "Bad page size", [{"field": "limit", "message": f"must be 1..{MAX_PAGE}"}]
            )
        if after is not None and not is_uuid(after):
            raise ValidationFailed("Bad cursor", [{"field": "after", "message": "must be an id"}])
        linked = sa.exists().where(links.c.message_id == messages.c.id).label("linked")
        statement = sa.select(
            messages.c.id,
            messages.c.direction,
            messages.c.sent_at,
            messages.c.mailbox_id,
            messages.c.user_id,
            messages.c.team_id,
            linked,
        )
        if after is not None:
            statement = statement.where(messages.c.id > after)
        rows = self.db.execute(statement.order_by(messages.c.id).limit(limit)).all()
        self.db.rollback()
        items = [dump_email(row) for row in rows]
        return {"items": items, "next_after": str(rows[-1].id) if len(rows) == limit else None}

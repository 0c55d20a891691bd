"""Mail on the records' timelines: an ``email`` activity per linked or sent message.

The mail service emits ``email_linked`` when links are added to a message,
``email_unlinked`` when one is removed by hand and ``email_sent`` when one goes out
(docs/events.md). Each message is ONE completed ``email`` activity (its subject the
title, its date the start and completion, its direction, Message-ID and thread key kept
beside it), ``related`` to the most specific linked record and shown on every linked
record's timeline through its links; the linked contacts take part. A later event about
the same message updates that activity (one linked to nothing any more is deleted). What
the activity holds follows the message's ``visibility`` (docs/integrations.md).
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.access import Actor
from services.platform.events import utcnow
from services.platform.idempotency import idempotent

from . import activities_store, domain, email_activities_store
from .dependencies import SalesBase


class EmailActivitiesHandlers(SalesBase):
    """Event handlers that keep the timeline's email activities."""

    @event_handler("mail", "email_linked")
    @idempotent
    def handle_email_linked(self, event: dict[str, Any]) -> None:
        """Record the message (every link it has now, ``all_links``) as its activity."""
        self._record_email(event, links_key="all_links")

    @event_handler("mail", "email_sent")
    @idempotent
    def handle_email_sent(self, event: dict[str, Any]) -> None:
        """Record the sent message (outgoing, the records it was sent from) as its activity."""
        self._record_email(event, links_key="links")

    @event_handler("mail", "email_unlinked")
    @idempotent
    def handle_email_unlinked(self, event: dict[str, Any]) -> None:
        """Take the removed link (``links``) off the message's activity; one linked to
        nothing any more is deleted (``activity_deleted``)."""
        removed = domain.read_email_event(event.get("data"), links_key="links")
        drop = frozenset(removed.links) if removed is not None else frozenset()
        self._record_email(event, links_key="all_links", drop=drop)

    def _record_email(
        self,
        event: dict[str, Any],
        *,
        links_key: str,
        drop: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        message = domain.read_email_event(event.get("data"), links_key=links_key)
        if message is None:  # names no message: nothing to record (the claim is kept)
            self.db.commit()
            return
        actor = event.get("actor") or {}
        created_by = actor.get("id") if domain.is_uuid(actor.get("id")) else Actor.system().id
        record, changed = email_activities_store.record_message(
            self.db, message, created_by=created_by, now=utcnow(), drop=drop
        )
        if changed == ["deleted"]:
            self.db.emit("activity_deleted", record, actor=event.get("actor"))
        elif changed is None or changed:
            result = activities_store.dump_activity(self.db, record)
            if changed is None:
                self.db.emit("activity_created", result, actor=event.get("actor"))
            else:
                self.db.emit(
                    "activity_updated",
                    {**result, "changed_fields": changed},
                    actor=event.get("actor"),
                )
        self.db.commit()

"""What the feed learns from the other services' events.

* identity's ``user_created``/``user_updated``/``team_created``/``team_updated``/
  ``team_deleted`` keep the people read
  model (handles for mentions, team members);
* the owning services' record events keep ``record_refs`` (owner, team, title: who
  may read a record's posts) and make the record's owner follow it;
* ``lead_assigned``, ``opportunity_stage_changed``, ``opportunity_won``,
  ``order_status_changed`` (to ``shipped``) and ``invoice_overdue`` become system
  posts on the record (when enabled in ``system_post_settings``), built from the
  event's data alone, and notify the record's owner;
* the ``activity_*`` events keep the activity's ref, record and participants
  (:mod:`.activity_refs`), and ``activity_created`` / ``activity_completed`` of an
  activity made in Osprey for a record (not an email) post on the activity — seen by
  whoever reads the activity, in its record's feed — and notify its owner.

Every handler is idempotent: a redelivered event changes nothing twice. A record event's
whole effect (its ref and the owner's subscription) is one statement with the event's
claim in it, run alone in autocommit (``@idempotent_alone``: one round trip); the other
handlers are ``@idempotent``, and a system post also carries its event's id (unique),
so it can never be posted twice.
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.events import event_handler

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound
from services.platform.events import isoformat
from services.platform.idempotency import idempotent, idempotent_alone
from services.platform.rpc import rpc

from . import activity_refs, directory, domain, posts_store, record_shares, store
from .base import FeedBase
from .schemas import invalid

log = logging.getLogger(__name__)


class HandlersMixin(FeedBase):
    """Event handlers, system post settings and mention suggestions."""

    # -- people -----------------------------------------------------------------------

    @event_handler("identity", "user_created")
    @idempotent
    def handle_user_created(self, event: dict[str, Any]) -> None:
        directory.upsert_user(self.db, event.get("data") or {})
        self.db.commit()

    @event_handler("identity", "user_updated")
    @idempotent
    def handle_user_updated(self, event: dict[str, Any]) -> None:
        directory.upsert_user(self.db, event.get("data") or {})
        self.db.commit()

    @event_handler("identity", "team_created")
    @idempotent
    def handle_team_created(self, event: dict[str, Any]) -> None:
        directory.upsert_team(self.db, event.get("data") or {})
        self.db.commit()

    @event_handler("identity", "team_updated")
    @idempotent
    def handle_team_updated(self, event: dict[str, Any]) -> None:
        """A renamed team is mentioned by its new handle."""
        directory.upsert_team(self.db, event.get("data") or {})
        self.db.commit()

    @event_handler("identity", "team_deleted")
    @idempotent
    def handle_team_deleted(self, event: dict[str, Any]) -> None:
        """A deleted team is offered for mentions no more (earlier mentions keep its id)."""
        directory.delete_team(self.db, (event.get("data") or {}).get("id"))
        self.db.commit()

    # -- records ----------------------------------------------------------------------

    def _ref_deleted(self, record_type: str, event: dict[str, Any]) -> None:
        """A deleted record keeps its last owner and team: its posts stay as private as
        the record was (dropping the ref would make them shared)."""
        record = event.get("data") or {}
        if isinstance(record, dict):
            store.upsert_ref(self.db, record_type, record, follow=False)
        self.db.commit()

    @event_handler("leads", "lead_created")
    @idempotent_alone
    def handle_lead_created(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "lead", event.get("data"))

    @event_handler("leads", "lead_updated")
    @record_shares.idempotent_ref
    def handle_lead_updated(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "lead", event.get("data"))

    @event_handler("leads", "lead_deleted")
    @idempotent
    def handle_lead_deleted(self, event: dict[str, Any]) -> None:
        self._ref_deleted("lead", event)

    @event_handler("sales", "opportunity_created")
    @idempotent_alone
    def handle_opportunity_created(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "opportunity", event.get("data"))

    @event_handler("sales", "opportunity_updated")
    @record_shares.idempotent_ref
    def handle_opportunity_updated(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "opportunity", event.get("data"))

    @event_handler("sales", "opportunity_deleted")
    @idempotent
    def handle_opportunity_deleted(self, event: dict[str, Any]) -> None:
        self._ref_deleted("opportunity", event)

    @event_handler("sales", "account_created")
    @idempotent_alone
    def handle_account_created(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "account", event.get("data"))

    @event_handler("sales", "account_updated")
    @record_shares.idempotent_ref
    def handle_account_updated(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "account", event.get("data"))

    @event_handler("sales", "contact_created")
    @idempotent_alone
    def handle_contact_created(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "contact", event.get("data"))

    @event_handler("sales", "contact_updated")
    @record_shares.idempotent_ref
    def handle_contact_updated(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "contact", event.get("data"))

    @event_handler("orders", "order_placed")
    @idempotent_alone
    def handle_order_placed(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "order", event.get("data"))

    @event_handler("orders", "order_updated")
    @record_shares.idempotent_ref
    def handle_order_updated(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "order", event.get("data"))

    @event_handler("orders", "invoice_created")
    @idempotent_alone
    def handle_invoice_created(self, event: dict[str, Any]) -> Any:
        return store.ref_alone(self.db, "invoice", event.get("data"))

    @event_handler("orders", "invoice_updated")
    @record_shares.idempotent_ref
    def handle_invoice_updated(self, event: dict[str, Any]) -> Any:
        """An invoice given to another owner or team (its other changes leave the ref
        as it was but for the title)."""
        return store.ref_alone(self.db, "invoice", event.get("data"))

    # -- system posts -----------------------------------------------------------------

    def _system_post(self, event: dict[str, Any], *, notify_kind: str = "system") -> None:
        """The event's system post on its record (if enabled), and the owner's notification."""
        event_type = event.get("type") or ""
        data = event.get("data") or {}
        built = domain.system_post_text(event_type, data)
        setting = store.system_post_setting(self.db, event_type)
        if built is not None:
            text, record_type, record = built
            owner = store.upsert_ref(self.db, record_type, record)
            if (setting is None or setting.enabled) and domain.is_uuid(record.get("id")):
                plain = domain.system_post_plain(event_type, data)
                self._post_system(
                    event, setting, text, record_type, record, owner, notify_kind, plain
                )
        store.commit(self.db)

    def _post_system(
        self,
        event: dict[str, Any],
        setting: Any,
        text: str,
        record_type: str,
        record: dict[str, Any],
        owner: str | None,
        notify_kind: str,
        plain: tuple[list[str], str] | None = None,
    ) -> None:
        if domain.is_uuid(event.get("id")) and posts_store.posted_for_event(self.db, event["id"]):
            return
        row = posts_store.insert_post(
            self.db,
            self.identity,
            text=text,
            channel_id=None,
            related_type=record_type,
            related_id=record["id"],
            author_id=None,
            kind="system",
            event_type=event.get("type"),
            source_event_id=event.get("id") if domain.is_uuid(event.get("id")) else None,
            attachment_ids=[],
            shows_fields=plain[0] if plain else None,
            plain_text=plain[1] if plain else None,
        )
        # Also announced in the configured channel, when it still exists.
        if (
            setting is not None
            and setting.channel_id
            and store.channel_exists(self.db, setting.channel_id)
        ):
            posts_store.insert_post(
                self.db,
                self.identity,
                text=f"{text} ({domain.record_link(record_type, record['id'])})",
                channel_id=setting.channel_id,
                related_type=None,
                related_id=None,
                author_id=None,
                kind="system",
                event_type=event.get("type"),
                attachment_ids=[],
                shows_fields=plain[0] if plain else None,
                plain_text=f"{plain[1]} ({domain.record_link(record_type, record['id'])})"
                if plain
                else None,
            )
        by = (event.get("actor") or {}).get("id")
        if owner:
            # the owner reads the record's fields their role shows (identity says which)
            if plain and posts_store.hides_from_user(self.identity, owner, record_type, plain[0]):
                text = plain[1]
            store.notify(
                self.db,
                owner,
                notify_kind,
                text.replace("**", ""),
                related=(record_type, record["id"]),
                post_id=row.id,
                actor_id=by if domain.is_uuid(by) else None,
            )

    @event_handler("leads", "lead_assigned")
    @idempotent
    def handle_lead_assigned(self, event: dict[str, Any]) -> None:
        self._system_post(event, notify_kind="assignment")

    @event_handler("sales", "opportunity_stage_changed")
    @idempotent
    def handle_opportunity_stage_changed(self, event: dict[str, Any]) -> None:
        self._system_post(event)

    @event_handler("sales", "opportunity_won")
    @idempotent
    def handle_opportunity_won(self, event: dict[str, Any]) -> None:
        self._system_post(event)

    @event_handler("orders", "order_status_changed")
    @idempotent
    def handle_order_status_changed(self, event: dict[str, Any]) -> None:
        order = (event.get("data") or {}).get("order")
        if isinstance(order, dict):
            store.upsert_ref(self.db, "order", order)
        self._system_post(event)

    @event_handler("orders", "invoice_overdue")
    @idempotent
    def handle_invoice_overdue(self, event: dict[str, Any]) -> None:
        self._system_post(event)

    # -- activities -------------------------------------------------------------------

    def _activity(self, event: dict[str, Any], *, follow: bool = True) -> None:
        """Keep the activity (:mod:`.activity_refs`); post when its event posts."""
        activity = event.get("data")
        if isinstance(activity, dict) and domain.is_uuid(activity.get("id")):
            activity_refs.keep_activity(self.db, activity, follow=follow)
        self._system_post(event)

    @event_handler("sales", "activity_created")
    @idempotent
    def handle_activity_created(self, event: dict[str, Any]) -> None:
        self._activity(event)

    @event_handler("sales", "activity_updated")
    @idempotent
    def handle_activity_updated(self, event: dict[str, Any]) -> None:
        self._activity(event)

    @event_handler("sales", "activity_completed")
    @idempotent
    def handle_activity_completed(self, event: dict[str, Any]) -> None:
        self._activity(event)

    @event_handler("sales", "activity_deleted")
    @idempotent
    def handle_activity_deleted(self, event: dict[str, Any]) -> None:
        """A deleted activity keeps its last owner, team and participants: its posts
        stay as private as it was."""
        self._activity(event, follow=False)

    # -- settings ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_system_post_settings(self, *, actor: dict[str, Any]) -> dict[str, Any]:
        Actor.from_dict(actor)
        rows = {r.event_type: r for r in store.system_post_settings_rows(self.db)}
        self.db.commit()
        return {
            "items": [
                {
                    "event_type": t,
                    "enabled": rows[t].enabled if t in rows else True,
                    "channel_id": rows[t].channel_id if t in rows else None,
                    "updated_at": isoformat(rows[t].updated_at) if t in rows else None,
                }
                for t in domain.SYSTEM_EVENT_TYPES
            ]
        }

    @rpc(expected_exceptions=EXPECTED)
    def set_system_post_setting(
        self, event_type: str, data: dict[str, Any], *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Turn an event type's system posts on or off, and pick a channel (administrators)."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        if event_type not in domain.SYSTEM_EVENT_TYPES:
            raise NotFound(
                "No such event type", [{"field": "event_type", "message": "no such event type"}]
            )
        if not isinstance(data, dict) or not isinstance(data.get("enabled"), bool):
            raise invalid(domain.Invalid("enabled: must be true or false"))
        if set(data) - {"enabled", "channel_id"}:
            raise invalid(
                domain.Invalid(f"{sorted(set(data) - {'enabled', 'channel_id'})[0]}: unknown field")
            )
        channel_id = data.get("channel_id")
        if channel_id is not None:
            store.channel_row(self.db, channel_id, caller)
        store.put_system_post_setting(self.db, event_type, data["enabled"], channel_id)
        self.db.emit("system_post_setting_changed", {"event_type": event_type, **data}, actor=actor)
        self.db.commit()
        return {"event_type": event_type, "enabled": data["enabled"], "channel_id": channel_id}

    # -- mentions ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def suggest_mentions(self, q: str | None, *, actor: dict[str, Any]) -> dict[str, Any]:
        """At most 10 users and teams whose handle or name starts with ``q``."""
        Actor.from_dict(actor)
        text = (q or "").strip().lstrip("@").lower()[:100]
        if directory.is_empty(self.db):
            directory.sync_directory(self.db, self.identity)
        users, teams = directory.starting_with(self.db, text, 10)
        self.db.commit()
        items = [
            {"type": "user", "id": u.id, "handle": u.handle, "name": u.full_name or u.email}
            for u in users
        ] + [{"type": "team", "id": t.id, "handle": t.handle, "name": t.name} for t in teams]
        return {"items": items[:10]}

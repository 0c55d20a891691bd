"""Activities (tasks, calls, meetings, emails) and their participants: a part of the sales service.

An activity may be about one record (``related_type`` + ``related_id``): a contact,
account or opportunity lives in this service and must exist; a lead or an order
lives in another service, so any UUID is accepted for them. Participants are
contacts (they must exist) and users (identity's, any UUID); they are rows of
``activity_participants`` and travel as ``participants: [{type, id}]``, sorted by
type and id. A user who takes part in an activity may read it (it is on their
"my activities" list) but changes it only with the usual rights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict
from services.platform.events import utcnow
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import activities_store, domain, store
from .dependencies import SalesBase
from .domain import ACTIVITY, DONE_STATUSES
from .schemas import describe_activities, dump_activity_row

RIGHTS = activities_store.RIGHTS


class ActivitiesRpc(SalesBase):
    """Activities (tasks, calls, meetings, emails) and their participants."""

    @rpc(expected_exceptions=EXPECTED)
    def create_activity(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create an activity and emit ``activity_created``.

        ``type`` and ``title`` are required; ``status`` defaults to ``not_started``,
        ``priority`` to ``normal``; owner and team default as for accounts. One made
        ``completed`` (a call logged afterwards) gets ``completed_at`` now. A related
        contact, account or opportunity and contact participants must exist.
        Raises ``ValidationFailed`` (naming every field at fault, e.g.
        ``participants[1].id``), ``PermissionDenied`` (another team, non-admin).
        Called again with the same ``idempotency_key`` it creates nothing and returns
        the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_activity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        RIGHTS.check_writable(caller, data)
        changes = domain.with_defaults(domain.clean_activity(data))
        values = store.new_values(ACTIVITY, changes, caller)
        if values["status"] == "completed":
            values["completed_at"] = values["created_at"]
        errors = domain.activity_errors(values)
        errors += activities_store.link_errors(
            self.db, values, domain.participant_positions(data), related=True
        )
        if errors:
            raise domain.validation_failed(errors)
        record = activities_store.insert(self.db, values)
        result = activities_store.dump_activity(self.db, record)
        self.db.emit("activity_created", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_activity(self, activity_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The activity. Raises ``NotFound`` unless the caller may read it or takes part in it."""
        caller = Actor.from_dict(actor)
        record = activities_store.readable_activity(self.db, activity_id, caller)
        result = activities_store.dump_activity(self.db, record)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_activities(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of the activities the caller may read or takes part in: ``{items, next_cursor}``.

        Filters: type, status, priority, owner_id, team_id, related_type, related_id,
        participant_id (a contact or user taking part), title (contains), start_at,
        due_at, created_at, updated_at (ranges). Sorts: created_at (default
        ``-created_at``), updated_at, due_at, start_at, title. ``q`` matches word
        prefixes of the title. ``purpose: "export"`` takes the export right. Raises
        ``ValidationFailed`` for a bad query (also a filter, sort or search on a field
        hidden from the caller).
        """
        caller = Actor.from_dict(actor)
        page = activities_store.list_activities(self.db, query, caller)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def list_my_activities(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's open activities (owned or taken part in as a user), a page at a time.

        Overdue ones first (the oldest due first), then the upcoming ones by due time,
        the undated last; each item carries ``is_overdue``. ``query``: ``limit``,
        ``cursor``, ``include_done`` (also completed and cancelled ones), ``filter``
        by type, priority, related_type, related_id. Raises ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        query = dict(query or {}) if isinstance(query, Mapping) else query
        include_done = False
        if isinstance(query, dict):
            include_done = domain.parse_flag(query.pop("include_done", None), "include_done")
            if query.get("sort") not in (None, "", "due_at"):
                raise domain.failed("sort", "this list is always in due order")
        now = utcnow()

        def dump(record: Any) -> dict[str, Any]:
            return {**dump_activity_row(record), "is_overdue": domain.is_overdue(record, now)}

        page = activities_store.list_my_activities(
            self.db, query, caller, include_done=include_done, dump=dump
        )
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_activity(
        self,
        activity_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``activity_updated`` (the activity plus ``changed_fields``).

        ``participants`` replaces the whole set. ``status`` cannot become
        ``completed`` here (use ``complete_activity``); moving a completed activity
        to another status reopens it (``completed_at`` cleared). Raises ``NotFound``,
        ``PermissionDenied`` (also for a participant without change rights),
        ``Conflict`` (stale ``expected_version``), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_activity(data)
        positions = domain.participant_positions(data)
        kind = activities_store.kind(self.db)
        record = activities_store.lock(self.db, activity_id, caller, expected_version)
        update = store.plan_update(kind, record, changes, caller)
        changed = update.changed
        errors = domain.update_errors(update.values, changed)
        errors += activities_store.link_errors(
            self.db,
            update.values,
            positions,
            related=bool({"related_type", "related_id"} & set(changed)),
            participants="participants" in changed,
        )
        if errors:
            raise domain.validation_failed(errors)
        if "status" in changed and update.values.get("completed_at") is not None:
            changes["completed_at"] = None  # reopened
            changed.append("completed_at")
        if "participants" in changed:
            activities_store.store_participants(
                self.db, activity_id, changes["participants"], replace=True
            )
        result = store.apply_update(self.db, kind, record, changes, update, actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def complete_activity(
        self,
        activity_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Complete the activity: status ``completed``, ``completed_at`` now, ``result`` if given.

        ``data`` is ``{result?}`` (or None). Emits ``activity_completed`` (the
        activity). Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``,
        ``Conflict`` (already completed or cancelled; stale ``expected_version``).
        Called again with the same ``idempotency_key`` it returns the first answer
        instead of ``Conflict``.
        """
        replay = claim_request(self.db, idempotency_key, "complete_activity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)  # the result, when read-only for the caller
        completion = domain.clean_completion(data)
        record = activities_store.lock(self.db, activity_id, caller, expected_version)
        if record.status in DONE_STATUSES:
            raise Conflict(
                f"The activity is already {record.status}",
                [{"field": "status", "message": f"is already {record.status}"}],
            )
        now = utcnow()
        record.status = "completed"
        record.completed_at = now
        if "result" in completion:
            record.result = completion["result"]
        record.version = record.version + 1
        record.updated_at = now
        self.db.flush()
        result = activities_store.dump_activity(self.db, record)
        self.db.emit("activity_completed", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_activity(
        self, activity_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the activity and its participants; emit ``activity_deleted`` (its last state).

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale ``expected_version``).
        """
        caller = Actor.from_dict(actor)
        record = activities_store.lock(self.db, activity_id, caller, expected_version, op="delete")
        store.delete(self.db, activities_store.kind(self.db), record, actor)
        self.db.commit()

    @rpc
    def describe_activities(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The activity entity's metadata (fields, types, options). Needs no caller."""
        return describe_activities()

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

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from services.platform.events import utcnow
from services.platform.listing import Filter, ListSpec, Sort, fetch_page, parse_query, readable_by
from services.platform.rpc import rpc

from . import domain
from .base import Kind, SalesBase
from .domain import (
    ACTIVITY_PRIORITIES,
    ACTIVITY_STATUSES,
    ACTIVITY_TYPES,
    PARTICIPANT_KINDS,
    RELATED_TYPES,
    Entity,
    EntityField,
)
from .models import Account, Activity, Contact, Opportunity, Participant
from .schemas import describe_entity, wire

# --- the entity ---------------------------------------------------------------------------

ACTIVITY_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField("type", "enum", "Type", options=ACTIVITY_TYPES, required=True, filterable=True),
    EntityField(
        "title",
        "string",
        "Title",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("description", "text", "Description", max_length=10000),
    EntityField("status", "enum", "Status", options=ACTIVITY_STATUSES, filterable=True),
    EntityField("priority", "enum", "Priority", options=ACTIVITY_PRIORITIES, filterable=True),
    EntityField(
        "start_at", "datetime", "Starts", sortable=True, filterable=True, filter_op="range"
    ),
    EntityField("due_at", "datetime", "Due", sortable=True, filterable=True, filter_op="range"),
    EntityField("completed_at", "datetime", "Completed", read_only=True),
    EntityField("result", "text", "Result", max_length=2000),
    EntityField("related_type", "enum", "Related to", options=RELATED_TYPES, filterable=True),
    EntityField("related_id", "uuid", "Related record", filterable=True),
    EntityField("participants", "list", "Participants", items="participant"),
    EntityField("owner_id", "uuid", "Owner", filterable=True, lookup="users"),
    EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
    EntityField("version", "integer", "Version", read_only=True),
    EntityField(
        "created_at",
        "datetime",
        "Created",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    EntityField(
        "updated_at",
        "datetime",
        "Updated",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    EntityField("created_by", "uuid", "Created by", read_only=True),
)
ACTIVITY = Entity("activity", ACTIVITY_FIELDS)

#: Statuses after which an activity is done: not on "my activities", never completed again.
DONE_STATUSES: tuple[str, ...] = ("completed", "cancelled")
#: The related types whose records live in this service (checked); lead and order do not.
LOCAL_RELATED: dict[str, Any] = {"contact": Contact, "account": Account, "opportunity": Opportunity}
MAX_PARTICIPANTS = 100
DEFAULTS: dict[str, str] = {"status": "not_started", "priority": "normal"}

_STORED_FIELDS = tuple(name for name in ACTIVITY.field_names if name != "participants")

ACTIVITY_LIST_SPEC = ListSpec(
    id_column=Activity.id,
    filters={
        "type": Filter(Activity.type, "enum", options=ACTIVITY_TYPES),
        "status": Filter(Activity.status, "enum", options=ACTIVITY_STATUSES),
        "priority": Filter(Activity.priority, "enum", options=ACTIVITY_PRIORITIES),
        "owner_id": Filter(Activity.owner_id, "uuid"),
        "team_id": Filter(Activity.team_id, "uuid"),
        "related_type": Filter(Activity.related_type, "enum", options=RELATED_TYPES),
        "related_id": Filter(Activity.related_id, "uuid"),
        "title": Filter(Activity.title, "contains"),
        "start_at": Filter(Activity.start_at, "datetime"),
        "due_at": Filter(Activity.due_at, "datetime"),
        "created_at": Filter(Activity.created_at, "datetime"),
        "updated_at": Filter(Activity.updated_at, "datetime"),
    },
    sorts={
        "due_at": Sort(Activity.due_at),
        "start_at": Sort(Activity.start_at),
        "created_at": Sort(Activity.created_at, nullable=False),
        "updated_at": Sort(Activity.updated_at, nullable=False),
        "title": Sort(Activity.title, nullable=False),
    },
    default_sort="-created_at",
    search_vector=Activity.search,
)

#: "My activities": always in due order. Ascending ``due_at`` puts the overdue ones
#: (due before now) first, oldest first, then the upcoming ones, and the undated last
#: (NULLs last), so the keyset cursor does not depend on the time of the request.
MY_ACTIVITIES_SPEC = ListSpec(
    id_column=Activity.id,
    filters={
        "type": Filter(Activity.type, "enum", options=ACTIVITY_TYPES),
        "priority": Filter(Activity.priority, "enum", options=ACTIVITY_PRIORITIES),
        "related_type": Filter(Activity.related_type, "enum", options=RELATED_TYPES),
        "related_id": Filter(Activity.related_id, "uuid"),
    },
    sorts={"due_at": Sort(Activity.due_at)},
    default_sort="due_at",
)


def describe_activities() -> dict[str, Any]:
    """The activity entity for ``meta/entities``."""
    return describe_entity(ACTIVITY, "activities", "Activities", "Activity")


# --- rules (pure) -------------------------------------------------------------------------


def clean_participants(value: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``[{type, id}]`` checked: (the participants sorted by type and id, the errors).

    ``type`` is ``contact`` or ``user``, ``id`` a UUID; the same one twice is an error.
    ``null`` is no participants.
    """
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [{"field": "participants", "message": "must be a list of {type, id}"}]
    if len(value) > MAX_PARTICIPANTS:
        message = f"may hold at most {MAX_PARTICIPANTS} participants"
        return [], [{"field": "participants", "message": message}]
    errors: list[dict[str, str]] = []
    clean: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(value):
        where = f"participants[{index}]"
        if not isinstance(item, Mapping):
            errors.append({"field": where, "message": "must be an object {type, id}"})
            continue
        for key in item:
            if key not in ("type", "id"):
                errors.append({"field": f"{where}.{key}", "message": "unknown field"})
        kind, raw_id = item.get("type"), item.get("id")
        if kind not in PARTICIPANT_KINDS:
            message = f"must be one of {', '.join(PARTICIPANT_KINDS)}"
            errors.append({"field": f"{where}.type", "message": message})
            continue
        if not domain.is_uuid(raw_id):
            errors.append({"field": f"{where}.id", "message": "must be a UUID"})
            continue
        key = (kind, str(uuid.UUID(raw_id)))
        if key in seen:
            errors.append({"field": where, "message": "is listed twice"})
            continue
        seen.add(key)
        clean.append({"type": key[0], "id": key[1]})
    return sorted(clean, key=lambda p: (p["type"], p["id"])), errors


def clean_activity(data: Any) -> dict[str, Any]:
    """The writable fields a caller sent (create or update), every problem in one error."""
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object of activity fields")
    rest = {k: v for k, v in data.items() if k != "participants"}
    errors: list[dict[str, str]] = []
    changes: dict[str, Any] = {}
    try:
        changes = domain.clean_changes(ACTIVITY, rest)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if "participants" in data:
        participants, problems = clean_participants(data["participants"])
        errors.extend(problems)
        changes["participants"] = participants
    if errors:
        raise _failed(errors)
    return changes


def participant_positions(data: Any) -> dict[tuple[str, str], int]:
    """Where each participant stood in the caller's list, so an error names that place."""
    positions: dict[tuple[str, str], int] = {}
    items = data.get("participants") if isinstance(data, Mapping) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping) and domain.is_uuid(item.get("id")):
            positions.setdefault((item.get("type"), str(uuid.UUID(item["id"]))), index)
    return positions


def moment(value: Any) -> datetime | None:
    """A stored or wire time as an aware datetime (values mix both during an update)."""
    if value is None or isinstance(value, datetime):
        return value
    return domain.parse_datetime(value)


def activity_errors(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rules an activity as a whole keeps: due ≥ start, related type and id together."""
    errors: list[dict[str, str]] = []
    start, due = moment(values.get("start_at")), moment(values.get("due_at"))
    if start is not None and due is not None and due < start:
        errors.append({"field": "due_at", "message": "must not be before start_at"})
    related_type, related_id = values.get("related_type"), values.get("related_id")
    if related_type is not None and related_id is None:
        errors.append({"field": "related_id", "message": "is required with related_type"})
    if related_id is not None and related_type is None:
        errors.append({"field": "related_type", "message": "is required with related_id"})
    for name in DEFAULTS:
        if values.get(name) is None:
            errors.append({"field": name, "message": "may not be empty"})
    return errors


def is_overdue(record: Any, now: datetime) -> bool:
    """Still to do and due before ``now``."""
    return record.status not in DONE_STATUSES and record.due_at is not None and record.due_at < now


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(message, errors)


def _parse_flag(value: Any, field: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise domain.failed(field, "must be true or false")


# --- the part -----------------------------------------------------------------------------


class ActivitiesRpc(SalesBase):
    """Activities (tasks, calls, meetings, emails) and their participants."""

    def _activities(self) -> Kind:
        """Activities for the shared steps; their dump reads the participants too."""
        return Kind(Activity, ACTIVITY, self._dump_activity)

    @rpc(expected_exceptions=EXPECTED)
    def create_activity(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create an activity and emit ``activity_created``.

        ``type`` and ``title`` are required; ``status`` defaults to ``not_started``,
        ``priority`` to ``normal``; owner and team default as for accounts. One made
        ``completed`` (a call logged afterwards) gets ``completed_at`` now. A related
        contact, account or opportunity and contact participants must exist.
        Raises ``ValidationFailed`` (naming every field at fault, e.g.
        ``participants[1].id``), ``PermissionDenied`` (another team, non-admin).
        """
        caller = Actor.from_dict(actor)
        changes = clean_activity(data)
        for name, default in DEFAULTS.items():
            if changes.get(name) is None:
                changes[name] = default
        values = self._new_values(ACTIVITY, changes, caller)
        if values["status"] == "completed":
            values["completed_at"] = values["created_at"]
        errors = activity_errors(values)
        errors += self._link_errors(values, participant_positions(data), related=True)
        if errors:
            raise _failed(errors)
        participants = values.pop("participants")
        record = Activity(**values)
        self.db.add(record)
        self.db.flush()
        self._store_participants(record.id, participants)
        result = self._dump_activity(record)
        self.db.emit("activity_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_activity(self, activity_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The activity. Raises ``NotFound`` unless the caller may read it or takes part in it."""
        caller = Actor.from_dict(actor)
        result = self._dump_activity(self._readable_activity(activity_id, caller))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_activities(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of the activities the caller may read or takes part in: ``{items, next_cursor}``.

        Filters: type, status, priority, owner_id, team_id, related_type, related_id,
        participant_id (a contact or user taking part), title (contains), start_at,
        due_at, created_at, updated_at (ranges). Sorts: created_at (default
        ``-created_at``), updated_at, due_at, start_at, title. ``q`` matches word
        prefixes of the title. Raises ``ValidationFailed`` for a bad query.
        """
        caller = Actor.from_dict(actor)
        query, participant_ids = self._split_participant_filter(query)
        stmt = sa.select(Activity).where(self._readable(caller))
        if participant_ids:
            stmt = stmt.where(
                Activity.id.in_(
                    sa.select(Participant.activity_id).where(
                        Participant.participant_id.in_(participant_ids)
                    )
                )
            )
        page = fetch_page(self.db, stmt, ACTIVITY_LIST_SPEC, query, self._dump_row)
        self._attach_participants(page["items"])
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
            include_done = _parse_flag(query.pop("include_done", None), "include_done")
            if query.get("sort") not in (None, "", "due_at"):
                raise domain.failed("sort", "this list is always in due order")
        stmt = sa.select(Activity).where(
            sa.or_(Activity.owner_id == caller.id, Activity.id.in_(self._taking_part(caller)))
        )
        if not include_done:
            stmt = stmt.where(Activity.status.not_in(DONE_STATUSES))
        now = utcnow()

        def dump(record: Any) -> dict[str, Any]:
            return {**self._dump_row(record), "is_overdue": is_overdue(record, now)}

        page = fetch_page(self.db, stmt, MY_ACTIVITIES_SPEC, query, dump)
        self._attach_participants(page["items"])
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
        changes = clean_activity(data)
        positions = participant_positions(data)

        def check(values: dict[str, Any], changed: list[str]) -> None:
            errors = activity_errors(values)
            if "status" in changed and values["status"] == "completed":
                message = "use POST /activities/{id}/complete to complete an activity"
                errors.append({"field": "status", "message": message})
            errors += self._link_errors(
                values,
                positions,
                related=bool({"related_type", "related_id"} & set(changed)),
                participants="participants" in changed,
            )
            if errors:
                raise _failed(errors)
            if "status" in changed and values.get("completed_at") is not None:
                changes["completed_at"] = None  # reopened
                changed.append("completed_at")
            if "participants" in changed:
                self._store_participants(activity_id, changes["participants"], replace=True)

        with self._participant_may_not_change(activity_id, caller):
            return self._update(
                self._activities(), activity_id, changes, caller, actor, expected_version, check
            )

    @rpc(expected_exceptions=EXPECTED)
    def complete_activity(
        self,
        activity_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Complete the activity: status ``completed``, ``completed_at`` now, ``result`` if given.

        ``data`` is ``{result?}`` (or None). Emits ``activity_completed`` (the
        activity). Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``,
        ``Conflict`` (already completed or cancelled; stale ``expected_version``).
        """
        caller = Actor.from_dict(actor)
        data = {} if data is None else data
        if not isinstance(data, Mapping):
            raise domain.failed("data", "must be an object {result}")
        unknown = [{"field": str(k), "message": "unknown field"} for k in data if k != "result"]
        if unknown:
            raise _failed(unknown)
        result_text = None
        if "result" in data:
            try:
                result_text = domain.normalize_value(ACTIVITY.by_name["result"], data["result"])
            except domain.Invalid as exc:
                raise domain.failed("result", str(exc)) from None
        expected = domain.parse_expected_version(expected_version)
        with self._participant_may_not_change(activity_id, caller):
            record = self._load(self._activities(), activity_id, caller, for_update=True)
        caller.require_change(record.owner_id, record.team_id)
        self._check_version(ACTIVITY, record, expected)
        if record.status in DONE_STATUSES:
            raise Conflict(
                f"The activity is already {record.status}",
                [{"field": "status", "message": f"is already {record.status}"}],
            )
        now = utcnow()
        record.status = "completed"
        record.completed_at = now
        if "result" in data:
            record.result = result_text
        record.version = record.version + 1
        record.updated_at = now
        self.db.flush()
        result = self._dump_activity(record)
        self.db.emit("activity_completed", result, actor=actor)
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
        with self._participant_may_not_change(activity_id, caller):
            self._delete(self._activities(), activity_id, caller, actor, expected_version)

    @rpc
    def describe_activities(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The activity entity's metadata (fields, types, options). Needs no caller."""
        return describe_activities()

    # --- steps ------------------------------------------------------------------------

    def _dump_row(self, record: Any) -> dict[str, Any]:
        """The stored fields in record order; ``participants`` is filled in by the caller."""
        result: dict[str, Any] = {}
        for name in ACTIVITY.field_names:
            result[name] = [] if name == "participants" else wire(getattr(record, name))
        return result

    def _dump_activity(self, record: Any) -> dict[str, Any]:
        """One activity as it goes on the wire, with its participants."""
        result = self._dump_row(record)
        self._attach_participants([result])
        return result

    def _attach_participants(self, items: list[dict[str, Any]]) -> None:
        """Fill ``participants`` of every item with one query."""
        if not items:
            return
        by_activity: dict[str, list[dict[str, str]]] = {item["id"]: [] for item in items}
        rows = self.db.execute(
            sa.select(Participant.activity_id, Participant.kind, Participant.participant_id)
            .where(Participant.activity_id.in_(list(by_activity)))
            .order_by(Participant.activity_id, Participant.kind, Participant.participant_id)
        ).all()
        for activity_id, kind, participant_id in rows:
            by_activity[activity_id].append({"type": kind, "id": participant_id})
        for item in items:
            item["participants"] = by_activity[item["id"]]

    def _store_participants(
        self, activity_id: str, participants: list[dict[str, str]], *, replace: bool = False
    ) -> None:
        if replace:
            self.db.execute(sa.delete(Participant).where(Participant.activity_id == activity_id))
        if participants:
            self.db.execute(
                sa.insert(Participant),
                [
                    {"activity_id": activity_id, "kind": p["type"], "participant_id": p["id"]}
                    for p in participants
                ],
            )

    def _link_errors(
        self,
        values: Mapping[str, Any],
        positions: Mapping[tuple[str, str], int],
        *,
        related: bool,
        participants: bool = True,
    ) -> list[dict[str, str]]:
        """Links into this service that name no record: the related one, contact participants."""
        errors: list[dict[str, str]] = []
        related_type, related_id = values.get("related_type"), values.get("related_id")
        model = LOCAL_RELATED.get(related_type or "")
        if related and model is not None and related_id is not None:
            found = self.db.execute(
                sa.select(model.id).where(model.id == related_id)
            ).scalar_one_or_none()
            if found is None:
                errors.append({"field": "related_id", "message": f"no such {related_type}"})
        contact_ids = [p["id"] for p in values.get("participants") or [] if p["type"] == "contact"]
        if participants and contact_ids:
            found_ids = set(
                self.db.execute(sa.select(Contact.id).where(Contact.id.in_(contact_ids))).scalars()
            )
            for contact_id in contact_ids:
                if contact_id not in found_ids:
                    index = positions.get(("contact", contact_id))
                    where = "participants" if index is None else f"participants[{index}].id"
                    errors.append({"field": where, "message": "no such contact"})
        return errors

    @staticmethod
    def _taking_part(caller: Actor) -> Any:
        return sa.select(Participant.activity_id).where(
            Participant.kind == "user", Participant.participant_id == caller.id
        )

    def _readable(self, caller: Actor) -> Any:
        """Who reads an activity: the usual owner/team rights, and its user participants."""
        rights = readable_by(caller, Activity.owner_id, Activity.team_id)
        if caller.is_admin or not domain.is_uuid(caller.id):
            return rights
        return sa.or_(rights, Activity.id.in_(self._taking_part(caller)))

    def _takes_part(self, activity_id: str, caller: Actor) -> bool:
        if not domain.is_uuid(activity_id) or not domain.is_uuid(caller.id):
            return False
        found = self.db.execute(
            sa.select(Participant.activity_id).where(
                Participant.activity_id == activity_id,
                Participant.kind == "user",
                Participant.participant_id == caller.id,
            )
        ).first()
        return found is not None

    def _readable_activity(self, activity_id: str, caller: Actor) -> Any:
        try:
            return self._load(self._activities(), activity_id, caller)
        except NotFound:
            if self._takes_part(activity_id, caller):
                return self.db.get(Activity, activity_id)
            raise

    @contextmanager
    def _participant_may_not_change(self, activity_id: str, caller: Actor) -> Iterator[None]:
        """A participant who may not change the activity hears 403, not 404: they can see it."""
        try:
            yield
        except NotFound:
            if self._takes_part(activity_id, caller):
                raise PermissionDenied("You may not change this activity") from None
            raise

    def _split_participant_filter(self, query: Any) -> tuple[Any, list[str]]:
        """``filter[participant_id]`` taken out of the query (it needs a subquery)."""
        if not isinstance(query, Mapping) or not isinstance(query.get("filter"), Mapping):
            return query, []
        filters = dict(query["filter"])
        raw = filters.pop("participant_id", None)
        rest = {**query, "filter": filters}
        if raw is None:
            return rest, []
        values = raw if isinstance(raw, list | tuple) else [raw]
        errors: list[dict[str, str]] = []
        if not values:
            errors.append({"field": "filter[participant_id]", "message": "give at least one value"})
        bad = [v for v in values if not domain.is_uuid(v)]
        if bad:
            errors.append(
                {"field": "filter[participant_id]", "message": f"{bad[0]!r} is not a UUID"}
            )
        try:
            parse_query(rest, ACTIVITY_LIST_SPEC)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        if errors:
            raise _failed(errors)
        return rest, [str(uuid.UUID(v)) for v in values]

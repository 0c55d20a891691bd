"""Activities and their participants in the database: the lists, who reads an activity,
the participant rows, and whether linked records exist.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.list_filters import filter_condition
from services.platform.listing import Filter, ListSpec, Sort, fetch_page, parse_query

from . import access, domain
from .domain import (
    ACTIVITY,
    ACTIVITY_PRIORITIES,
    ACTIVITY_SOURCES,
    ACTIVITY_STATUSES,
    ACTIVITY_TYPES,
    DONE_STATUSES,
    RELATED_TYPES,
)
from .models import (
    Account,
    Activity,
    ActivityEmail,
    ActivityLink,
    Contact,
    Opportunity,
    Participant,
)
from .schemas import dump_activity_row
from .store import Kind

RIGHTS = access.ACTIVITIES

#: The related types whose records live in this service (checked); lead and order do not.
LOCAL_RELATED: dict[str, Any] = {"contact": Contact, "account": Account, "opportunity": Opportunity}

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
        "source": Filter(Activity.source, "enum", options=ACTIVITY_SOURCES),
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


def kind(db: Any) -> Kind:
    """Activities for the shared record steps; their dump reads the participants too."""
    return Kind(Activity, ACTIVITY, lambda record: dump_activity(db, record), RIGHTS)


def dump_activity(db: Any, record: Any) -> dict[str, Any]:
    """One activity as it goes on the wire, with its participants."""
    result = dump_activity_row(record)
    attach_participants(db, [result])
    attach_emails(db, [result])
    return result


def attach_participants(db: Any, items: list[dict[str, Any]]) -> None:
    """Fill ``participants`` of every item with one query."""
    if not items:
        return
    by_activity: dict[str, list[dict[str, str]]] = {item["id"]: [] for item in items}
    rows = db.execute(
        sa.select(Participant.activity_id, Participant.kind, Participant.participant_id)
        .where(Participant.activity_id.in_(list(by_activity)))
        .order_by(Participant.activity_id, Participant.kind, Participant.participant_id)
    ).all()
    for activity_id, kind_, participant_id in rows:
        by_activity[activity_id].append({"type": kind_, "id": participant_id})
    for item in items:
        item["participants"] = by_activity[item["id"]]


def attach_emails(db: Any, items: list[dict[str, Any]]) -> None:
    """Give every email activity among ``items`` its ``email``: ``{id, message_id,
    thread_key, direction, visibility, links: [{type, id}]}`` (the web app threads by
    ``thread_key`` and opens the message by ``id``, the mail service's). One query each."""
    ids = [item["id"] for item in items if item.get("type") == "email"]
    if not ids:
        return
    emails = {
        row.activity_id: row
        for row in db.execute(
            sa.select(ActivityEmail).where(ActivityEmail.activity_id.in_(ids))
        ).scalars()
    }
    links: dict[str, list[dict[str, str]]] = {}
    for activity_id, kind, record_id in db.execute(
        sa.select(ActivityLink.activity_id, ActivityLink.record_type, ActivityLink.record_id)
        .where(ActivityLink.activity_id.in_(list(emails)))
        .order_by(ActivityLink.activity_id, ActivityLink.record_type, ActivityLink.record_id)
    ).all():
        links.setdefault(activity_id, []).append({"type": kind, "id": record_id})
    for item in items:
        email = emails.get(item["id"])
        if email is not None:
            item["email"] = {
                "id": email.email_id,
                "message_id": email.message_id,
                "thread_key": email.thread_key,
                "direction": email.direction,
                "visibility": email.visibility,
                "links": links.get(item["id"], []),
            }


def insert(db: Any, values: dict[str, Any]) -> Any:
    """Add the activity (``values`` without ``participants``) and its participant rows."""
    participants = values.pop("participants")
    record = Activity(**values)
    db.add(record)
    db.flush()
    store_participants(db, record.id, participants)
    return record


def store_participants(
    db: Any, activity_id: str, participants: list[dict[str, str]], *, replace: bool = False
) -> None:
    """Write the participant rows (``replace``: instead of the activity's current ones)."""
    if replace:
        db.execute(sa.delete(Participant).where(Participant.activity_id == activity_id))
    if participants:
        db.execute(
            sa.insert(Participant),
            [
                {"activity_id": activity_id, "kind": p["type"], "participant_id": p["id"]}
                for p in participants
            ],
        )


def link_errors(
    db: Any,
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
        found = db.execute(sa.select(model.id).where(model.id == related_id)).scalar_one_or_none()
        if found is None:
            errors.append({"field": "related_id", "message": f"no such {related_type}"})
    contact_ids = [p["id"] for p in values.get("participants") or [] if p["type"] == "contact"]
    if participants and contact_ids:
        found_ids = set(
            db.execute(sa.select(Contact.id).where(Contact.id.in_(contact_ids))).scalars()
        )
        for contact_id in contact_ids:
            if contact_id not in found_ids:
                where = domain.participant_place(positions, contact_id)
                errors.append({"field": where, "message": "no such contact"})
    return errors


def taking_part(caller: Actor) -> Any:
    """The ids of the activities the caller takes part in as a user (a subquery)."""
    return sa.select(Participant.activity_id).where(
        Participant.kind == "user", Participant.participant_id == caller.id
    )


def readable(caller: Actor) -> Any:
    """Who reads an activity: the read scope of the caller's roles, and its user
    participants."""
    rights = RIGHTS.readable(caller, Activity.id, Activity.owner_id, Activity.team_id)
    if caller.read_scope(RIGHTS.entity) == "all" or not domain.is_uuid(caller.id):
        return rights
    return sa.or_(rights, Activity.id.in_(taking_part(caller)))


def takes_part(db: Any, activity_id: str, caller: Actor) -> bool:
    """Whether the caller is one of the activity's user participants."""
    if not domain.is_uuid(activity_id) or not domain.is_uuid(caller.id):
        return False
    found = db.execute(
        sa.select(Participant.activity_id).where(
            Participant.activity_id == activity_id,
            Participant.kind == "user",
            Participant.participant_id == caller.id,
        )
    ).first()
    return found is not None


def readable_activity(db: Any, activity_id: str, caller: Actor) -> Any:
    """The activity the caller may read or takes part in; otherwise ``NotFound``
    (``PermissionDenied`` when their roles do not read activities at all)."""
    try:
        return RIGHTS.load(db, Activity, activity_id, caller)
    except NotFound:
        if takes_part(db, activity_id, caller):
            return db.get(Activity, activity_id)
        raise


def lock(
    db: Any, activity_id: str, caller: Actor, expected_version: Any, *, op: str = "update"
) -> Any:
    """The activity under a row lock for a change (as :func:`.store.lock`, ``op``: update
    or delete); a participant who may not change it hears 403, not 404: they can see it."""
    with participant_may_not_change(db, activity_id, caller):
        return RIGHTS.load_for_change(db, Activity, activity_id, caller, expected_version, op=op)


@contextmanager
def participant_may_not_change(db: Any, activity_id: str, caller: Actor) -> Iterator[None]:
    """A participant who may not change the activity hears 403, not 404: they can see it."""
    try:
        yield
    except NotFound:
        if takes_part(db, activity_id, caller):
            raise PermissionDenied("You may not change this activity") from None
        raise


def list_activities(db: Any, query: Any, caller: Actor) -> dict[str, Any]:
    """A page of the activities the caller may read or takes part in, with participants
    and without the fields hidden from the caller; ``purpose: "export"`` takes the
    export right."""
    query = RIGHTS.take_purpose(caller, query)
    RIGHTS.check_query(caller, query)
    query, participant_ids = split_participant_filter(query)
    query, about = split_related_filter(query)
    stmt = sa.select(Activity).where(readable(caller))
    if about is not None:
        stmt = stmt.where(about)
    if participant_ids:
        stmt = stmt.where(
            Activity.id.in_(
                sa.select(Participant.activity_id).where(
                    Participant.participant_id.in_(participant_ids)
                )
            )
        )
    page = fetch_page(db, stmt, ACTIVITY_LIST_SPEC, query, dump_activity_row)
    attach_participants(db, page["items"])
    attach_emails(db, page["items"])
    return RIGHTS.visible_page(caller, page)


def list_my_activities(
    db: Any, query: Any, caller: Actor, *, include_done: bool, dump: Any
) -> dict[str, Any]:
    """A page of the caller's activities (owned or taken part in as a user), due first,
    without the fields hidden from the caller."""
    caller.require(RIGHTS.entity, "read")
    RIGHTS.check_query(caller, query)
    stmt = sa.select(Activity).where(
        sa.or_(Activity.owner_id == caller.id, Activity.id.in_(taking_part(caller)))
    )
    if not include_done:
        stmt = stmt.where(Activity.status.not_in(DONE_STATUSES))
    page = fetch_page(db, stmt, MY_ACTIVITIES_SPEC, query, dump)
    attach_participants(db, page["items"])
    attach_emails(db, page["items"])
    return RIGHTS.visible_page(caller, page)


def split_participant_filter(query: Any) -> tuple[Any, list[str]]:
    """``filter[participant_id]`` taken out of the query (it needs a subquery); the rest
    of the query is checked too, so every problem is reported at once."""
    rest, participant_ids, errors = domain.participant_filter(query)
    if rest is query:
        return query, []
    if errors or participant_ids:
        try:
            parse_query(rest, ACTIVITY_LIST_SPEC)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise domain.validation_failed(errors)
    return rest, participant_ids


def split_related_filter(query: Any) -> tuple[Any, Any]:
    """``filter[related_id]`` (with ``filter[related_type]``, if given) taken out of the
    query: the condition that an activity is about one of those records or linked to it
    (an email shows on every record it is linked to, ``activity_links``), or None."""
    filters = query.get("filter") if isinstance(query, Mapping) else None
    if not isinstance(filters, Mapping) or "related_id" not in filters:
        return query, None
    parsed = parse_query(query, ACTIVITY_LIST_SPEC).filters
    rest = {
        **query,
        "filter": {k: v for k, v in filters.items() if k not in ("related_type", "related_id")},
    }
    types, ids = parsed.get("related_type"), parsed["related_id"]
    own = filter_condition(ACTIVITY_LIST_SPEC.filters["related_id"], ids)
    if types is not None:
        own = sa.and_(filter_condition(ACTIVITY_LIST_SPEC.filters["related_type"], types), own)
    present = [i for i in ids if i is not None]
    if not present:
        return rest, own
    linked = sa.select(ActivityLink.activity_id).where(ActivityLink.record_id.in_(present))
    if types is not None:
        linked = linked.where(ActivityLink.record_type.in_([t for t in types if t is not None]))
    return rest, sa.or_(own, Activity.id.in_(linked))


def move_lead_activities(db: Any, kept_id: str, merged_ids: list[str]) -> None:
    """Activities about any of the merged leads are now about the kept lead."""
    db.execute(
        sa.update(Activity)
        .where(Activity.related_type == "lead", Activity.related_id.in_(merged_ids))
        .values(related_id=kept_id)
    )

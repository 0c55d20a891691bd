"""The lead record's reads and writes: loading under the caller's rights, the one-statement
insert, stage changes, saving with its events, deleting, the list.

Every function takes the session ``db`` first and none commits: the entrypoint
commits, so a change and its outbox event become durable together. The statements a
create or a read runs every time are made once, with bind parameters (building one
per call costs more than running it), and a new lead is written and dumped as a
plain object, never an ORM instance: the hot path of every form, import and API
create (docs/architecture.md, "The hot path of a create").
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from services.platform import records
from services.platform.access import Actor
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.listing import (
    Filter,
    ListSpec,
    Lookup,
    Sort,
    after_first_word,
    fetch_page,
)
from services.platform.values import is_uuid, parse_expected_version

from . import access, domain
from .models import Lead, StageChange
from .schemas import dump_lead, dump_stage_change

_LEAD_BY_ID = sa.select(Lead).where(Lead.id == sa.bindparam("lead_id"))
_LEAD_FOR_UPDATE = _LEAD_BY_ID.with_for_update()
_LEAD_ROW = sa.select(*(Lead.__table__.c[name] for name in domain.FIELD_NAMES)).where(
    Lead.__table__.c.id == sa.bindparam("lead_id")
)
#: The columns a new lead is written with (the computed ones are the database's).
_LEAD_COLUMNS = tuple(c.name for c in Lead.__table__.columns if c.computed is None)
#: A new lead and its first stage change (from nothing to its stage), one statement.
_INSERT_LEAD = sa.text(
    f"WITH lead AS (INSERT INTO {Lead.__table__.fullname} ({', '.join(_LEAD_COLUMNS)})"
    f" VALUES ({', '.join(f':{c}' for c in _LEAD_COLUMNS)}) RETURNING id, stage)"
    f" INSERT INTO {StageChange.__table__.fullname}"
    " (id, lead_id, from_stage, to_stage, action, changed_by, changed_at)"
    " SELECT :history_id, lead.id, NULL, lead.stage, :action, :created_by, :created_at"
    " FROM lead"
).bindparams(
    *(sa.bindparam(c.name, type_=c.type) for c in Lead.__table__.columns if c.computed is None)
)

# The stage sorts in the order the process moves through, not alphabetically.
_STAGE_POSITION = sa.case(
    {stage: position for position, stage in enumerate(domain.STAGES)}, value=Lead.stage
)
_LIST_COLUMNS = tuple(Lead.__table__.c[name] for name in domain.FIELD_NAMES)

LIST_SPEC = ListSpec(
    id_column=Lead.id,
    filters={
        "stage": Filter(Lead.stage, "enum", options=domain.STAGES),
        "owner_id": Filter(Lead.owner_id, "uuid"),
        "team_id": Filter(Lead.team_id, "uuid"),
        "source": Filter(Lead.source, "text"),
        "region": Filter(Lead.region, "text"),
        "channel": Filter(Lead.channel, "text"),
        "need_type": Filter(Lead.need_type, "text"),
        "need_maturity": Filter(Lead.need_maturity, "enum", options=domain.NEED_MATURITIES),
        # stored lower-cased, so searched lower-cased
        "email": Filter(Lead.email, "text", normalize=lambda v: v.strip().lower()),
        "contact_name": Filter(Lead.contact_name, "contains"),
        "account_name": Filter(Lead.account_name, "contains"),
        "created_at": Filter(Lead.created_at, "datetime"),
        "updated_at": Filter(Lead.updated_at, "datetime"),
        # the leads that reached a stage, whether they are in it now or went on (the
        # funnel's drill-down): their stage history has a move into it (leads_0011)
        "reached_stage": Filter(
            StageChange.to_stage,
            "enum",
            options=domain.STAGES,
            record_id=StageChange.lead_id,
            on=Lead.id,
        ),
    },
    sorts={
        "created_at": Sort(Lead.created_at, nullable=False),
        "updated_at": Sort(Lead.updated_at, nullable=False),
        "contact_name": Sort(Lead.contact_name),
        "account_name": Sort(Lead.account_name),
        "score": Sort(Lead.score),
        "stage": Sort(_STAGE_POSITION, nullable=False),
    },
    default_sort="-created_at",
    # the search box (docs/architecture.md, "Lists at a million rows"): each kind of
    # text through its own index (leads_0009)
    search_emails=(Lookup(Lead.email),),
    search_phones=(Lookup(Lead.phone_key),),
    search_prefixes=(
        Lookup(sa.func.lower(Lead.contact_name)),
        Lookup(sa.func.lower(after_first_word(Lead.contact_name))),
        Lookup(sa.func.lower(Lead.account_name)),
    ),
    count_total=True,
)


# --- reading ---------------------------------------------------------------------------


def load_lead(db: Any, lead_id: Any, caller: Actor, *, for_update: bool = False) -> Lead:
    """The lead the caller may read (their roles read leads, and its record scope or a
    share lets them); otherwise ``NotFound`` (the same for both). ``for_update`` holds
    its row lock until commit."""
    caller.require(access.ENTITY, "read")
    # An id that is not a UUID names no lead; asking PostgreSQL would only fail.
    if not is_uuid(lead_id):
        raise records.not_found("lead")
    stmt = _LEAD_FOR_UPDATE if for_update else _LEAD_BY_ID
    lead = db.execute(stmt, {"lead_id": lead_id}).scalar_one_or_none()
    # A lead the caller may not read is reported exactly like a missing one.
    if lead is None or not access.may_read(db, caller, lead):
        raise records.not_found("lead")
    return lead


def read_lead(db: Any, lead_id: Any, caller: Actor) -> sa.Row[Any]:
    """The lead's row if the caller may read it, read in autocommit (for an entrypoint
    that only reads it); otherwise ``NotFound``, as :func:`load_lead`."""
    caller.require(access.ENTITY, "read")
    rows = db.read(_LEAD_ROW, {"lead_id": lead_id}) if is_uuid(lead_id) else []
    if not rows:
        raise records.not_found("lead")
    row = rows[0]
    if not caller.can_read(row.owner_id, row.team_id, access.ENTITY) and not any(
        db.read(_SHARED, {**_share_params(caller), "lead_id": lead_id})
    ):
        raise records.not_found("lead")
    return row


#: whether a lead is shared with a user or their team, in autocommit (a read)
_SHARED = sa.text(
    "SELECT 1 FROM leads.lead_shares WHERE record_id = CAST(:lead_id AS uuid)"
    " AND (user_id = CAST(:me AS uuid) OR team_id = CAST(:my_team AS uuid)) LIMIT 1"
)


def _share_params(caller: Actor) -> dict[str, Any]:
    return {
        "me": caller.id if is_uuid(caller.id) else None,
        "my_team": caller.team_id if is_uuid(caller.team_id) else None,
    }


def load_lead_for_change(
    db: Any, lead_id: Any, caller: Actor, expected_version: Any, *, op: str = "update"
) -> Lead:
    """The lead under a row lock, once the caller may change it and the version the
    caller expects (``If-Match``) is the stored one: the version check and the change
    are one step. ``op``: the object right it takes (``update``, or ``delete``, which a
    share for editing does not give)."""
    caller.require(access.ENTITY, op)
    expected = parse_expected_version(expected_version)
    lead = load_lead(db, lead_id, caller, for_update=True)
    require_change(db, caller, lead, shared=op != "delete")
    records.check_version("lead", lead.version, expected)
    return lead


def require_change(db: Any, caller: Actor, lead: Lead, *, shared: bool = True) -> None:
    """``PermissionDenied`` unless the lead's write scope lets the caller change it (or,
    with ``shared``, it is shared with them for editing)."""
    access.ACCESS.require_change(db, caller, lead, shared=shared)


def lock_lead(db: Any, lead_id: str, *, skip_locked: bool = False) -> Lead | None:
    """The lead under a row lock whoever may read it (for the service's own work), or
    None: missing, or (``skip_locked``) held by another transaction."""
    return db.execute(
        sa.select(Lead).where(Lead.id == lead_id).with_for_update(skip_locked=skip_locked)
    ).scalar_one_or_none()


def list_leads(db: Any, caller: Actor, query: dict[str, Any] | None) -> dict[str, Any]:
    """A page of the leads the caller may read (``LIST_SPEC``): by the read scope of
    their roles, and those shared with them."""
    caller.require(access.ENTITY, "read")
    access.check_query(caller, query)
    readable = access.ACCESS.readable(caller, Lead.id, Lead.owner_id, Lead.team_id)
    # Rows of the columns, not ORM objects; read in autocommit (nothing is written).
    stmt = sa.select(*_LIST_COLUMNS).where(readable)
    with db.reading() as conn:
        return fetch_page(conn, stmt, LIST_SPEC, query, dump_lead)


def stage_history(db: Any, lead_id: str) -> list[dict[str, Any]]:
    """The lead's stage changes, oldest first."""
    changes = db.execute(
        sa.select(StageChange)
        .where(StageChange.lead_id == lead_id)
        .order_by(StageChange.changed_at, StageChange.id)
    ).scalars()
    return [dump_stage_change(c) for c in changes]


# --- writing ---------------------------------------------------------------------------


def insert_lead(db: Any, values: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    """Write a new lead (``values``: :func:`domain.new_lead`'s, scored) and its first
    stage change in one statement, and emit ``lead_created``; the lead as the API
    shows it."""
    db.execute(
        _INSERT_LEAD,
        {**dict.fromkeys(_LEAD_COLUMNS), **values, "history_id": new_id(), "action": "create"},
    )
    result = dump_lead(SimpleNamespace(**{**dict.fromkeys(domain.FIELD_NAMES), **values}))
    db.emit("lead_created", result, actor=actor)
    return result


def change_stage(
    db: Any,
    lead: Lead,
    to_stage: str,
    action: str,
    caller: Actor,
    reason: str | None = None,
) -> dict[str, Any] | None:
    """Move the lead and log it (who, when, from, to, action); the change's event data,
    or None when the lead is in ``to_stage`` already.

    Going back or skipping ahead is allowed; only closed leads are held
    (:func:`domain.check_open`, which callers apply first). The caller saves the lead.
    """
    domain.check_stage(to_stage)
    if lead.stage == to_stage:
        return None
    change = StageChange(
        id=new_id(),
        lead_id=lead.id,
        from_stage=lead.stage,
        to_stage=to_stage,
        action=action,
        reason=reason,
        changed_by=caller.id,
        changed_at=utcnow(),
    )
    db.add(change)
    lead.stage = to_stage
    return {
        "lead_id": lead.id,
        "from_stage": change.from_stage,
        "to_stage": to_stage,
        "action": action,
        "reason": reason,
        "changed_at": change.changed_at,
    }


def save_lead(
    db: Any,
    lead: Lead,
    actor: dict[str, Any] | None,
    changed: list[str],
    *,
    event: str = "lead_updated",
    stage_change: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Bump the version, flush, emit ``lead_stage_changed`` (for a stage change) and
    ``event`` with ``changed_fields``; the lead as sent. ``extra`` joins the event's
    data (a reason, the rule that chose an owner)."""
    lead.version = lead.version + 1
    lead.updated_at = utcnow()
    db.flush()
    result = dump_lead(lead)
    if stage_change is not None:
        db.emit(
            "lead_stage_changed",
            {
                **stage_change,
                "changed_at": isoformat(stage_change["changed_at"]),
                "lead": result,
            },
            actor=actor,
        )
    db.emit(event, {**result, "changed_fields": changed, **(extra or {})}, actor=actor)
    return result


def delete_lead(db: Any, lead: Lead, actor: dict[str, Any]) -> None:
    """Delete the lead for good and emit ``lead_deleted`` with its last state."""
    last_state = dump_lead(lead)
    db.delete(lead)
    db.flush()
    db.emit("lead_deleted", last_state, actor=actor)


def relink_leads(
    db: Any, field: str, merged_id: Any, kept_id: Any, actor: dict[str, Any] | None
) -> int:
    """Leads naming the merged record (``field``: contact_id or account_id) name the kept
    one, each with a new version and its own ``lead_updated``; how many."""
    column = getattr(Lead, field)
    leads = []
    if kept_id and merged_id:
        leads = list(
            db.execute(
                sa.select(Lead).where(column == merged_id).order_by(Lead.id).with_for_update()
            ).scalars()
        )
    now = utcnow()
    for lead in leads:
        setattr(lead, field, kept_id)
        lead.version = lead.version + 1
        lead.updated_at = now
        db.flush()
        db.emit("lead_updated", {**dump_lead(lead), "changed_fields": [field]}, actor=actor)
    return len(leads)

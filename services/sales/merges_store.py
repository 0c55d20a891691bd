"""Merging two accounts or two contacts in the database: lock both, move what points at
the merged one to the kept one, delete it, log the merge.

Functions that take the session ``db`` first; none commits. Which values the kept
record takes is :mod:`.domain`'s rule.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import check_version, not_found

from . import domain, email_activities_store
from .models import (
    Account,
    Activity,
    Career,
    Competitor,
    Contact,
    MergeRecord,
    Opportunity,
    Participant,
)
from .schemas import dump_merge, wire
from .store import Kind


def lock_pair(
    db: Any, kind: Kind, kept_id: Any, merged_id: Any, caller: Actor, expected_version: Any
) -> tuple[Any, Any]:
    """Both records, row-locked in id order (two merges of the same pair cannot
    deadlock), each readable and changeable by the caller: their roles update and
    delete the entity (the merged record goes), its scopes let them."""
    name = kind.entity.name
    rights = kind.access
    caller.require(rights.entity, "update")
    caller.require(rights.entity, "delete")
    expected = domain.parse_expected_version(expected_version)
    if not domain.is_uuid(merged_id):
        raise domain.failed("merged_id", "must be a UUID")
    merged_key = str(uuid.UUID(merged_id))
    kept_key = str(uuid.UUID(kept_id)) if domain.is_uuid(kept_id) else None
    if kept_key == merged_key:
        raise domain.failed("merged_id", f"cannot merge a {name} into itself")
    if kept_key is None:
        raise not_found(name)
    model = kind.model
    rows = db.execute(
        sa.select(model)
        .where(model.id.in_([kept_key, merged_key]))
        .order_by(model.id)
        .with_for_update()
    ).scalars()
    by_id = {row.id: row for row in rows}
    kept, merged = by_id.get(kept_key), by_id.get(merged_key)
    if kept is None or not rights.may_read(db, caller, kept):
        raise not_found(name)
    if merged is None or not rights.may_read(db, caller, merged):
        raise NotFound(
            f"No such {name} to merge", [{"field": "merged_id", "message": f"no such {name}"}]
        )
    rights.require_change(db, caller, kept)
    rights.require_change(db, caller, merged, shared=False)
    check_version(name, kept.version, expected)
    return kept, merged


def is_below(db: Any, account_id: str, roots: set[str]) -> bool:
    """Whether ``account_id`` is one of ``roots`` or below one of them (via parents)."""
    seen: set[str] = set()
    current: str | None = account_id
    while current is not None and current not in seen:
        if current in roots:
            return True
        seen.add(current)
        current = db.execute(
            sa.select(Account.parent_id).where(Account.id == current)
        ).scalar_one_or_none()
    return False


def move_contact_links(db: Any, kept_id: str, merged_id: str) -> dict[str, int]:
    """Point everything that names the merged contact at the kept one; how many moved."""
    careers, careers_dropped = move_careers(db, "contact_id", kept_id, merged_id)
    opportunities = relink(db, Opportunity, Opportunity.contact_id, kept_id, merged_id)
    about = relink_activities(db, "contact", kept_id, merged_id)
    # the emails linked to it show on the kept contact's timeline
    email_activities_store.move_links(db, "contact", kept_id, [merged_id])
    # An activity with both contacts keeps one participant row (the primary key).
    clash = sa.select(Participant.activity_id).where(
        Participant.kind == "contact", Participant.participant_id == kept_id
    )
    dropped = db.execute(
        sa.delete(Participant)
        .where(
            Participant.kind == "contact",
            Participant.participant_id == merged_id,
            Participant.activity_id.in_(clash),
        )
        .returning(Participant.activity_id),
        execution_options={"synchronize_session": False},
    ).scalars()
    dropped_ids = set(dropped)
    moved_ids = set(
        db.execute(
            sa.update(Participant)
            .where(Participant.kind == "contact", Participant.participant_id == merged_id)
            .values(participant_id=kept_id)
            .returning(Participant.activity_id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )
    # Their participant lists changed: a new version, so a stale If-Match fails.
    bump(db, Activity, (dropped_ids | moved_ids) - about)
    return {
        "careers": careers,
        "careers_dropped": careers_dropped,
        "opportunities": opportunities,
        "activities": len(about),
        "activity_participants": len(moved_ids),
        "activity_participants_dropped": len(dropped_ids),
        "merges": relink_merges(db, "contact", kept_id, merged_id),
    }


def move_account_links(db: Any, kept_id: str, merged_id: str) -> dict[str, int]:
    """Point everything that names the merged account at the kept one; how many moved."""
    careers, careers_dropped = move_careers(db, "account_id", kept_id, merged_id)
    contacts = relink(db, Contact, Contact.account_id, kept_id, merged_id)
    children = relink(db, Account, Account.parent_id, kept_id, merged_id, Account.id != kept_id)
    email_activities_store.move_links(db, "account", kept_id, [merged_id])
    opportunities = relink(db, Opportunity, Opportunity.account_id, kept_id, merged_id)
    # Both competitors in one deal: the kept account's entry stays, the other goes.
    kept_deals = sa.select(Competitor.opportunity_id).where(Competitor.account_id == kept_id)
    competitors_dropped = db.execute(
        sa.delete(Competitor).where(
            Competitor.account_id == merged_id, Competitor.opportunity_id.in_(kept_deals)
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    competitors = db.execute(
        sa.update(Competitor).where(Competitor.account_id == merged_id).values(account_id=kept_id),
        execution_options={"synchronize_session": False},
    ).rowcount
    about = relink_activities(db, "account", kept_id, merged_id)
    return {
        "careers": careers,
        "careers_dropped": careers_dropped,
        "contacts": contacts,
        "child_accounts": children,
        "opportunities": opportunities,
        "opportunity_competitors": competitors,
        "opportunity_competitors_dropped": competitors_dropped,
        "activities": len(about),
        "merges": relink_merges(db, "account", kept_id, merged_id),
    }


def move_careers(db: Any, column_name: str, kept_id: str, merged_id: str) -> tuple[int, int]:
    """Careers of the merged record move to the kept one; ``(moved, dropped)``.

    A career that would repeat one of the kept record's exactly (same contact or
    account, title and dates) is dropped; a contact keeps at most one primary.
    """
    by_contact = column_name == "contact_id"
    other = "account_id" if by_contact else "contact_id"
    column = getattr(Career, column_name)

    def careers(owner_id: str) -> list[Career]:
        stmt = sa.select(Career).where(column == owner_id).order_by(Career.created_at, Career.id)
        return list(db.execute(stmt).scalars())

    def key(career: Career) -> tuple[Any, ...]:
        return (getattr(career, other), career.job_title, career.start_date, career.end_date)

    kept_careers, merged_careers = careers(kept_id), careers(merged_id)
    twins = {key(c): c for c in kept_careers}
    kept_primary = by_contact and any(c.is_primary for c in kept_careers)
    moving, demote, promote, dropped = [], [], [], 0
    for career in merged_careers:
        twin = twins.get(key(career))
        if twin is not None:
            db.delete(career)
            dropped += 1
            # An account merge drops a contact's primary career: its twin takes over.
            if career.is_primary and not twin.is_primary and not kept_primary:
                promote.append(twin)
                kept_primary = by_contact
            continue
        if by_contact and career.is_primary:
            if kept_primary:
                demote.append(career)
            kept_primary = True
        moving.append(career)
    # In this order, so at no step a contact has two primary careers.
    db.flush()
    for career in demote:
        career.is_primary = False
    db.flush()
    for career in moving:
        setattr(career, column_name, kept_id)
    for twin in promote:
        twin.is_primary = True
    db.flush()
    return len(moving), dropped


def relink(db: Any, model: Any, column: Any, kept_id: str, merged_id: str, *also: Any) -> int:
    """``column`` = kept where it was merged; each changed row gets a new version."""
    return db.execute(
        sa.update(model)
        .where(column == merged_id, *also)
        .values({column.key: kept_id, "version": model.version + 1, "updated_at": utcnow()}),
        execution_options={"synchronize_session": False},
    ).rowcount


def relink_activities(db: Any, related_type: str, kept_id: str, merged_id: str) -> set[str]:
    """Activities about the merged record are now about the kept one; their ids."""
    return set(
        db.execute(
            sa.update(Activity)
            .where(Activity.related_type == related_type, Activity.related_id == merged_id)
            .values(related_id=kept_id, version=Activity.version + 1, updated_at=utcnow())
            .returning(Activity.id),
            execution_options={"synchronize_session": False},
        ).scalars()
    )


def relink_merges(db: Any, entity: str, kept_id: str, merged_id: str) -> int:
    """What was merged into the merged record earlier now shows in the kept one's log."""
    return db.execute(
        sa.update(MergeRecord)
        .where(MergeRecord.entity == entity, MergeRecord.kept_id == merged_id)
        .values(kept_id=kept_id),
        execution_options={"synchronize_session": False},
    ).rowcount


def bump(db: Any, model: Any, ids: set[str]) -> None:
    """A new version for each of the records ``ids``."""
    if ids:
        db.execute(
            sa.update(model)
            .where(model.id.in_(sorted(ids)))
            .values(version=model.version + 1, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )


def finish_merge(
    db: Any,
    kind: Kind,
    kept: Any,
    merged: Any,
    before: dict[str, Any],
    changes: dict[str, Any],
    moved: dict[str, int],
    caller: Actor,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Delete the merged record, apply ``changes`` to the kept one, log, emit.

    ``before`` is the kept record as it was locked (the changed fields are counted
    against it, also one set already, such as a parent). Emits ``<entity>_merged``
    and, when the kept record's fields changed, ``<entity>_updated``; the kept record
    without the fields hidden from the caller.
    """
    entity = kind.entity
    merged_record = kind.dump(merged)
    db.delete(merged)
    db.flush()
    changed = domain.changed_fields(
        entity, before, {name: wire(value) for name, value in changes.items()}
    )
    domain.check_record(entity, {**before, **changes})
    now = utcnow()
    for name in changed:
        setattr(kept, name, changes[name])
    if changed:
        kept.version = kept.version + 1
        kept.updated_at = now
    db.add(
        MergeRecord(
            id=new_id(),
            entity=entity.name,
            kept_id=kept.id,
            merged_id=merged.id,
            merged_record=merged_record,
            moved=moved,
            merged_by=caller.id,
            merged_at=now,
        )
    )
    db.flush()
    result = kind.dump(kept)
    db.emit(
        f"{entity.name}_merged",
        {
            "kept_id": kept.id,
            "merged_id": merged.id,
            "merged_record": merged_record,
            "moved": moved,
        },
        actor=actor,
    )
    if changed:
        db.emit(f"{entity.name}_updated", {**result, "changed_fields": changed}, actor=actor)
    return kind.access.visible(caller, result)


def merges(db: Any, entity: str, kept_id: str) -> list[dict[str, Any]]:
    """The records merged into ``kept_id``, newest first."""
    rows = db.execute(
        sa.select(MergeRecord)
        .where(MergeRecord.entity == entity, MergeRecord.kept_id == kept_id)
        .order_by(MergeRecord.merged_at.desc(), MergeRecord.id.desc())
    ).scalars()
    return [dump_merge(row) for row in rows]

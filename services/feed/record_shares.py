"""The records' shares as the feed knows them: a read model of the owning services'
``<singular>_shared`` / ``<singular>_unshared`` events (leads, accounts, contacts,
opportunities, activities, orders, invoices), so a record's posts reach whoever the
record is shared with (docs/architecture.md, "Access rights").

A share taken back stays as a row marked ``removed``: events of one share may come
twice or late, and a late ``_shared`` must not bring back a share already taken back
(a share made again later is a new share, with a new id).

Who gets a record's stream items goes by its shares when an item is handed on, not as
they were when it was stored: a share made or taken back writes a
``record_access_changed`` stream item (in seq order with every other item) whose
audience holds the record's shares before and after, so the gateway's hub hands on
every later item by the new shares (even one whose transaction read the old ones),
and whoever gained or lost the record is told — live and in the replay, which reads
every item by the shares as they are now (:func:`current_audiences`).

A record given to another owner or team counts the same way (:func:`reassigned_item`,
queued by ``store.upsert_ref`` when an event brings another owner or team than the
feed knew): a ``record_access_changed`` item whose ``before`` also holds the owner and
team it had, so the hub hands later items on by the new ones and whoever lost or
gained the record is told; the replay reads every item by the record's owner and team
as the feed knows them now.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.audience import OWNER_KEYS
from services.platform.idempotency import claim_event, idempotent

from . import domain, store
from .base import FeedBase
from .models import posts, record_refs, record_shares

#: the stream item that says a record's shares changed (docs/events.md)
ACCESS_CHANGED = "record_access_changed"


def keep_share(db: Any, record_type: str, share: Any, *, removed: bool) -> None:
    """Remember a share (``removed``: taken back) from its event's data."""
    if not isinstance(share, dict) or not domain.is_uuid(share.get("id")):
        return
    record_id = share.get(f"{record_type}_id")
    if not domain.is_uuid(record_id):
        return
    user_id, team_id = share.get("user_id"), share.get("team_id")
    stmt = pg_insert(record_shares).values(
        id=share["id"],
        type=record_type,
        record_id=record_id,
        user_id=user_id if domain.is_uuid(user_id) else None,
        team_id=team_id if domain.is_uuid(team_id) else None,
        removed=removed,
    )
    if removed:
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={"removed": True})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    db.execute(stmt)


def shared_ids(db: Any, record_type: str, record_id: str) -> tuple[list[str], list[str]]:
    """The users and the teams the record is shared with (for reading or editing)."""
    rows = db.execute(
        sa.select(record_shares.c.user_id, record_shares.c.team_id).where(
            record_shares.c.type == record_type,
            record_shares.c.record_id == record_id,
            ~record_shares.c.removed,
        )
    ).all()
    users = sorted({str(r.user_id) for r in rows if r.user_id})
    teams = sorted({str(r.team_id) for r in rows if r.team_id})
    return users, teams


def lock(db: Any, record_id: str) -> None:
    """One record's shares change one at a time (until commit), so what a change finds
    before it is what the change before it left."""
    db.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"feed.shares:{record_id}")))
    )


def access_changed_item(
    db: Any, record_type: str, record_id: str, before: tuple[list[str], list[str]]
) -> None:
    """Queue ``record_access_changed`` when the record's shares are no longer
    ``before`` (their users and teams): its audience ``{"kind": "record_access",
    "record": {type, id, owner_id, team_id, shared_user_ids?, shared_team_ids?},
    "before": {shared_user_ids, shared_team_ids}}`` includes whoever reads the record
    now and did not, or the other way round; its data names the record."""
    users, teams = shared_ids(db, record_type, record_id)
    if (users, teams) == before:
        return
    ref = store.record_ref(db, record_type, record_id)
    ref.pop("title", None)
    if users:
        ref["shared_user_ids"] = users
    if teams:
        ref["shared_team_ids"] = teams
    audience = {
        "kind": "record_access",
        "record": ref,
        "before": {"shared_user_ids": before[0], "shared_team_ids": before[1]},
    }
    store.stream_item(
        db, ACCESS_CHANGED, audience, {"record": {"type": record_type, "id": record_id}}
    )


def reassigned_item(
    db: Any, record_type: str, record_id: str, before: Mapping[str, str | None]
) -> None:
    """Queue ``record_access_changed`` for a record given to another owner or team
    (its ref already holds the new ones): its audience ``{"kind": "record_access",
    "record": {type, id, owner_id, team_id, shared_user_ids?, shared_team_ids?},
    "before": {shared_user_ids, shared_team_ids, owner_id, team_id}}`` (the shares
    unchanged, the owner and team it had) includes whoever reads the record now and
    did not, or the other way round; its data names the record and says
    ``reassigned``."""
    users, teams = shared_ids(db, record_type, record_id)
    ref = store.record_ref(db, record_type, record_id)
    ref.pop("title", None)
    for key in OWNER_KEYS:
        ref[key] = None if ref[key] is None else str(ref[key])
    if users:
        ref["shared_user_ids"] = users
    if teams:
        ref["shared_team_ids"] = teams
    audience = {
        "kind": "record_access",
        "record": ref,
        "before": {
            "shared_user_ids": users,
            "shared_team_ids": teams,
            **{key: before.get(key) for key in OWNER_KEYS},
        },
    }
    data = {"record": {"type": record_type, "id": record_id}, "reassigned": True}
    store.stream_item(db, ACCESS_CHANGED, audience, data)


def idempotent_ref(fn: Callable[..., Any]) -> Callable[..., Any]:
    """As ``idempotent_alone``, for a record's ``<singular>_updated`` handler whose
    ``fn`` returns ``store.ref_alone``'s statement: an event whose ``changed_fields``
    name the owner or the team is kept in a transaction instead (the claim under the
    same name, ``store.upsert_ref`` and ``store.commit``), so a reassignment writes
    its ``record_access_changed``; every other event stays one statement."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(self: Any, event: dict[str, Any]) -> None:
        made = fn(self, event)
        if made is None:
            return
        statement, params = made
        record = event.get("data")
        changed = record.get("changed_fields") if isinstance(record, dict) else None
        if not isinstance(changed, list) or not set(OWNER_KEYS) & set(changed):
            self.db.run_alone(
                statement, {**params, "claim_event_id": event["id"], "claim_handler": name}
            )
            return
        if not claim_event(self.db, event["id"], name):
            self.db.rollback()
            return
        store.upsert_ref(self.db, params["type"], record, follow=params["follow"])
        store.commit(self.db)

    return wrapper


def current_owners(db: Any, records: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The records' owners and teams as the feed knows them now (those it knows)."""
    if not records:
        return {}
    rows = db.execute(
        sa.select(
            record_refs.c.type, record_refs.c.id, record_refs.c.owner_id, record_refs.c.team_id
        ).where(sa.tuple_(record_refs.c.type, record_refs.c.id).in_(sorted(records)))
    ).all()
    return {(row.type, str(row.id)): row for row in rows}


def current_audiences(db: Any, audiences: list[Any]) -> list[Any]:
    """The stream items' audiences with each record's shares, owner and team as they
    are now (a share made or taken back, or the record given to another owner or team,
    after an item was stored counts when it is replayed): two queries for all of
    them."""
    records = {
        (a["record"].get("type"), a["record"].get("id"))
        for a in audiences
        if isinstance(a, dict) and a.get("kind") == "record" and isinstance(a.get("record"), dict)
    }
    records = {(t, i) for t, i in records if t and domain.is_uuid(i)}
    if not records:
        return audiences
    owners = current_owners(db, records)
    rows = db.execute(
        sa.select(
            record_shares.c.type,
            record_shares.c.record_id,
            record_shares.c.user_id,
            record_shares.c.team_id,
        ).where(
            sa.tuple_(record_shares.c.type, record_shares.c.record_id).in_(sorted(records)),
            ~record_shares.c.removed,
        )
    ).all()
    users: dict[tuple[str, str], set[str]] = {}
    teams: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        key = (row.type, str(row.record_id))
        if row.user_id:
            users.setdefault(key, set()).add(str(row.user_id))
        if row.team_id:
            teams.setdefault(key, set()).add(str(row.team_id))
    fresh = []
    for audience in audiences:
        record = audience.get("record") if isinstance(audience, dict) else None
        if audience.get("kind") != "record" or not isinstance(record, dict):
            fresh.append(audience)
            continue
        key = (record.get("type"), str(record.get("id")))
        record = {
            k: v for k, v in record.items() if k not in ("shared_user_ids", "shared_team_ids")
        }
        ref = owners.get(key)
        if ref is not None:
            record["owner_id"] = None if ref.owner_id is None else str(ref.owner_id)
            record["team_id"] = None if ref.team_id is None else str(ref.team_id)
        if users.get(key):
            record["shared_user_ids"] = sorted(users[key])
        if teams.get(key):
            record["shared_team_ids"] = sorted(teams[key])
        fresh.append({**audience, "record": record})
    return fresh


def shared_with_caller(caller: Actor) -> sa.ColumnElement[bool]:
    """SQL: the post's record is shared with the caller or the caller's team."""
    who = []
    if domain.is_uuid(caller.id):
        who.append(record_shares.c.user_id == caller.id)
    if domain.is_uuid(caller.team_id):
        who.append(record_shares.c.team_id == caller.team_id)
    if not who:
        return sa.false()
    return sa.exists().where(
        record_shares.c.type == posts.c.related_type,
        record_shares.c.record_id == posts.c.related_id,
        ~record_shares.c.removed,
        sa.or_(*who),
    )


class RecordSharesHandlers(FeedBase):
    """Keep the shares' read model from the owning services' events."""

    def _share(self, record_type: str, event: dict[str, Any], *, removed: bool) -> None:
        share = event.get("data")
        record_id = share.get(f"{record_type}_id") if isinstance(share, dict) else None
        if not domain.is_uuid(record_id):
            self.db.commit()
            return
        lock(self.db, record_id)
        before = shared_ids(self.db, record_type, record_id)
        keep_share(self.db, record_type, share, removed=removed)
        access_changed_item(self.db, record_type, record_id, before)
        store.commit(self.db)

    @event_handler("leads", "lead_shared")
    @idempotent
    def handle_lead_shared(self, event: dict[str, Any]) -> None:
        self._share("lead", event, removed=False)

    @event_handler("leads", "lead_unshared")
    @idempotent
    def handle_lead_unshared(self, event: dict[str, Any]) -> None:
        self._share("lead", event, removed=True)

    @event_handler("sales", "account_shared")
    @idempotent
    def handle_account_shared(self, event: dict[str, Any]) -> None:
        self._share("account", event, removed=False)

    @event_handler("sales", "account_unshared")
    @idempotent
    def handle_account_unshared(self, event: dict[str, Any]) -> None:
        self._share("account", event, removed=True)

    @event_handler("sales", "contact_shared")
    @idempotent
    def handle_contact_shared(self, event: dict[str, Any]) -> None:
        self._share("contact", event, removed=False)

    @event_handler("sales", "contact_unshared")
    @idempotent
    def handle_contact_unshared(self, event: dict[str, Any]) -> None:
        self._share("contact", event, removed=True)

    @event_handler("sales", "opportunity_shared")
    @idempotent
    def handle_opportunity_shared(self, event: dict[str, Any]) -> None:
        self._share("opportunity", event, removed=False)

    @event_handler("sales", "opportunity_unshared")
    @idempotent
    def handle_opportunity_unshared(self, event: dict[str, Any]) -> None:
        self._share("opportunity", event, removed=True)

    @event_handler("sales", "activity_shared")
    @idempotent
    def handle_activity_shared(self, event: dict[str, Any]) -> None:
        self._share("activity", event, removed=False)

    @event_handler("sales", "activity_unshared")
    @idempotent
    def handle_activity_unshared(self, event: dict[str, Any]) -> None:
        self._share("activity", event, removed=True)

    @event_handler("orders", "order_shared")
    @idempotent
    def handle_order_shared(self, event: dict[str, Any]) -> None:
        self._share("order", event, removed=False)

    @event_handler("orders", "order_unshared")
    @idempotent
    def handle_order_unshared(self, event: dict[str, Any]) -> None:
        self._share("order", event, removed=True)

    @event_handler("orders", "invoice_shared")
    @idempotent
    def handle_invoice_shared(self, event: dict[str, Any]) -> None:
        self._share("invoice", event, removed=False)

    @event_handler("orders", "invoice_unshared")
    @idempotent
    def handle_invoice_unshared(self, event: dict[str, Any]) -> None:
        self._share("invoice", event, removed=True)

"""Who may see an item of the live stream: the rule the feed applies when it stores and
lists items and the gateway applies to every item it relays. Pure; on plain actor dicts
(the gateway's signed-in actor), so the gateway needs no service's code to apply it.

An actor that carries its roles' ``rights`` (docs/architecture.md, "Access rights")
reads a record's posts by the record's entity: the role's object right ``read`` and its
read scope (own, team, all) for that entity, or because the record is shared with them
or their team (a record audience's ``shared_user_ids`` / ``shared_team_ids``, the
owning service's shares as the feed last heard of them). An actor without rights keeps
the default rule (admins everything; others their own, their team's, unowned and
shared records).

A system post's text names its record's fields (a deal's title and amount): its item's
audience carries ``plain`` ``{type, fields, text, html}`` (the record's type), and
:func:`as_seen_by` gives a reader whose role hides any of those fields the text
without them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .access import Actor

#: the feed's record types and the entity whose rights decide who reads them
ENTITY_OF_RECORD_TYPE: dict[str, str] = {
    "lead": "leads",
    "account": "accounts",
    "contact": "contacts",
    "opportunity": "opportunities",
    "activity": "activities",
    "product": "products",
    "order": "orders",
    "invoice": "invoices",
}


def shared_with(
    actor: Mapping[str, Any] | Actor,
    user_ids: Iterable[Any] | None,
    team_ids: Iterable[Any] | None,
) -> bool:
    """Whether a record shared with ``user_ids`` and ``team_ids`` is shared with the
    actor or the actor's team."""
    me = actor.id if isinstance(actor, Actor) else actor.get("id")
    team = actor.team_id if isinstance(actor, Actor) else actor.get("team_id")
    if me and str(me) in {str(u) for u in user_ids or ()}:
        return True
    return bool(team) and str(team) in {str(t) for t in team_ids or ()}


def reads_record(
    caller: Actor,
    record_type: str | None,
    owner_id: str | None,
    team_id: str | None,
    shared: bool = False,
) -> bool:
    """Whether ``caller`` reads a record of this type, owner and team: the entity's
    object right ``read`` and its read scope or ``shared`` (the record is shared with
    the caller or their team); the defaults when the caller carries no rights; a type
    with no entity, the default scope."""
    entity = ENTITY_OF_RECORD_TYPE.get(record_type or "")
    if entity is None:
        return caller.can_read(owner_id, team_id)
    if not caller.may(entity, "read"):
        return False
    return shared or caller.can_read(owner_id, team_id, entity)


def can_read_record(
    actor: Mapping[str, Any],
    owner_id: str | None,
    team_id: str | None,
    record_type: str | None = None,
    shared: bool = False,
) -> bool:
    """``services.platform.access.Actor.can_read`` on a plain actor dict: by the
    record type's entity rights when the actor carries rights, else the defaults;
    ``shared``: the record is shared with the actor or their team."""
    entity = ENTITY_OF_RECORD_TYPE.get(record_type or "")
    rights = actor.get("rights")
    if entity is not None and isinstance(rights, Mapping) and actor.get("id"):
        return reads_record(Actor.from_dict(dict(actor)), record_type, owner_id, team_id, shared)
    roles = actor.get("roles") or ()
    if "admin" in roles or "system" in roles or shared:
        return True
    if owner_id is None and team_id is None:
        return True
    if owner_id is not None and owner_id == actor.get("id"):
        return True
    return team_id is not None and team_id == actor.get("team_id")


def audience_includes(audience: Mapping[str, Any] | None, actor: Mapping[str, Any] | None) -> bool:
    """Whether the signed-in ``actor`` (the gateway's actor dict) may see a stream item.

    ``audience`` is ``{"kind": "all"}`` (a public channel: everybody signed in),
    ``{"kind": "users", "user_ids": [...]}`` (a private channel's members; a
    notification's one user) or ``{"kind": "record", "record": {type, id, owner_id,
    team_id, shared_user_ids?, shared_team_ids?}}`` (a post about a record: whoever
    may read the record, by its scope or a share) or ``{"kind": "record_access",
    "record": {...as above, the owner, team and shares after}, "before":
    {shared_user_ids, shared_team_ids, owner_id?, team_id?}}`` (a record's shares
    changed, or it was given to another owner or team — ``before`` then says whose
    it was: whoever reads it now and did not before, or the other way round).
    Anything else, or no actor, includes nobody.
    """
    if not actor or not actor.get("id") or not isinstance(audience, Mapping):
        return False
    kind = audience.get("kind")
    if kind == "all":
        return True
    if kind == "users":
        return str(actor["id"]) in {str(u) for u in audience.get("user_ids") or ()}
    if kind == "record":
        record = audience.get("record")
        if not isinstance(record, Mapping):
            return False
        return _reads(actor, record, record)
    if kind == "record_access":
        record, before = audience.get("record"), audience.get("before")
        if not isinstance(record, Mapping) or not isinstance(before, Mapping):
            return False
        was = {**record, **{k: before[k] for k in OWNER_KEYS if k in before}}
        return _reads(actor, record, record) != _reads(actor, was, before)
    return False


#: a record's fields that say whose it is (its record scope's owner and team)
OWNER_KEYS = ("owner_id", "team_id")


def _reads(actor: Mapping[str, Any], record: Mapping[str, Any], shares: Mapping[str, Any]) -> bool:
    """Whether the actor reads the record (its type, owner and team) shared as ``shares``
    says (``shared_user_ids``, ``shared_team_ids``)."""
    shared = shared_with(actor, shares.get("shared_user_ids"), shares.get("shared_team_ids"))
    return can_read_record(
        actor, record.get("owner_id"), record.get("team_id"), record.get("type"), shared
    )


def with_shares(audience: Any, shares: Mapping[str, Any] | None) -> Any:
    """A record's audience with its shares replaced by ``shares`` (``shared_user_ids``,
    ``shared_team_ids``; None: as it is) — and its owner and team by ``shares``'
    ``owner_id`` and ``team_id`` where it has them (a record given to another owner or
    team since the item was stored)."""
    if shares is None or not isinstance(audience, Mapping) or audience.get("kind") != "record":
        return audience
    record = audience.get("record")
    if not isinstance(record, Mapping):
        return audience
    fresh = {k: v for k, v in record.items() if k not in ("shared_user_ids", "shared_team_ids")}
    for key in ("shared_user_ids", "shared_team_ids"):
        if shares.get(key):
            fresh[key] = list(shares[key])
    for key in OWNER_KEYS:
        if key in shares:
            fresh[key] = shares[key]
    return {**audience, "record": fresh}


#: the stream items whose data is the post itself (a comment's or a like's is not)
PLAIN_ITEM_TYPES = frozenset({"post_created", "post_updated"})


def hides_any(actor: Mapping[str, Any] | Actor, record_type: str | None, fields: Any) -> bool:
    """Whether the actor's role hides any of ``fields`` of the record type's entity."""
    entity = ENTITY_OF_RECORD_TYPE.get(record_type or "")
    if entity is None or not fields:
        return False
    caller = actor if isinstance(actor, Actor) else Actor.from_dict(dict(actor))
    return bool(caller.hidden(entity) & {str(f) for f in fields})


def as_seen_by(item: dict[str, Any], actor: Mapping[str, Any]) -> dict[str, Any]:
    """The stream item as ``actor`` sees it: a system post's text and html without its
    record's fields (the audience's ``plain``) when the actor's role hides any of them;
    otherwise the item itself."""
    audience = item.get("audience")
    if item.get("type") not in PLAIN_ITEM_TYPES or not isinstance(audience, Mapping):
        return item
    plain = audience.get("plain")
    data = item.get("data")
    if not isinstance(plain, Mapping) or not isinstance(data, Mapping):
        return item
    if not actor.get("rights") or not hides_any(actor, plain.get("type"), plain.get("fields")):
        return item
    seen = {k: v for k, v in item.items() if k != "_sse"}
    seen["data"] = {**data, "text": plain.get("text"), "html": plain.get("html")}
    return seen

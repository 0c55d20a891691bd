"""Who may see an item of the live stream: the rule the feed applies when it stores and
lists items and the gateway applies to every item it relays. Pure; on plain actor dicts
(the gateway's signed-in actor), so the gateway needs no service's code to apply it.

An actor that carries its roles' ``rights`` (docs/architecture.md, "Access rights")
reads a record's posts by the record's entity: the role's object right ``read`` and its
read scope (own, team, all) for that entity. An actor without rights keeps the default
rule (admins everything; others their own, their team's and unowned records)."""

from __future__ import annotations

from collections.abc import Mapping
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


def reads_record(
    caller: Actor, record_type: str | None, owner_id: str | None, team_id: str | None
) -> bool:
    """Whether ``caller`` reads a record of this type, owner and team: the entity's
    object right ``read`` and read scope (the defaults when the caller carries no rights;
    a type with no entity, the default scope)."""
    entity = ENTITY_OF_RECORD_TYPE.get(record_type or "")
    if entity is None:
        return caller.can_read(owner_id, team_id)
    return caller.may(entity, "read") and caller.can_read(owner_id, team_id, entity)


def can_read_record(
    actor: Mapping[str, Any],
    owner_id: str | None,
    team_id: str | None,
    record_type: str | None = None,
) -> bool:
    """``services.platform.access.Actor.can_read`` on a plain actor dict: by the
    record type's entity rights when the actor carries rights, else the defaults."""
    entity = ENTITY_OF_RECORD_TYPE.get(record_type or "")
    rights = actor.get("rights")
    if entity is not None and isinstance(rights, Mapping) and actor.get("id"):
        return reads_record(Actor.from_dict(dict(actor)), record_type, owner_id, team_id)
    roles = actor.get("roles") or ()
    if "admin" in roles or "system" in roles:
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
    team_id}}`` (a post about a record: whoever may read the record). Anything else,
    or no actor, includes nobody.
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
        return can_read_record(
            actor, record.get("owner_id"), record.get("team_id"), record.get("type")
        )
    return False

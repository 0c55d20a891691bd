"""Who may see an item of the live stream: the rule the feed applies when it stores and
lists items and the gateway applies to every item it relays. Pure; on plain actor dicts
(the gateway's signed-in actor), so the gateway needs no service's code to apply it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def can_read_record(actor: Mapping[str, Any], owner_id: str | None, team_id: str | None) -> bool:
    """``services.platform.access.Actor.can_read`` on a plain actor dict."""
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
        return can_read_record(actor, record.get("owner_id"), record.get("team_id"))
    return False

"""Record sharing: a lead shared with a user or a team, for reading or for editing,
beyond the record scope of their roles — a part of the leads service.

Whoever may change a lead by the scope of their roles shares it and takes a share
back; a share for editing lets its holders change the lead (not delete it, nor share
it on). Lists, reads, the search box and look-alike searches honour shares
(:mod:`.access`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform import records
from services.platform.access import Actor
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import access, store
from .dependencies import LeadsBase
from .models import LeadShare

SHARE_ACCESS = ("read", "edit")
_SHARE_FIELDS = ("user_id", "team_id", "access")


def clean_share(data: Any) -> dict[str, Any]:
    """``{user_id | team_id, access}`` checked: exactly one of the two ids, ``access``
    read (the default) or edit. Raises one ``ValidationFailed`` naming every field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "data: must be an object", [{"field": "data", "message": "must be an object"}]
        )
    errors = [
        {"field": str(name), "message": "unknown field"}
        for name in data
        if name not in _SHARE_FIELDS
    ]
    user_id, team_id = data.get("user_id"), data.get("team_id")
    for name, value in (("user_id", user_id), ("team_id", team_id)):
        if value is not None and not is_uuid(value):
            errors.append({"field": name, "message": f"must be a {name[:-3]} id"})
    if (user_id is None) == (team_id is None):
        errors.append({"field": "user_id", "message": "give a user_id or a team_id, not both"})
    share_access = data.get("access", "read")
    if share_access not in SHARE_ACCESS:
        errors.append({"field": "access", "message": "must be read or edit"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return {"user_id": user_id, "team_id": team_id, "access": share_access}


def dump_share(share: Any) -> dict[str, Any]:
    return {
        "id": str(share.id),
        "lead_id": str(share.record_id),
        "user_id": share.user_id and str(share.user_id),
        "team_id": share.team_id and str(share.team_id),
        "access": share.access,
        "created_by": share.created_by and str(share.created_by),
        "created_at": isoformat(share.created_at),
    }


_TABLE = LeadShare.__table__


class SharesRpc(LeadsBase):
    """``list_lead_shares``, ``share_lead``, ``unshare_lead``."""

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_shares(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{"items": [share]}``: whom the lead is shared with, oldest first; each
        ``{id, lead_id, user_id, team_id, access, created_by, created_at}``. Raises
        ``NotFound`` (missing or unreadable lead)."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        rows = self.db.execute(
            sa.select(_TABLE)
            .where(_TABLE.c.record_id == lead.id)
            .order_by(_TABLE.c.created_at, _TABLE.c.id)
        ).all()
        self.db.commit()
        return {"items": [dump_share(row) for row in rows]}

    @rpc(expected_exceptions=EXPECTED)
    def share_lead(
        self, lead_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Share the lead with a user or a team (``{user_id | team_id, access: read |
        edit}``; sharing again with the same one changes its access) and emit
        ``lead_shared``. The caller must be able to change the lead by the scope of
        their roles. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        share = clean_share(data)
        lead = store.load_lead(self.db, lead_id, caller, for_update=True)
        caller.require(access.ENTITY, "update")
        store.require_change(self.db, caller, lead, shared=False)
        target = "user_id" if share["user_id"] else "team_id"
        stmt = pg_insert(_TABLE).values(
            id=new_id(),
            record_id=lead.id,
            **share,
            created_by=caller.id if is_uuid(caller.id) else None,
            created_at=utcnow(),
        )
        row = self.db.execute(
            stmt.on_conflict_do_update(
                index_elements=[_TABLE.c.record_id, _TABLE.c[target]],
                index_where=_TABLE.c[target].isnot(None),
                set_={"access": stmt.excluded.access},
            ).returning(*_TABLE.c)
        ).one()
        result = dump_share(row)
        self.db.emit("lead_shared", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def unshare_lead(self, lead_id: str, share_id: str, actor: dict[str, Any]) -> None:
        """Take a share back and emit ``lead_unshared`` with it. The caller must be able
        to change the lead by the scope of their roles. Raises ``NotFound`` (the lead,
        or no such share of it), ``PermissionDenied``."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller, for_update=True)
        caller.require(access.ENTITY, "update")
        store.require_change(self.db, caller, lead, shared=False)
        row = None
        if is_uuid(share_id):
            row = self.db.execute(
                sa.delete(_TABLE)
                .where(_TABLE.c.id == share_id, _TABLE.c.record_id == lead.id)
                .returning(*_TABLE.c)
            ).first()
        if row is None:
            raise records.not_found("share")
        self.db.emit("lead_unshared", dump_share(row), actor=actor)
        self.db.commit()

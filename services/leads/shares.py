"""Record sharing: a lead shared with a user or a team, for reading or for editing,
beyond the record scope of their roles — a part of the leads service.

Whoever may change a lead by the scope of their roles shares it and takes a share
back; a share for editing lets its holders change the lead (not delete it, nor share
it on). Lists, reads, the search box and look-alike searches honour shares
(:mod:`.access`).
"""

from __future__ import annotations

from typing import Any

from services.platform import records
from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.record_shares import clean_share
from services.platform.rpc import rpc

from . import access, shares_store, store
from .dependencies import LeadsBase


class SharesRpc(LeadsBase):
    """``list_lead_shares``, ``share_lead``, ``unshare_lead``."""

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_shares(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{"items": [share]}``: whom the lead is shared with, oldest first; each
        ``{id, lead_id, user_id, team_id, access, created_by, created_at}``. Raises
        ``NotFound`` (missing or unreadable lead)."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        items = shares_store.list_shares(self.db, lead.id)
        self.db.commit()
        return {"items": items}

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
        result = shares_store.put_share(self.db, lead.id, share, caller.id)
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
        removed = shares_store.delete_share(self.db, lead.id, share_id)
        if removed is None:
            raise records.not_found("share")
        self.db.emit("lead_unshared", removed, actor=actor)
        self.db.commit()

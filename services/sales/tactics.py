"""A deal's tactics (SWOT entries) and competitors: a part of the sales service.

Reading them takes the rights to read the deal; adding and removing, the rights to
change it.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, store, tactics_store
from .dependencies import SalesBase
from .models import Competitor, Tactic
from .opportunities_store import OPPORTUNITIES
from .schemas import dump_competitor, dump_tactic


class TacticsRpc(SalesBase):
    """The SWOT entries and the competitors of a deal."""

    @rpc(expected_exceptions=EXPECTED)
    def list_tactics(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The deal's SWOT entries by kind (strength, weakness, opportunity, threat)."""
        caller = Actor.from_dict(actor)
        opportunity = store.load(self.db, OPPORTUNITIES, opportunity_id, caller)
        result = tactics_store.tactics(self.db, opportunity.id)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def add_tactic(
        self, opportunity_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a SWOT entry ``{kind, text}``; emit ``opportunity_tactic_added``.

        Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        values = domain.clean_tactic(data)
        opportunity = store.lock(self.db, OPPORTUNITIES, opportunity_id, caller, None)
        tactic = tactics_store.add_tactic(self.db, opportunity.id, values, caller.id)
        result = dump_tactic(tactic)
        self.db.emit("opportunity_tactic_added", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_tactic(self, opportunity_id: str, tactic_id: str, actor: dict[str, Any]) -> None:
        """Remove a SWOT entry; emit ``opportunity_tactic_removed``. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        opportunity = store.lock(self.db, OPPORTUNITIES, opportunity_id, caller, None)
        tactic = tactics_store.part(self.db, Tactic, tactic_id, opportunity.id, "tactic")
        result = dump_tactic(tactic)
        tactics_store.remove(self.db, tactic)
        self.db.emit("opportunity_tactic_removed", result, actor=actor)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def list_competitors(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict]:
        """The competitors in the deal with their offer and our comparison, oldest first."""
        caller = Actor.from_dict(actor)
        opportunity = store.load(self.db, OPPORTUNITIES, opportunity_id, caller)
        result = tactics_store.competitors(self.db, opportunity.id)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def add_competitor(
        self, opportunity_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a competitor {account_id, offer, comparison}; emit ``opportunity_competitor_added``.

        Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed`` (unknown
        account), ``Conflict`` (already a competitor in this deal).
        """
        caller = Actor.from_dict(actor)
        values = domain.clean_competitor(data)
        opportunity = store.lock(self.db, OPPORTUNITIES, opportunity_id, caller, None)
        name = tactics_store.competitor_name(self.db, values["account_id"])
        competitor = tactics_store.add_competitor(self.db, opportunity.id, values, caller.id)
        result = dump_competitor(competitor, name)
        self.db.emit("opportunity_competitor_added", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_competitor(
        self, opportunity_id: str, competitor_id: str, actor: dict[str, Any]
    ) -> None:
        """Remove a competitor from the deal; emit ``opportunity_competitor_removed``."""
        caller = Actor.from_dict(actor)
        opportunity = store.lock(self.db, OPPORTUNITIES, opportunity_id, caller, None)
        competitor = tactics_store.part(
            self.db, Competitor, competitor_id, opportunity.id, "competitor"
        )
        result = dump_competitor(competitor, None)
        tactics_store.remove(self.db, competitor)
        self.db.emit("opportunity_competitor_removed", result, actor=actor)
        self.db.commit()

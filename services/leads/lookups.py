"""The lookups: lead sources, channels, disqualification reasons, need types and deals'
loss reasons — a part of the leads service.

**Lookups** are the configurable lists the web app offers as choices. A lead stores
the chosen *code* as text (its ``source``, ``channel`` and ``disqualification_reason``
stay free text for compatibility), so a code never changes once created, and a code
that leads, web forms or distribution rules use cannot be deleted: deactivate it
instead (it stays valid on the records that have it, and is no longer offered). A
kind with no rows at all gets its defaults back (``domain.DEFAULT_LOOKUPS``); to retire
a default, deactivate it. Everybody signed in reads them; managers and admins
change them.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, lookups_store
from .dependencies import LeadsBase
from .schemas import dump_lookup


class LookupsRpc(LeadsBase):
    """The lookup lists and their entries."""

    @rpc(expected_exceptions=EXPECTED)
    def list_lookups(self, kind: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Every entry of one list, active ones first, then by position and name.

        ``kind`` ∈ source, channel, disqualification_reason, need_type, loss_reason. A
        list with no entries at all gets its defaults back first. Raises ``NotFound``
        for another kind.
        """
        Actor.from_dict(actor)
        domain.check_kind(kind)
        items = [dump_lookup(row) for row in lookups_store.lookups(self.db, kind)]
        self.db.commit()
        return {"items": items, "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def create_lookup(
        self, kind: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add an entry ``{code, name, position?, is_active?}``; emit ``lookup_created``.

        ``code`` is lower_snake_case (``[a-z0-9][a-z0-9_]*``, ≤ 100) and never changes;
        ``position`` defaults to after the last entry. Raises ``PermissionDenied`` (not a
        manager), ``NotFound`` (unknown kind), ``ValidationFailed``, ``Conflict`` (the
        code exists in this list).
        """
        caller = Actor.from_dict(actor)
        domain.check_kind(kind)
        domain.require_manager(caller, "change lookups")
        values = domain.clean_new_lookup(data)
        existing = lookups_store.lookups(self.db, kind)
        result = lookups_store.add_lookup(self.db, kind, values, existing, actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_lookup(
        self,
        kind: str,
        lookup_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change ``name``, ``position`` or ``is_active``; emit ``lookup_updated``.

        The code is fixed (leads store it). A change that changes nothing keeps the
        version and emits nothing. Raises ``PermissionDenied``, ``NotFound``,
        ``ValidationFailed`` (a bad value, or ``code``), ``Conflict`` (stale version).
        """
        caller = Actor.from_dict(actor)
        domain.check_kind(kind)
        domain.require_manager(caller, "change lookups")
        expected = parse_expected_version(expected_version)
        values = domain.clean_lookup(data, domain.LOOKUP_UPDATE_FIELDS)
        lookup = lookups_store.load_lookup(self.db, kind, lookup_id, for_update=True)
        check_version("lookup", lookup.version, expected)
        changed = domain.lookup_changes(lookup, values)
        if not changed:
            result = dump_lookup(lookup)
            self.db.commit()
            return result
        result = lookups_store.update_lookup(self.db, lookup, values, changed, actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_lookup(
        self,
        kind: str,
        lookup_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> None:
        """Delete an entry nothing uses; emit ``lookup_deleted`` with its last state.

        Raises ``Conflict`` when leads, web forms or distribution rules carry its code
        (deactivate it instead: ``is_active`` false) or the version is stale;
        ``PermissionDenied``, ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        domain.check_kind(kind)
        domain.require_manager(caller, "change lookups")
        expected = parse_expected_version(expected_version)
        lookup = lookups_store.load_lookup(self.db, kind, lookup_id, for_update=True)
        check_version("lookup", lookup.version, expected)
        uses = lookups_store.lookup_uses(self.db, kind, lookup.code)
        if uses:
            raise domain.code_in_use(lookup.code, uses)
        lookups_store.delete_lookup(self.db, lookup, actor)
        self.db.commit()

"""Importing leads in batches, each row checked for duplicates: a part of the leads service.

A list or a file of leads (the spreadsheet import, an integration, a migration from
another CRM) arrives as rows of lead fields. Each row is created as ``create_lead``
creates one — scored, stage-logged, ``lead_created`` — and checked against every lead
the caller may read, the rows before it in the same batch included. What happens to a
row with look-alikes is the caller's choice (``on_duplicate``): ``flag`` creates it and
lists them (as a create does), ``skip`` leaves it out and lists them. A row with bad
values is reported with its errors and the other rows go on; the batch is one
transaction, so a failure of the service itself leaves nothing half-imported.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied, ValidationFailed
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import access, domain, duplicates_store, scoring_store, store
from .dependencies import NAME_KEYS, LeadsBase

#: At most this many rows per call (a larger file comes in several batches).
MAX_IMPORT_ROWS = 500
ON_DUPLICATE = ("flag", "skip")


class ImportsRpc(LeadsBase):
    """``import_leads``."""

    @rpc(expected_exceptions=EXPECTED)
    def import_leads(
        self, rows: Any, actor: dict[str, Any], on_duplicate: Any = "flag"
    ) -> dict[str, Any]:
        """Create a lead from each row (a create payload), checking each for duplicates.

        Returns ``{created, skipped, failed, rows: [{row, status, lead_id, similar,
        errors}]}`` in the order given: ``status`` ∈ ``created`` (``lead_id``, its
        look-alikes in ``similar``), ``skipped`` (``on_duplicate="skip"`` and it has
        look-alikes: ``similar``, nothing written), ``failed`` (``errors`` as a
        create's ``ValidationFailed`` or ``PermissionDenied`` would give them).
        A row that sets a field read-only or hidden for the caller's roles fails
        naming it; look-alikes come without the fields hidden from the caller.
        Raises ``ValidationFailed`` when ``rows`` is not a list of 1 to 500 objects or
        ``on_duplicate`` is neither ``flag`` nor ``skip``, ``PermissionDenied`` when
        the caller's roles may not create leads.
        """
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "create")
        actor = {**actor, "via": "import"}  # the audit trail's source of these leads
        if on_duplicate not in ON_DUPLICATE:
            raise failed("on_duplicate", "must be flag or skip")
        if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_IMPORT_ROWS:
            raise failed("rows", f"give a list of 1 to {MAX_IMPORT_ROWS} leads")
        report = [
            self._import_row(number, row, caller, actor, on_duplicate)
            for number, row in enumerate(rows)
        ]
        self.db.commit()
        return {
            status: sum(1 for r in report if r["status"] == status)
            for status in ("created", "skipped", "failed")
        } | {"rows": report}

    def _import_row(
        self, number: int, row: Any, caller: Actor, actor: dict[str, Any], on_duplicate: str
    ) -> dict[str, Any]:
        """One row in a savepoint: created (and its look-alikes), skipped, or failed."""
        entry: dict[str, Any] = {"row": number, "lead_id": None, "similar": [], "errors": []}
        index = self.name_indexes.get(NAME_KEYS)
        savepoint = self.db.begin_nested()
        try:
            if not isinstance(row, dict):
                raise failed("row", "must be an object of lead fields")
            access.check_writable(caller, row)
            if on_duplicate == "skip":
                values = domain.clean_changes(row)
                similar = duplicates_store.lead_candidates(self.db, index, values, caller)
                if similar:
                    savepoint.rollback()
                    similar = access.visible_similar(caller, similar)
                    return {**entry, "status": "skipped", "similar": similar}
            values = domain.new_lead(row, caller, new_id(), utcnow())
            values.update(scoring_store.score_new_lead(self.db, values))
            lead = store.insert_lead(self.db, values, actor)
            similar = duplicates_store.lead_candidates(
                self.db, index, lead, caller, exclude_id=lead["id"]
            )
        except (ValidationFailed, PermissionDenied) as error:
            savepoint.rollback()
            errors = error.errors or [{"field": "", "message": error.message}]
            return {**entry, "status": "failed", "errors": errors}
        savepoint.commit()
        similar = access.visible_similar(caller, similar)
        return {**entry, "status": "created", "lead_id": lead["id"], "similar": similar}

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
from services.platform.rpc import rpc

from . import domain
from .duplicates import DuplicatesRpc

#: At most this many rows per call (a larger file comes in several batches).
MAX_IMPORT_ROWS = 500
ON_DUPLICATE = ("flag", "skip")


class ImportsRpc(DuplicatesRpc):
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
        Raises ``ValidationFailed`` when ``rows`` is not a list of 1 to 500 objects or
        ``on_duplicate`` is neither ``flag`` nor ``skip``.
        """
        caller = Actor.from_dict(actor)
        if on_duplicate not in ON_DUPLICATE:
            raise domain.failed("on_duplicate", "must be flag or skip")
        if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_IMPORT_ROWS:
            raise domain.failed("rows", f"give a list of 1 to {MAX_IMPORT_ROWS} leads")
        report: list[dict[str, Any]] = []
        for number, row in enumerate(rows):
            report.append(self._import_row(number, row, caller, actor, on_duplicate))
        self.db.commit()
        return {
            status: sum(1 for r in report if r["status"] == status)
            for status in ("created", "skipped", "failed")
        } | {"rows": report}

    def _import_row(
        self, number: int, row: Any, caller: Actor, actor: dict[str, Any], on_duplicate: str
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"row": number, "lead_id": None, "similar": [], "errors": []}
        savepoint = self.db.begin_nested()
        try:
            if not isinstance(row, dict):
                raise domain.failed("row", "must be an object of lead fields")
            if on_duplicate == "skip":
                similar = self._lead_candidates(domain.clean_changes(row), caller)
                if similar:
                    savepoint.rollback()
                    return {**entry, "status": "skipped", "similar": similar}
            lead = self._new_lead(row, caller, actor)
            similar = self._lead_candidates(lead, caller, exclude_id=lead["id"])
        except (ValidationFailed, PermissionDenied) as error:
            savepoint.rollback()
            errors = error.errors or [{"field": "", "message": error.message}]
            return {**entry, "status": "failed", "errors": errors}
        savepoint.commit()
        return {**entry, "status": "created", "lead_id": lead["id"], "similar": similar}

"""Creating leads in bulk: a part of the leads service, for spreadsheet imports and
migrations of a million rows.

``create_leads_in_bulk`` takes a batch of up to :data:`MAX_BULK_ROWS` create payloads
and does per batch what ``create_lead`` does per lead: the same rights (the create
right, columns read-only or hidden for the caller's roles refused), the same rules
(``domain.new_lead``), the same scoring, the same first stage change. What makes it
cheap is that the rest is set-based: the duplicate check by the chosen exact keys
(email, phone) is one indexed statement for the whole batch plus a look within the
batch, the leads and their stage changes are written a few hundred per statement, and
the consumers hear one ``leads_imported`` per thousand leads instead of one
``lead_created`` each (docs/events.md). The fuzzy look-alike search by name is not
run: it is a search per row, which ``import_leads`` keeps doing for imports that match
on names.

``delete_leads_in_bulk`` is its counterpart, for the rollback of an import: up to
:data:`MAX_BULK_ROWS` leads by id, each deleted only if the caller may delete it (as
``delete_lead`` decides, record by record), in one statement, announced by one
``leads_deleted`` per thousand leads instead of one ``lead_deleted`` each.
"""

from __future__ import annotations

import uuid
from typing import Any

import eventlet

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied, ValidationFailed
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import access, bulk_store, domain, scoring_store
from .dependencies import LeadsBase

#: At most this many rows per call.
MAX_BULK_ROWS = 5000
#: Rows checked between two chances for the service's other requests to run (a batch
#: is CPU work for a green thread: without them it would hold the process).
YIELD_EVERY = 100
ON_DUPLICATE = ("skip", "create")


class BulkRpc(LeadsBase):
    """``create_leads_in_bulk`` and ``delete_leads_in_bulk``."""

    @rpc(expected_exceptions=EXPECTED)
    def delete_leads_in_bulk(self, lead_ids: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """Delete for good each of the leads the caller may delete, in one transaction.

        Each lead is judged as ``delete_lead`` judges it: one the caller may not read
        (or that does not exist, or is not an id) is ``missing``; one they read but
        whose write scope does not let them delete it (a share never does) is
        ``denied``; the others are deleted, with their stage history and shares, and
        announced by ``leads_deleted`` (their last states, a thousand an event). Returns
        ``{deleted, missing: [ids], denied: [ids]}``. Raises ``ValidationFailed`` when
        ``lead_ids`` is not a list of 1 to 5,000 items, ``PermissionDenied`` when the
        caller's roles may not delete leads.
        """
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "delete")
        if not isinstance(lead_ids, list) or not 1 <= len(lead_ids) <= MAX_BULK_ROWS:
            raise failed("lead_ids", f"give a list of 1 to {MAX_BULK_ROWS} lead ids")
        wanted = list(dict.fromkeys(str(uuid.UUID(i)) for i in lead_ids if is_uuid(i)))
        found = {str(row.id): row for row in bulk_store.lock_leads(self.db, wanted)}
        missing = [str(i) for i in lead_ids if not is_uuid(i)]
        allowed, denied = [], []
        for lead_id in wanted:
            row = found.get(lead_id)
            if row is None:
                missing.append(lead_id)
            elif caller.can_change(row.owner_id, row.team_id, access.ENTITY):
                allowed.append(lead_id)
            elif access.may_read(self.db, caller, row):
                denied.append(lead_id)
            else:
                missing.append(lead_id)
        states = bulk_store.delete_leads(self.db, allowed)
        if states:
            bulk_store.emit_deleted(self.db, states, actor)
        self.db.commit()
        return {"deleted": len(states), "missing": missing, "denied": denied}

    @rpc(expected_exceptions=EXPECTED)
    def create_leads_in_bulk(
        self,
        rows: Any,
        actor: dict[str, Any],
        match_on: Any = ("email",),
        on_duplicate: Any = "skip",
    ) -> dict[str, Any]:
        """Create a lead from each row (a create payload) in one transaction.

        ``match_on``: the exact keys a row is matched on, among ``email`` and ``phone``
        (empty: none). With ``on_duplicate="skip"`` a row whose key matches a lead the
        caller may read, or an earlier row of the batch, is not written and answers
        ``matched`` with that lead's id and the key (``by``); ``create`` writes it all
        the same. Returns ``{created, matched, failed, rows: [{status, lead_id, by,
        errors}]}`` in the order given, ``status`` ∈ ``created``, ``matched``,
        ``failed`` (``errors`` as a create's ``ValidationFailed`` or
        ``PermissionDenied`` would give them, e.g. a field read-only or hidden for the
        caller's roles). The new leads are announced by ``leads_imported`` with the
        caller's actor marked ``via: import``. Raises ``ValidationFailed`` when ``rows``
        is not a list of 1 to 5,000 items or an option is bad, ``PermissionDenied`` when
        the caller's roles may not create leads.
        """
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "create")
        actor = {**actor, "via": "import"}
        if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_BULK_ROWS:
            raise failed("rows", f"give a list of 1 to {MAX_BULK_ROWS} leads")
        keys = _match_keys(match_on)
        if on_duplicate not in ON_DUPLICATE:
            raise failed("on_duplicate", "must be skip or create")
        if on_duplicate == "create":
            keys = ()
        results: list[dict[str, Any]] = [{} for _ in rows]
        ids = bulk_store.new_ids(2 * len(rows))
        now = utcnow()
        candidates: list[tuple[int, dict[str, Any]]] = []
        for number, row in enumerate(rows):
            if number % YIELD_EVERY == 0:
                eventlet.sleep(0)  # the service's other requests go on meanwhile
            try:
                if not isinstance(row, dict):
                    raise failed("row", "must be an object of lead fields")
                access.check_writable(caller, row)
                values = domain.new_lead(row, caller, ids[2 * number], now)
            except (ValidationFailed, PermissionDenied) as error:
                errors = error.errors or [{"field": "", "message": error.message}]
                results[number] = {"status": "failed", "errors": errors}
                continue
            values["history_id"] = ids[2 * number + 1]
            candidates.append((number, values))
        new = self._unmatched(candidates, keys, caller, results)
        rules = scoring_store.active_rules(self.db)
        for number, values in enumerate(new):
            if rules and number % YIELD_EVERY == 0:
                eventlet.sleep(0)
            score, reasons = domain.score_lead(
                rules, domain.lead_values(values), values.get("score")
            )
            values["score"], values["score_reasons"] = score, reasons
        if new:
            bulk_store.insert_leads(self.db, new)
            bulk_store.emit_imported(self.db, new, actor)
        self.db.commit()
        counts = {"created": 0, "matched": 0, "failed": 0}
        for result in results:
            counts[result["status"]] += 1
        return {**counts, "rows": results}

    def _unmatched(
        self,
        candidates: list[tuple[int, dict[str, Any]]],
        keys: tuple[str, ...],
        caller: Actor,
        results: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The rows to write; the others' results say what they matched."""
        known = {
            key: bulk_store.existing_matches(
                self.db, caller, key, (values.get(key) for _, values in candidates)
            )
            for key in keys
        }
        new = []
        for number, values in candidates:
            match = None
            for key in keys:
                value = values.get(key)
                if value and value in known[key]:
                    match = (known[key][value], key)
                    break
            if match is not None:
                results[number] = {"status": "matched", "lead_id": match[0], "by": match[1]}
                continue
            for key in keys:  # the rows after it with the same key match this lead
                if values.get(key):
                    known[key][values[key]] = values["id"]
            results[number] = {"status": "created", "lead_id": values["id"]}
            new.append(values)
        return new


def _match_keys(match_on: Any) -> tuple[str, ...]:
    if isinstance(match_on, str):
        match_on = [match_on]
    if not isinstance(match_on, list | tuple) or any(
        key not in bulk_store.MATCH_KEYS for key in match_on
    ):
        raise failed("match_on", "choose from email, phone")
    return tuple(dict.fromkeys(match_on))

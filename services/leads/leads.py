"""The lead record: create, read, list, change, delete, describe — a part of the leads service.

Creating a lead is the hot path of every form, import and API call: its rules are
checked without a query (``domain.new_lead``), it is scored by the active rules read
once per call (``scoring_store.score_new_lead``), written with its first stage change
in one statement (``store.insert_lead``), and its look-alikes come back with it
(``duplicates_store.lead_candidates``) — never an ORM object on the way.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, domain, duplicates_store, scoring_store, store
from .dependencies import NAME_KEYS, LeadsBase
from .schemas import describe, dump_lead


class LeadsRpc(LeadsBase):
    """The lead record's own methods."""

    @rpc(expected_exceptions=EXPECTED)
    def create_lead(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a lead in stage ``qualification`` and emit ``lead_created``.

        ``owner_id`` defaults to the caller (an explicit null leaves the lead
        unassigned), ``team_id`` to the caller's team. The answer is the lead plus
        ``similar``: the likely duplicates the caller may read (``similar_leads``).
        Raises ``ValidationFailed`` for unknown, read-only or bad fields, a stage
        other than ``qualification``, or none of contact_name, account_name, email,
        phone, or a field read-only or hidden for the caller's roles;
        ``PermissionDenied`` when the caller's roles may not create leads or a
        non-admin names another team. Fields hidden from the caller are left out of
        the answer (and of ``similar``). Called again
        with the same ``idempotency_key`` it creates nothing and returns the first
        answer (``Conflict`` when the key was another request's).
        """
        replay = claim_request(self.db, idempotency_key, "create_lead", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "create")
        access.check_writable(caller, data)
        values = domain.new_lead(data, caller, new_id(), utcnow())
        values.update(scoring_store.score_new_lead(self.db, values))
        lead = store.insert_lead(self.db, values, actor)
        # Look-alikes never block a lead (forms and imports must not lose any); they
        # come back with it, for the user to merge.
        similar = duplicates_store.lead_candidates(
            self.db, self.name_indexes.get(NAME_KEYS), lead, caller, exclude_id=lead["id"]
        )
        result = {
            **access.visible(caller, lead),
            "similar": access.visible_similar(caller, similar),
        }
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_lead(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The lead, without the fields hidden from the caller. Raises ``NotFound`` when
        it does not exist or the caller may not read it (by the read scope of their
        roles or a share), ``PermissionDenied`` when their roles may not read leads."""
        caller = Actor.from_dict(actor)
        return access.visible(caller, dump_lead(store.read_lead(self.db, lead_id, caller)))

    @rpc(expected_exceptions=EXPECTED)
    def list_leads(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the leads the caller may read: ``{"items", "next_cursor", "total",
        "total_is_estimate"}`` (the total on the first page only; docs/rpc.md).

        Filters: stage, owner_id, team_id, source, channel, need_type, need_maturity,
        email. Sorts: created_at (default ``-created_at``), updated_at, contact_name,
        account_name, score, stage (in process order). ``q``: an email or its start
        (it has an ``@``) matches the email, a phone number (7+ significant digits, any
        common spelling) the phone, other text the start of contact_name, of its
        surname (the name from its second word) or of account_name, in any letter
        case. ``purpose: "export"`` (the export of a list) takes the export right.
        The fields hidden from the caller are left out of every item and refused as
        filters, sort and search terms. Raises ``ValidationFailed`` naming the bad
        field (``filter[x]``, ``sort``, ``cursor``, ``limit``, ``q``),
        ``PermissionDenied`` when the caller's roles may not read (export) leads.
        """
        caller = Actor.from_dict(actor)
        if isinstance(query, dict) and "purpose" in query:
            query = dict(query)
            if query.pop("purpose") == "export":
                caller.require(access.ENTITY, "export")
        return access.visible_page(caller, store.list_leads(self.db, caller, query))

    @rpc(expected_exceptions=EXPECTED)
    def update_lead(
        self,
        lead_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``lead_updated`` (the full lead plus ``changed_fields``).

        A change that changes nothing keeps the version and emits nothing.
        Raises ``NotFound`` (missing or unreadable), ``PermissionDenied`` (the
        caller's roles may not update leads, the write scope does not reach it and it
        is not shared with them for editing, or a non-admin moves it to another
        team), ``Conflict`` (``expected_version`` is stale; nothing changes),
        ``ValidationFailed`` (bad fields, or fields read-only or hidden for the
        caller's roles).
        """
        caller = Actor.from_dict(actor)
        access.check_writable(caller, data)
        changes = domain.clean_changes(data)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version)
        domain.check_open(lead.stage)
        current = dump_lead(lead)
        changed = domain.changed_fields(current, changes)
        domain.check_lead_change(current, changes, changed, caller)
        if not changed:
            self.db.commit()  # ends the transaction that held the row lock
            return access.visible(caller, current)
        stage_change = None
        if "stage" in changed:
            stage_change = store.change_stage(self.db, lead, changes["stage"], "manual", caller)
        for name in changed:
            setattr(lead, name, changes[name])
        changed = scoring_store.rescore(self.db, lead, changed)
        result = store.save_lead(self.db, lead, actor, changed, stage_change=stage_change)
        self.db.commit()
        return access.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def delete_lead(
        self, lead_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the lead for good and emit ``lead_deleted`` with its last state.

        Raises ``NotFound``, ``PermissionDenied`` (the caller's roles may not delete
        leads, or the write scope does not reach it: a share does not let anyone
        delete), ``Conflict`` (stale ``expected_version``; nothing is deleted),
        ``ValidationFailed`` (a bad ``expected_version``).
        """
        caller = Actor.from_dict(actor)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version, op="delete")
        store.delete_lead(self.db, lead, actor)
        self.db.commit()

    @rpc
    def describe_leads(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The lead entity's metadata: ``{name, label, fields: [{name, type, label,
        required, read_only, options, filterable, sortable, ...}]}``. Needs no caller;
        ``actor`` is accepted and ignored so callers may pass it like everywhere else."""
        return describe()

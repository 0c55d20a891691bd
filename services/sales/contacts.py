"""Contacts and their careers (places of work): a part of the sales service.

The SQL is in :mod:`.contacts_store` and the shared record steps in :mod:`.store`; the
rules in :mod:`.domain`.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, accounts_store, contacts_store, domain, duplicates_store, store
from .contacts_store import CONTACTS
from .dependencies import SalesBase
from .domain import CONTACT
from .schemas import describe_contacts, dump_contact

RIGHTS = access.CONTACTS


def new_contact_values(db: Any, data: Any, caller: Actor) -> dict[str, Any]:
    """A new contact's values from a create payload, its account checked; the fields the
    caller may not write (column rights) refused."""
    RIGHTS.check_writable(caller, data)
    changes = domain.clean_changes(CONTACT, data)
    values = store.new_values(CONTACT, changes, caller)
    accounts_store.check_account_exists(db, values.get("account_id"), "account_id")
    return values


class ContactsRpc(SalesBase):
    """Contacts, their careers and their likely duplicates."""

    @rpc(expected_exceptions=EXPECTED)
    def create_contact(
        self,
        data: dict[str, Any],
        actor: dict[str, Any],
        allow_duplicates: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create a contact and emit ``contact_created``.

        ``full_name`` is required; ``account_id`` must name an existing account;
        at most one email and one phone may be primary. Owner and team default as
        for accounts. Raises ``ValidationFailed``, ``PermissionDenied``, and
        ``DuplicatesFound`` (a ``Conflict``; nothing is written) when contacts the
        caller may read look like this one, unless ``allow_duplicates`` is true.
        Called again with the same ``idempotency_key`` it creates nothing and returns
        the first answer (the contact it made is no duplicate of itself).
        """
        replay = claim_request(self.db, idempotency_key, "create_contact", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        allow = domain.parse_allow(allow_duplicates)
        values = new_contact_values(self.db, data, caller)
        if not allow:
            candidates = self._candidates(values, caller)
            if candidates:
                self.db.rollback()  # nothing written, not even the key's claim
            domain.refuse_duplicates(CONTACT, RIGHTS.visible_similar(caller, candidates))
        result = RIGHTS.visible(caller, store.insert(self.db, CONTACTS, values, actor))
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def check_contact_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The contacts the caller may read that look like ``data`` (a create payload).

        ``[{record, score, reasons}]``, best first, as :meth:`similar_contacts`;
        nothing is written. Raises what ``create_contact`` raises for bad data.
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "read")
        values = new_contact_values(self.db, data, caller)
        candidates = self._candidates(values, caller)
        self.db.commit()
        return RIGHTS.visible_similar(caller, candidates)

    @rpc(expected_exceptions=EXPECTED)
    def get_contact(self, contact_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The contact. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return RIGHTS.visible(
            caller, dump_contact(store.load(self.db, CONTACTS, contact_id, caller))
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the contacts the caller may read: ``{"items", "next_cursor",
        "total", "total_is_estimate"}`` (the total on the first page only).

        Filters: account_id, owner_id, team_id, full_name (contains), created_at,
        updated_at. Sorts: created_at (default ``-created_at``), updated_at,
        full_name. ``q``: an email or its start (it has an ``@``) matches any of the
        emails, a phone number (7+ significant digits, any common spelling) any of the
        phones, other text the start of full_name, of its surname (the name from its
        second word) or of the name of the contact's account when the caller may read
        it, in any letter case. ``purpose: "export"`` takes the export right; a filter,
        sort or search on a field hidden from the caller is refused.
        """
        caller = Actor.from_dict(actor)
        return contacts_store.list_contacts(self.db, query, caller)

    @rpc(expected_exceptions=EXPECTED)
    def update_contact(
        self,
        contact_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``contact_updated`` (the contact plus ``changed_fields``).

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale
        ``expected_version``), ``ValidationFailed`` (also for an unknown account_id).
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(CONTACT, data)
        contact = store.lock(self.db, CONTACTS, contact_id, caller, expected_version)
        update = store.plan_update(CONTACTS, contact, changes, caller)
        if "account_id" in update.changed:
            accounts_store.check_account_exists(
                self.db, update.values.get("account_id"), "account_id"
            )
        result = store.apply_update(self.db, CONTACTS, contact, changes, update, actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def delete_contact(
        self, contact_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the contact and emit ``contact_deleted`` with its last state."""
        caller = Actor.from_dict(actor)
        contact = store.lock(self.db, CONTACTS, contact_id, caller, expected_version, op="delete")
        store.delete(self.db, CONTACTS, contact, actor)
        self.db.commit()

    @rpc
    def describe_contacts(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The contact entity's metadata (fields, types, options). Needs no caller."""
        return describe_contacts()

    # --- careers ----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_careers(self, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contact's careers, primary first, then the latest start. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        store.load(self.db, CONTACTS, contact_id, caller)
        result = contacts_store.careers(self.db, contact_id)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def add_career(
        self, contact_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a place of work to the contact and emit ``career_added`` (the career).

        ``account_id`` is required and must name an existing account; ``end_date``
        may not be before ``start_date``. A new primary career unsets the old one in
        the same transaction. Raises ``NotFound``, ``PermissionDenied`` (no change
        rights on the contact), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        values = domain.clean_career(data)
        contact = store.lock(self.db, CONTACTS, contact_id, caller, None)
        accounts_store.check_account_exists(self.db, values["account_id"], "account_id")
        result = contacts_store.add_career(self.db, contact, values, actor)
        self.db.commit()
        return result

    # --- duplicates -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def similar_contacts(self, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons: ``email`` (a same address), ``phone`` (a same number), ``name``
        (trigram similarity of full names ≥ 0.4). The score adds 1 per exact match
        and the name similarity; best first. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        contact = store.load(self.db, CONTACTS, contact_id, caller)
        candidates = self._candidates(dump_contact(contact), caller, exclude_id=contact.id)
        self.db.commit()
        return RIGHTS.visible_similar(caller, candidates)

    def _candidates(
        self, values: dict[str, Any], caller: Actor, exclude_id: str | None = None
    ) -> list[dict[str, Any]]:
        # The in-memory name index is a dependency of this worker; the search is the store's.
        index = self.name_indexes.get("sales.contact_name_keys")
        return duplicates_store.contact_candidates(self.db, index, values, caller, exclude_id)

"""Merging duplicate accounts and contacts: a part of the sales service.

The kept record takes the merged one's values where it has none (:mod:`.domain`),
everything that pointed at the merged record moves to the kept one, the merged
record is deleted and the merge is logged (:mod:`.merges_store`) — in one transaction.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, merges_store, store
from .accounts_store import ACCOUNTS
from .contacts_store import CONTACTS
from .dependencies import SalesBase
from .domain import ACCOUNT, CONTACT
from .schemas import dump_account, dump_contact


class MergesRpc(SalesBase):
    """Merges of accounts and of contacts, and their logs."""

    @rpc(expected_exceptions=EXPECTED)
    def merge_contacts(
        self,
        kept_id: str,
        merged_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Merge contact ``merged_id`` into ``kept_id``; the kept contact as it is now.

        The kept contact keeps its values; its empty fields take the merged one's;
        emails and phones are united without repeats, keeping one primary. Careers
        (dropping one that would repeat a kept career exactly; at most one primary),
        opportunities, activities about the contact and activity participants move
        to the kept contact, the merged contact is deleted, the merge is logged
        (:meth:`list_contact_merges`), and ``contact_merged`` is emitted
        (``{kept_id, merged_id, merged_record, moved}``), plus ``contact_updated``
        when the kept contact's fields changed — all in one transaction.
        Raises ``ValidationFailed`` (the same contact twice, a merged_id that is no
        UUID, a bad ``expected_version``), ``NotFound`` (either contact missing or
        unreadable), ``PermissionDenied`` (no change rights on either), ``Conflict``
        (stale ``expected_version`` of the kept contact; more than 20 emails or
        phones together).
        """
        caller = Actor.from_dict(actor)
        kept, merged = merges_store.lock_pair(
            self.db, CONTACTS, kept_id, merged_id, caller, expected_version
        )
        before = dump_contact(kept)
        changes = domain.filled(CONTACT, kept, merged)
        for name, key in (("emails", "email"), ("phones", "phone")):
            united = domain.unite(
                getattr(kept, name), getattr(merged, name), lambda i, k=key: i.get(k)
            )
            domain.check_list_size(CONTACT, name, united)
            if united != list(getattr(kept, name)):
                changes[name] = united
        moved = merges_store.move_contact_links(self.db, kept.id, merged.id)
        result = merges_store.finish_merge(
            self.db, CONTACTS, kept, merged, before, changes, moved, caller, actor
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def merge_accounts(
        self,
        kept_id: str,
        merged_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Merge account ``merged_id`` into ``kept_id``; the kept account as it is now.

        The kept account keeps its values; its empty fields take the merged one's
        (a parent only when that makes no cycle); addresses are united without
        repeats. Careers (dropping exact repeats), contacts, child accounts,
        opportunities, competitor entries (one per deal) and activities about the
        account move to the kept account, the merged account is deleted, the merge
        is logged and ``account_merged`` is emitted, plus ``account_updated`` when
        the kept account's fields changed — all in one transaction. Raises as
        :meth:`merge_contacts` (``Conflict`` for more than 20 addresses together).
        """
        caller = Actor.from_dict(actor)
        kept, merged = merges_store.lock_pair(
            self.db, ACCOUNTS, kept_id, merged_id, caller, expected_version
        )
        before = dump_account(kept)
        changes = domain.filled(ACCOUNT, kept, merged)
        changes.pop("parent_id", None)
        parent = kept.parent_id
        if parent is None or parent == merged.id:
            parent = merged.parent_id
            if parent is not None and merges_store.is_below(self.db, parent, {kept.id, merged.id}):
                parent = None  # the merged account's parent is below the kept one
            if parent != kept.parent_id:
                changes["parent_id"] = parent
        united = domain.unite(kept.addresses, merged.addresses, domain.address_key)
        domain.check_list_size(ACCOUNT, "addresses", united)
        if united != list(kept.addresses):
            changes["addresses"] = united
        # The kept account leaves the merged one as parent before that one goes.
        if "parent_id" in changes:
            kept.parent_id = changes["parent_id"]
            self.db.flush()
        moved = merges_store.move_account_links(self.db, kept.id, merged.id)
        result = merges_store.finish_merge(
            self.db, ACCOUNTS, kept, merged, before, changes, moved, caller, actor
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_contact_merges(self, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contacts merged into this one, newest first (also those merged earlier into
        a contact that was then merged into this one). Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        contact = store.load(self.db, CONTACTS, contact_id, caller)
        result = merges_store.merges(self.db, "contact", contact.id)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_account_merges(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The accounts merged into this one, newest first. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        account = store.load(self.db, ACCOUNTS, account_id, caller)
        result = merges_store.merges(self.db, "account", account.id)
        self.db.commit()
        return result

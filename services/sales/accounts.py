"""Accounts: a part of the sales service (create, read, list, change, delete, duplicates).

The SQL is in :mod:`.accounts_store` and the shared record steps in :mod:`.store`; the
rules in :mod:`.domain`.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, accounts_store, domain, duplicates_store, store
from .accounts_store import ACCOUNT_LIST_SPEC, ACCOUNTS
from .contacts_store import CONTACT_LIST_SPEC
from .dependencies import SalesBase
from .domain import ACCOUNT
from .schemas import describe_accounts, dump_account

RIGHTS = access.ACCOUNTS


def new_account_values(db: Any, data: Any, caller: Actor) -> dict[str, Any]:
    """A new account's values from a create payload, its parent checked; the fields the
    caller may not write (column rights) refused."""
    RIGHTS.check_writable(caller, data)
    changes = domain.clean_changes(ACCOUNT, data)
    values = store.new_values(ACCOUNT, changes, caller)
    accounts_store.check_links(db, values)
    return values


#: bench/million.py reads the list specs from here, where they lived before the stores.
__all__ = ["ACCOUNT_LIST_SPEC", "CONTACT_LIST_SPEC", "AccountsRpc", "new_account_values"]


class AccountsRpc(SalesBase):
    """Accounts and their likely duplicates."""

    @rpc(expected_exceptions=EXPECTED)
    def create_account(
        self,
        data: dict[str, Any],
        actor: dict[str, Any],
        allow_duplicates: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create an account and emit ``account_created``.

        ``name`` is required; ``parent_id`` must name an existing account.
        ``owner_id`` defaults to the caller (an explicit null leaves it unassigned),
        ``team_id`` to the caller's team. Raises ``ValidationFailed``,
        ``PermissionDenied`` when a non-admin names another team, and
        ``DuplicatesFound`` (a ``Conflict``; nothing is written) when accounts the
        caller may read look like this one (as :meth:`check_account_duplicates`
        finds them), unless ``allow_duplicates`` is true. Called again with the same
        ``idempotency_key`` it creates nothing and returns the first answer (the
        account it made is no duplicate of itself).
        """
        replay = claim_request(self.db, idempotency_key, "create_account", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        allow = domain.parse_allow(allow_duplicates)
        values = new_account_values(self.db, data, caller)
        if not allow:
            candidates = duplicates_store.account_candidates(self.db, values, caller)
            if candidates:
                self.db.rollback()  # nothing written, not even the key's claim
            domain.refuse_duplicates(ACCOUNT, RIGHTS.visible_similar(caller, candidates))
        result = RIGHTS.visible(caller, store.insert(self.db, ACCOUNTS, values, actor))
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def check_account_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The accounts the caller may read that look like ``data`` (a create payload).

        ``[{record, score, reasons}]``, best first, as :meth:`similar_accounts`;
        nothing is written. Raises what ``create_account`` raises for bad data.
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "read")
        values = new_account_values(self.db, data, caller)
        candidates = duplicates_store.account_candidates(self.db, values, caller)
        self.db.commit()
        return RIGHTS.visible_similar(caller, candidates)

    @rpc(expected_exceptions=EXPECTED)
    def get_account(self, account_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The account. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return RIGHTS.visible(
            caller, dump_account(store.load(self.db, ACCOUNTS, account_id, caller))
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_accounts(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the accounts the caller may read: ``{"items", "next_cursor",
        "total", "total_is_estimate"}`` (the total on the first page only).

        Filters: type, industry, parent_id, owner_id, team_id, name (contains),
        created_at, updated_at. Sorts: created_at (default ``-created_at``),
        updated_at, name, type. ``q``: an email or its start (it has an ``@``)
        matches the email, a phone number (7+ significant digits, any common
        spelling) the phone, other text the start of the name, in any letter case.
        ``purpose: "export"`` (the export of a list) takes the export right; a filter,
        sort or search on a field hidden from the caller is refused (``ValidationFailed``).
        """
        caller = Actor.from_dict(actor)
        return accounts_store.list_accounts(self.db, query, caller)

    @rpc(expected_exceptions=EXPECTED)
    def update_account(
        self,
        account_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``account_updated`` (the full account plus ``changed_fields``).

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale
        ``expected_version``; nothing changes), ``ValidationFailed`` (also for a
        parent_id that is the account itself or names no account).
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(ACCOUNT, data)
        account = store.lock(self.db, ACCOUNTS, account_id, caller, expected_version)
        update = store.plan_update(ACCOUNTS, account, changes, caller)
        domain.check_parent(account_id, update.values.get("parent_id"))
        if "parent_id" in update.changed:
            accounts_store.check_links(self.db, update.values)
        result = store.apply_update(self.db, ACCOUNTS, account, changes, update, actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def delete_account(
        self, account_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the account and emit ``account_deleted`` with its last state.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale
        ``expected_version``, or contacts, careers or child accounts still point at it).
        """
        caller = Actor.from_dict(actor)
        account = store.lock(self.db, ACCOUNTS, account_id, caller, expected_version, op="delete")
        accounts_store.check_unused(self.db, account)
        store.delete(self.db, ACCOUNTS, account, actor)
        self.db.commit()

    @rpc
    def describe_accounts(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The account entity's metadata (fields, types, options). Needs no caller."""
        return describe_accounts()

    @rpc(expected_exceptions=EXPECTED)
    def list_account_contacts(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contacts the caller may read that work at the account (``account_id`` or a career).

        Ordered by full name. Raises ``NotFound`` when the caller may not read the account.
        """
        caller = Actor.from_dict(actor)
        account = store.load(self.db, ACCOUNTS, account_id, caller)
        result = accounts_store.account_contacts(self.db, account, caller)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def similar_accounts(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons: ``domain`` (the same web domain, scheme and ``www.`` stripped),
        ``email``, ``phone`` (exact), ``name`` (trigram similarity ≥ 0.4). Scored
        as for contacts. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        account = store.load(self.db, ACCOUNTS, account_id, caller)
        candidates = duplicates_store.account_candidates(
            self.db, dump_account(account), caller, exclude_id=account.id
        )
        self.db.commit()
        return RIGHTS.visible_similar(caller, candidates)

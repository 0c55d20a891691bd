"""Accounts, contacts, careers and their duplicates: a part of the sales service."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from nameko.rpc import rpc

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page, readable_by

from . import domain
from .base import Kind, SalesBase
from .domain import ACCOUNT, CONTACT
from .models import ACCOUNT_DOMAIN_EXPRESSION, Account, Career, Contact
from .schemas import (
    describe_accounts,
    describe_contacts,
    dump_account,
    dump_career,
    dump_contact,
)

ACCOUNT_LIST_SPEC = ListSpec(
    id_column=Account.id,
    filters={
        "type": Filter(Account.type, "enum", options=domain.ACCOUNT_TYPES),
        "industry": Filter(Account.industry, "text"),
        "parent_id": Filter(Account.parent_id, "uuid"),
        "owner_id": Filter(Account.owner_id, "uuid"),
        "team_id": Filter(Account.team_id, "uuid"),
        "name": Filter(Account.name, "contains"),
        "created_at": Filter(Account.created_at, "datetime"),
        "updated_at": Filter(Account.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Account.created_at, nullable=False),
        "updated_at": Sort(Account.updated_at, nullable=False),
        "name": Sort(Account.name, nullable=False),
        "type": Sort(Account.type),
    },
    default_sort="-created_at",
    search_vector=Account.search,
)

CONTACT_LIST_SPEC = ListSpec(
    id_column=Contact.id,
    filters={
        "account_id": Filter(Contact.account_id, "uuid"),
        "owner_id": Filter(Contact.owner_id, "uuid"),
        "team_id": Filter(Contact.team_id, "uuid"),
        "full_name": Filter(Contact.full_name, "contains"),
        "created_at": Filter(Contact.created_at, "datetime"),
        "updated_at": Filter(Contact.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Contact.created_at, nullable=False),
        "updated_at": Sort(Contact.updated_at, nullable=False),
        "full_name": Sort(Contact.full_name, nullable=False),
    },
    default_sort="-created_at",
    search_vector=Contact.search,
)

ACCOUNTS = Kind(Account, ACCOUNT, dump_account)
CONTACTS = Kind(Contact, CONTACT, dump_contact)


class AccountsRpc(SalesBase):
    """Accounts, contacts, careers, duplicates."""

    # --- accounts ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_account(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create an account and emit ``account_created``.

        ``name`` is required; ``parent_id`` must name an existing account.
        ``owner_id`` defaults to the caller (an explicit null leaves it unassigned),
        ``team_id`` to the caller's team. Raises ``ValidationFailed``,
        ``PermissionDenied`` when a non-admin names another team.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(ACCOUNT, data)
        values = self._new_values(ACCOUNT, changes, caller)
        self._check_account_links(values)
        return self._insert(ACCOUNTS, values, actor)

    @rpc(expected_exceptions=EXPECTED)
    def get_account(self, account_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The account. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return dump_account(self._load(ACCOUNTS, account_id, caller))

    @rpc(expected_exceptions=EXPECTED)
    def list_accounts(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the accounts the caller may read: ``{"items", "next_cursor"}``.

        Filters: type, industry, parent_id, owner_id, team_id, name (contains),
        created_at, updated_at. Sorts: created_at (default ``-created_at``),
        updated_at, name, type. ``q`` matches word prefixes of name, industry, email, web.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(Account).where(readable_by(caller, Account.owner_id, Account.team_id))
        return fetch_page(self.db, stmt, ACCOUNT_LIST_SPEC, query, dump_account)

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
        changes = domain.clean_changes(ACCOUNT, data)

        def check(values: dict[str, Any], changed: list[str]) -> None:
            domain.check_parent(account_id, values.get("parent_id"))
            if "parent_id" in changed:
                self._check_account_links(values)

        return self._update(ACCOUNTS, account_id, changes, caller, actor, expected_version, check)

    @rpc(expected_exceptions=EXPECTED)
    def delete_account(
        self, account_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the account and emit ``account_deleted`` with its last state.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale
        ``expected_version``, or contacts, careers or child accounts still point at it).
        """
        caller = Actor.from_dict(actor)

        def check(account: Any) -> None:
            children = self.db.execute(
                sa.select(sa.func.count()).where(Account.parent_id == account.id)
            ).scalar_one()
            contacts = self.db.execute(
                sa.select(sa.func.count()).where(Contact.account_id == account.id)
            ).scalar_one()
            contacts += self.db.execute(
                sa.select(sa.func.count()).where(Career.account_id == account.id)
            ).scalar_one()
            if children or contacts:
                raise Conflict(
                    "The account still has child accounts or contacts",
                    [{"field": "account_id", "message": "still has child accounts or contacts"}],
                )

        self._delete(ACCOUNTS, account_id, caller, actor, expected_version, check)

    @rpc
    def describe_accounts(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The account entity's metadata (fields, types, options). Needs no caller."""
        return describe_accounts()

    # --- contacts ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_contact(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a contact and emit ``contact_created``.

        ``full_name`` is required; ``account_id`` must name an existing account;
        at most one email and one phone may be primary. Owner and team default as
        for accounts.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(CONTACT, data)
        values = self._new_values(CONTACT, changes, caller)
        self._check_account_exists(values.get("account_id"), "account_id")
        return self._insert(CONTACTS, values, actor)

    @rpc(expected_exceptions=EXPECTED)
    def get_contact(self, contact_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The contact. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return dump_contact(self._load(CONTACTS, contact_id, caller))

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the contacts the caller may read: ``{"items", "next_cursor"}``.

        Filters: account_id, owner_id, team_id, full_name (contains), created_at,
        updated_at. Sorts: created_at (default ``-created_at``), updated_at,
        full_name. ``q`` matches word prefixes of full_name and job_title.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(Contact).where(readable_by(caller, Contact.owner_id, Contact.team_id))
        return fetch_page(self.db, stmt, CONTACT_LIST_SPEC, query, dump_contact)

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
        changes = domain.clean_changes(CONTACT, data)

        def check(values: dict[str, Any], changed: list[str]) -> None:
            if "account_id" in changed:
                self._check_account_exists(values.get("account_id"), "account_id")

        return self._update(CONTACTS, contact_id, changes, caller, actor, expected_version, check)

    @rpc(expected_exceptions=EXPECTED)
    def delete_contact(
        self, contact_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the contact and emit ``contact_deleted`` with its last state."""
        caller = Actor.from_dict(actor)
        self._delete(CONTACTS, contact_id, caller, actor, expected_version)

    @rpc
    def describe_contacts(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The contact entity's metadata (fields, types, options). Needs no caller."""
        return describe_contacts()

    # --- careers ----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_careers(self, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contact's careers, primary first, then the latest start. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        self._load(CONTACTS, contact_id, caller)
        careers = self.db.execute(
            sa.select(Career)
            .where(Career.contact_id == contact_id)
            .order_by(
                Career.is_primary.desc(),
                Career.start_date.desc().nulls_last(),
                Career.created_at,
                Career.id,
            )
        ).scalars()
        result = [dump_career(c) for c in careers]
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
        contact = self._load(CONTACTS, contact_id, caller, for_update=True)
        caller.require_change(contact.owner_id, contact.team_id)
        self._check_account_exists(values["account_id"], "account_id")
        if values["is_primary"]:
            self.db.execute(
                sa.update(Career)
                .where(Career.contact_id == contact.id, Career.is_primary.is_(True))
                .values(is_primary=False)
            )
        career = Career(id=new_id(), contact_id=contact.id, created_at=utcnow(), **values)
        self.db.add(career)
        self.db.flush()
        result = dump_career(career)
        self.db.emit("career_added", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_account_contacts(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contacts the caller may read that work at the account (``account_id`` or a career).

        Ordered by full name. Raises ``NotFound`` when the caller may not read the account.
        """
        caller = Actor.from_dict(actor)
        account = self._load(ACCOUNTS, account_id, caller)
        through_careers = sa.select(Career.contact_id).where(Career.account_id == account.id)
        contacts = self.db.execute(
            sa.select(Contact)
            .where(
                sa.or_(Contact.account_id == account.id, Contact.id.in_(through_careers)),
                readable_by(caller, Contact.owner_id, Contact.team_id),
            )
            .order_by(Contact.full_name, Contact.id)
        ).scalars()
        result = [dump_contact(c) for c in contacts]
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
        contact = self._load(CONTACTS, contact_id, caller)
        emails = {e["email"] for e in contact.emails if e.get("email")}
        phones = {p["phone"] for p in contact.phones if p.get("phone")}
        matches: list[Any] = [Contact.full_name.op("%")(contact.full_name)]
        matches += [Contact.emails.contains([{"email": e}]) for e in sorted(emails)]
        matches += [Contact.phones.contains([{"phone": p}]) for p in sorted(phones)]
        similarity = sa.func.similarity(Contact.full_name, contact.full_name)
        rows = self._similar_rows(
            sa.select(Contact, similarity).where(
                sa.or_(*matches),
                Contact.id != contact.id,
                readable_by(caller, Contact.owner_id, Contact.team_id),
            )
        )
        found = []
        for other, name_score in rows:
            reasons: list[str] = []
            if emails & {e.get("email") for e in other.emails}:
                reasons.append("email")
            if phones & {p.get("phone") for p in other.phones}:
                reasons.append("phone")
            found.append(self._candidate(dump_contact(other), reasons, name_score))
        return self._best(found)

    @rpc(expected_exceptions=EXPECTED)
    def similar_accounts(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons: ``domain`` (the same web domain, scheme and ``www.`` stripped),
        ``email``, ``phone`` (exact), ``name`` (trigram similarity ≥ 0.4). Scored
        as for contacts. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        account = self._load(ACCOUNTS, account_id, caller)
        own_domain = domain.web_domain(account.web)
        matches: list[Any] = [Account.name.op("%")(account.name)]
        if own_domain:
            matches.append(sa.literal_column(f"({ACCOUNT_DOMAIN_EXPRESSION})") == own_domain)
        if account.email:
            matches.append(Account.email == account.email)
        if account.phone:
            matches.append(Account.phone == account.phone)
        similarity = sa.func.similarity(Account.name, account.name)
        rows = self._similar_rows(
            sa.select(Account, similarity).where(
                sa.or_(*matches),
                Account.id != account.id,
                readable_by(caller, Account.owner_id, Account.team_id),
            )
        )
        found = []
        for other, name_score in rows:
            reasons: list[str] = []
            if own_domain and domain.web_domain(other.web) == own_domain:
                reasons.append("domain")
            if account.email and other.email == account.email:
                reasons.append("email")
            if account.phone and other.phone == account.phone:
                reasons.append("phone")
            found.append(self._candidate(dump_account(other), reasons, name_score))
        return self._best(found)

    def _similar_rows(self, stmt: Any) -> list[Any]:
        # `%` compares with pg_trgm.similarity_threshold; SET LOCAL lasts this transaction.
        self.db.execute(
            sa.text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
            {"t": str(domain.NAME_SIMILARITY_THRESHOLD)},
        )
        rows = self.db.execute(stmt.limit(100)).all()
        self.db.commit()
        return list(rows)

    @staticmethod
    def _candidate(record: dict[str, Any], reasons: list[str], name_score: float) -> dict:
        score = float(len(reasons))
        if name_score is not None and name_score >= domain.NAME_SIMILARITY_THRESHOLD:
            reasons.append("name")
            score += float(name_score)
        return {"record": record, "score": round(score, 4), "reasons": reasons}

    @staticmethod
    def _best(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = [f for f in found if f["reasons"]]
        found.sort(key=lambda f: (-f["score"], f["record"]["id"]))
        return found[: domain.MAX_SIMILAR]

    def _check_account_links(self, values: dict[str, Any]) -> None:
        domain.check_parent(values.get("id"), values.get("parent_id"))
        self._check_account_exists(values.get("parent_id"), "parent_id")

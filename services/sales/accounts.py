"""Accounts, contacts, careers and their duplicates: a part of the sales service."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.platform import similar
from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, DuplicatesFound, NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.listing import (
    Filter,
    ListSpec,
    Lookup,
    Sort,
    after_first_word,
    fetch_page,
    readable_by,
)
from services.platform.rpc import rpc

from . import domain
from .base import Kind, SalesBase
from .domain import ACCOUNT, CONTACT, Entity
from .models import (
    ACCOUNT_DOMAIN_EXPRESSION,
    Account,
    Activity,
    Career,
    Competitor,
    Contact,
    ContactNameKey,
    ContactSearchTerm,
    MergeRecord,
    Opportunity,
    Participant,
)
from .schemas import (
    describe_accounts,
    describe_contacts,
    dump_account,
    dump_career,
    dump_contact,
    wire,
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
    # the search box: each kind of text through its own index (sales_0007)
    search_emails=(Lookup(Account.email),),
    search_phones=(Lookup(Account.phone_key),),
    search_prefixes=(Lookup(sa.func.lower(Account.name)),),
    count_total=True,
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
    # the search box: each kind of text through its own index (sales_0007); a
    # contact's several emails and phones are terms in a side table, its company is
    # its account's name (when the caller may read the account)
    search_emails=(
        Lookup(ContactSearchTerm.term, record_id=ContactSearchTerm.contact_id, prefix="e:"),
    ),
    search_phones=(
        Lookup(ContactSearchTerm.term, record_id=ContactSearchTerm.contact_id, prefix="p:"),
    ),
    search_prefixes=(
        Lookup(sa.func.lower(Contact.full_name)),
        Lookup(sa.func.lower(after_first_word(Contact.full_name))),
        Lookup(
            sa.func.lower(Account.name),
            record_id=Account.id,
            on=Contact.account_id,
            rights=(Account.owner_id, Account.team_id),
        ),
    ),
    count_total=True,
)

ACCOUNTS = Kind(Account, ACCOUNT, dump_account)
CONTACTS = Kind(Contact, CONTACT, dump_contact)

#: How many records one exact value (an email, a phone, a web domain) may bring in as
#: candidates; the name brings the ``MAX_SIMILAR`` nearest.
EXACT_MATCH_LIMIT = 50
#: The parts of an address that make two addresses the same one.
ADDRESS_KEY = ("kind", "street", "city", "region", "postcode", "country")


class AccountsRpc(SalesBase):
    """Accounts, contacts, careers, duplicates."""

    # --- accounts ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_account(
        self, data: dict[str, Any], actor: dict[str, Any], allow_duplicates: bool = False
    ) -> dict[str, Any]:
        """Create an account and emit ``account_created``.

        ``name`` is required; ``parent_id`` must name an existing account.
        ``owner_id`` defaults to the caller (an explicit null leaves it unassigned),
        ``team_id`` to the caller's team. Raises ``ValidationFailed``,
        ``PermissionDenied`` when a non-admin names another team, and
        ``DuplicatesFound`` (a ``Conflict``; nothing is written) when accounts the
        caller may read look like this one (as :meth:`check_account_duplicates`
        finds them), unless ``allow_duplicates`` is true.
        """
        caller = Actor.from_dict(actor)
        allow = _parse_allow(allow_duplicates)
        values = self._new_account_values(data, caller)
        if not allow:
            _refuse_duplicates(ACCOUNT, self._account_candidates(values, caller))
        return self._insert(ACCOUNTS, values, actor)

    @rpc(expected_exceptions=EXPECTED)
    def check_account_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The accounts the caller may read that look like ``data`` (a create payload).

        ``[{record, score, reasons}]``, best first, as :meth:`similar_accounts`;
        nothing is written. Raises what ``create_account`` raises for bad data.
        """
        caller = Actor.from_dict(actor)
        return self._account_candidates(self._new_account_values(data, caller), caller)

    @rpc(expected_exceptions=EXPECTED)
    def get_account(self, account_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The account. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return dump_account(self._load(ACCOUNTS, account_id, caller))

    @rpc(expected_exceptions=EXPECTED)
    def list_accounts(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the accounts the caller may read: ``{"items", "next_cursor",
        "total", "total_is_estimate"}`` (the total on the first page only).

        Filters: type, industry, parent_id, owner_id, team_id, name (contains),
        created_at, updated_at. Sorts: created_at (default ``-created_at``),
        updated_at, name, type. ``q``: an email or its start (it has an ``@``)
        matches the email, a phone number (7+ significant digits, any common
        spelling) the phone, other text the start of the name, in any letter case.
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
    def create_contact(
        self, data: dict[str, Any], actor: dict[str, Any], allow_duplicates: bool = False
    ) -> dict[str, Any]:
        """Create a contact and emit ``contact_created``.

        ``full_name`` is required; ``account_id`` must name an existing account;
        at most one email and one phone may be primary. Owner and team default as
        for accounts. Raises ``ValidationFailed``, ``PermissionDenied``, and
        ``DuplicatesFound`` (a ``Conflict``; nothing is written) when contacts the
        caller may read look like this one, unless ``allow_duplicates`` is true.
        """
        caller = Actor.from_dict(actor)
        allow = _parse_allow(allow_duplicates)
        values = self._new_contact_values(data, caller)
        if not allow:
            _refuse_duplicates(CONTACT, self._contact_candidates(values, caller))
        return self._insert(CONTACTS, values, actor)

    @rpc(expected_exceptions=EXPECTED)
    def check_contact_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The contacts the caller may read that look like ``data`` (a create payload).

        ``[{record, score, reasons}]``, best first, as :meth:`similar_contacts`;
        nothing is written. Raises what ``create_contact`` raises for bad data.
        """
        caller = Actor.from_dict(actor)
        return self._contact_candidates(self._new_contact_values(data, caller), caller)

    @rpc(expected_exceptions=EXPECTED)
    def get_contact(self, contact_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The contact. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        return dump_contact(self._load(CONTACTS, contact_id, caller))

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
        it, in any letter case.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(Contact).where(readable_by(caller, Contact.owner_id, Contact.team_id))
        return fetch_page(self.db, stmt, CONTACT_LIST_SPEC, query, dump_contact, caller)

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
        return self._contact_candidates(dump_contact(contact), caller, exclude_id=contact.id)

    @rpc(expected_exceptions=EXPECTED)
    def similar_accounts(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons: ``domain`` (the same web domain, scheme and ``www.`` stripped),
        ``email``, ``phone`` (exact), ``name`` (trigram similarity ≥ 0.4). Scored
        as for contacts. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        account = self._load(ACCOUNTS, account_id, caller)
        return self._account_candidates(dump_account(account), caller, exclude_id=account.id)

    def _contact_candidates(
        self, values: Mapping[str, Any], caller: Actor, exclude_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Contacts the caller may read that look like ``values`` (a record or a new one)."""
        name = values.get("full_name")
        emails = {e["email"] for e in values.get("emails") or [] if e.get("email")}
        phones = {p["phone"] for p in values.get("phones") or [] if p.get("phone")}
        exact = [Contact.emails.contains([{"email": e}]) for e in sorted(emails)]
        exact += [Contact.phones.contains([{"phone": p}]) for p in sorted(phones)]
        rows = self._similar_rows(
            Contact, Contact.full_name, name, exact, caller, exclude_id, keys=ContactNameKey
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

    def _account_candidates(
        self, values: Mapping[str, Any], caller: Actor, exclude_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Accounts the caller may read that look like ``values`` (a record or a new one)."""
        name = values.get("name")
        own_domain = domain.web_domain(values.get("web"))
        email, phone = values.get("email"), values.get("phone")
        exact: list[Any] = []
        if own_domain:
            exact.append(sa.literal_column(f"({ACCOUNT_DOMAIN_EXPRESSION})") == own_domain)
        if email:
            exact.append(Account.email == email)
        if phone:
            exact.append(Account.phone == phone)
        rows = self._similar_rows(Account, Account.name, name, exact, caller, exclude_id)
        found = []
        for other, name_score in rows:
            reasons: list[str] = []
            if own_domain and domain.web_domain(other.web) == own_domain:
                reasons.append("domain")
            if email and other.email == email:
                reasons.append("email")
            if phone and other.phone == phone:
                reasons.append("phone")
            found.append(self._candidate(dump_account(other), reasons, name_score))
        return self._best(found)

    def _similar_rows(
        self,
        model: Any,
        name_column: Any,
        name: str | None,
        exact: list[Any],
        caller: Actor,
        exclude_id: str | None,
        keys: Any = None,
    ) -> list[Any]:
        """``(record, name similarity)`` of the candidates, the caller's readable ones only.

        Each exact value goes through its own index. The names are the ``MAX_SIMILAR``
        most similar with similarity ≥ the threshold, found from the top threshold down
        (:mod:`services.platform.similar`); with ``keys`` (the table of the distinct
        name keys) the trigram search runs over the distinct names only.
        """
        allowed = similar.Allowed(caller, model.id, model.owner_id, model.team_id, exclude_id)
        conditions = allowed.conditions()
        branches = [
            sa.select(model.id).where(match, *conditions).limit(EXACT_MATCH_LIMIT)
            for match in exact
        ]
        if name:
            if keys is not None:
                name_ids = similar.nearest_ids_by_name_key(
                    self.db,
                    key_column=keys.key,
                    record_key=model.name_key,
                    name=name,
                    allowed=allowed,
                    index=self.name_indexes.get(f"sales.{keys.__tablename__}"),
                )
            else:
                name_ids = similar.nearest_ids_by_name(
                    self.db,
                    record_id=model.id,
                    name_column=name_column,
                    name=name,
                    conditions=conditions,
                )
            if name_ids:
                branches.append(sa.select(model.id).where(model.id.in_(name_ids)))
        if not branches:
            self.db.commit()
            return []
        # One indexed lookup per branch, united, then the records by primary key.
        ids = sa.union(*branches).subquery()
        similarity = sa.func.similarity(name_column, name) if name else sa.null()
        rows = self.db.execute(
            sa.select(model, similarity).where(model.id.in_(sa.select(ids.c.id)))
        ).all()
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

    def _new_account_values(self, data: dict[str, Any], caller: Actor) -> dict[str, Any]:
        changes = domain.clean_changes(ACCOUNT, data)
        values = self._new_values(ACCOUNT, changes, caller)
        self._check_account_links(values)
        return values

    def _new_contact_values(self, data: dict[str, Any], caller: Actor) -> dict[str, Any]:
        changes = domain.clean_changes(CONTACT, data)
        values = self._new_values(CONTACT, changes, caller)
        self._check_account_exists(values.get("account_id"), "account_id")
        return values

    # --- merges -----------------------------------------------------------------------

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
        kept, merged = self._lock_pair(CONTACTS, kept_id, merged_id, caller, expected_version)
        before = dump_contact(kept)
        changes = _filled(CONTACT, kept, merged)
        for name, key in (("emails", "email"), ("phones", "phone")):
            united = _unite(getattr(kept, name), getattr(merged, name), lambda i, k=key: i.get(k))
            _check_list_size(CONTACT, name, united)
            if united != list(getattr(kept, name)):
                changes[name] = united
        moved = self._move_contact_links(kept.id, merged.id)
        return self._finish_merge(CONTACTS, kept, merged, before, changes, moved, caller, actor)

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
        kept, merged = self._lock_pair(ACCOUNTS, kept_id, merged_id, caller, expected_version)
        before = dump_account(kept)
        changes = _filled(ACCOUNT, kept, merged)
        changes.pop("parent_id", None)
        parent = kept.parent_id
        if parent is None or parent == merged.id:
            parent = merged.parent_id
            if parent is not None and self._is_below(parent, {kept.id, merged.id}):
                parent = None  # the merged account's parent is below the kept one
            if parent != kept.parent_id:
                changes["parent_id"] = parent
        united = _unite(kept.addresses, merged.addresses, _address_key)
        _check_list_size(ACCOUNT, "addresses", united)
        if united != list(kept.addresses):
            changes["addresses"] = united
        # The kept account leaves the merged one as parent before that one goes.
        if "parent_id" in changes:
            kept.parent_id = changes["parent_id"]
            self.db.flush()
        moved = self._move_account_links(kept.id, merged.id)
        return self._finish_merge(ACCOUNTS, kept, merged, before, changes, moved, caller, actor)

    @rpc(expected_exceptions=EXPECTED)
    def list_contact_merges(self, contact_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The contacts merged into this one, newest first (also those merged earlier into
        a contact that was then merged into this one). Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        contact = self._load(CONTACTS, contact_id, caller)
        return self._merges("contact", contact.id)

    @rpc(expected_exceptions=EXPECTED)
    def list_account_merges(self, account_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The accounts merged into this one, newest first. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        account = self._load(ACCOUNTS, account_id, caller)
        return self._merges("account", account.id)

    def _merges(self, entity: str, kept_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            sa.select(MergeRecord)
            .where(MergeRecord.entity == entity, MergeRecord.kept_id == kept_id)
            .order_by(MergeRecord.merged_at.desc(), MergeRecord.id.desc())
        ).scalars()
        result = [_dump_merge(row) for row in rows]
        self.db.commit()
        return result

    def _lock_pair(
        self, kind: Kind, kept_id: Any, merged_id: Any, caller: Actor, expected_version: Any
    ) -> tuple[Any, Any]:
        """Both records, row-locked in id order (two merges of the same pair cannot
        deadlock), each readable and changeable by the caller."""
        entity = kind.entity
        name = entity.name
        expected = domain.parse_expected_version(expected_version)
        if not domain.is_uuid(merged_id):
            raise domain.failed("merged_id", "must be a UUID")
        merged_key = str(uuid.UUID(merged_id))
        kept_key = str(uuid.UUID(kept_id)) if domain.is_uuid(kept_id) else None
        if kept_key == merged_key:
            raise domain.failed("merged_id", f"cannot merge a {name} into itself")
        missing = NotFound(
            f"No such {name}", [{"field": f"{name}_id", "message": f"no such {name}"}]
        )
        if kept_key is None:
            raise missing
        model = kind.model
        rows = self.db.execute(
            sa.select(model)
            .where(model.id.in_([kept_key, merged_key]))
            .order_by(model.id)
            .with_for_update()
        ).scalars()
        by_id = {row.id: row for row in rows}
        kept, merged = by_id.get(kept_key), by_id.get(merged_key)
        if kept is None or not caller.can_read(kept.owner_id, kept.team_id):
            raise missing
        if merged is None or not caller.can_read(merged.owner_id, merged.team_id):
            raise NotFound(
                f"No such {name} to merge", [{"field": "merged_id", "message": f"no such {name}"}]
            )
        caller.require_change(kept.owner_id, kept.team_id)
        caller.require_change(merged.owner_id, merged.team_id)
        self._check_version(entity, kept, expected)
        return kept, merged

    def _is_below(self, account_id: str, roots: set[str]) -> bool:
        """Whether ``account_id`` is one of ``roots`` or below one of them (via parents)."""
        seen: set[str] = set()
        current: str | None = account_id
        while current is not None and current not in seen:
            if current in roots:
                return True
            seen.add(current)
            current = self.db.execute(
                sa.select(Account.parent_id).where(Account.id == current)
            ).scalar_one_or_none()
        return False

    def _move_contact_links(self, kept_id: str, merged_id: str) -> dict[str, int]:
        """Point everything that names the merged contact at the kept one."""
        careers, careers_dropped = self._move_careers("contact_id", kept_id, merged_id)
        opportunities = self._relink(Opportunity, Opportunity.contact_id, kept_id, merged_id)
        about = self._relink_activities("contact", kept_id, merged_id)
        # An activity with both contacts keeps one participant row (the primary key).
        clash = sa.select(Participant.activity_id).where(
            Participant.kind == "contact", Participant.participant_id == kept_id
        )
        dropped = self.db.execute(
            sa.delete(Participant)
            .where(
                Participant.kind == "contact",
                Participant.participant_id == merged_id,
                Participant.activity_id.in_(clash),
            )
            .returning(Participant.activity_id),
            execution_options={"synchronize_session": False},
        ).scalars()
        dropped_ids = set(dropped)
        moved_ids = set(
            self.db.execute(
                sa.update(Participant)
                .where(Participant.kind == "contact", Participant.participant_id == merged_id)
                .values(participant_id=kept_id)
                .returning(Participant.activity_id),
                execution_options={"synchronize_session": False},
            ).scalars()
        )
        # Their participant lists changed: a new version, so a stale If-Match fails.
        self._bump(Activity, (dropped_ids | moved_ids) - about)
        return {
            "careers": careers,
            "careers_dropped": careers_dropped,
            "opportunities": opportunities,
            "activities": len(about),
            "activity_participants": len(moved_ids),
            "activity_participants_dropped": len(dropped_ids),
            "merges": self._relink_merges("contact", kept_id, merged_id),
        }

    def _move_account_links(self, kept_id: str, merged_id: str) -> dict[str, int]:
        """Point everything that names the merged account at the kept one."""
        careers, careers_dropped = self._move_careers("account_id", kept_id, merged_id)
        contacts = self._relink(Contact, Contact.account_id, kept_id, merged_id)
        children = self._relink(
            Account, Account.parent_id, kept_id, merged_id, Account.id != kept_id
        )
        opportunities = self._relink(Opportunity, Opportunity.account_id, kept_id, merged_id)
        # Both competitors in one deal: the kept account's entry stays, the other goes.
        kept_deals = sa.select(Competitor.opportunity_id).where(Competitor.account_id == kept_id)
        competitors_dropped = self.db.execute(
            sa.delete(Competitor).where(
                Competitor.account_id == merged_id, Competitor.opportunity_id.in_(kept_deals)
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        competitors = self.db.execute(
            sa.update(Competitor)
            .where(Competitor.account_id == merged_id)
            .values(account_id=kept_id),
            execution_options={"synchronize_session": False},
        ).rowcount
        about = self._relink_activities("account", kept_id, merged_id)
        return {
            "careers": careers,
            "careers_dropped": careers_dropped,
            "contacts": contacts,
            "child_accounts": children,
            "opportunities": opportunities,
            "opportunity_competitors": competitors,
            "opportunity_competitors_dropped": competitors_dropped,
            "activities": len(about),
            "merges": self._relink_merges("account", kept_id, merged_id),
        }

    def _move_careers(self, column_name: str, kept_id: str, merged_id: str) -> tuple[int, int]:
        """Careers of the merged record move to the kept one; ``(moved, dropped)``.

        A career that would repeat one of the kept record's exactly (same contact or
        account, title and dates) is dropped; a contact keeps at most one primary.
        """
        by_contact = column_name == "contact_id"
        other = "account_id" if by_contact else "contact_id"
        column = getattr(Career, column_name)

        def careers(owner_id: str) -> list[Career]:
            stmt = (
                sa.select(Career).where(column == owner_id).order_by(Career.created_at, Career.id)
            )
            return list(self.db.execute(stmt).scalars())

        def key(career: Career) -> tuple[Any, ...]:
            return (getattr(career, other), career.job_title, career.start_date, career.end_date)

        kept_careers, merged_careers = careers(kept_id), careers(merged_id)
        twins = {key(c): c for c in kept_careers}
        kept_primary = by_contact and any(c.is_primary for c in kept_careers)
        moving, demote, promote, dropped = [], [], [], 0
        for career in merged_careers:
            twin = twins.get(key(career))
            if twin is not None:
                self.db.delete(career)
                dropped += 1
                # An account merge drops a contact's primary career: its twin takes over.
                if career.is_primary and not twin.is_primary and not kept_primary:
                    promote.append(twin)
                    kept_primary = by_contact
                continue
            if by_contact and career.is_primary:
                if kept_primary:
                    demote.append(career)
                kept_primary = True
            moving.append(career)
        # In this order, so at no step a contact has two primary careers.
        self.db.flush()
        for career in demote:
            career.is_primary = False
        self.db.flush()
        for career in moving:
            setattr(career, column_name, kept_id)
        for twin in promote:
            twin.is_primary = True
        self.db.flush()
        return len(moving), dropped

    def _relink(self, model: Any, column: Any, kept_id: str, merged_id: str, *also: Any) -> int:
        """``column`` = kept where it was merged; each changed row gets a new version."""
        return self.db.execute(
            sa.update(model)
            .where(column == merged_id, *also)
            .values({column.key: kept_id, "version": model.version + 1, "updated_at": utcnow()}),
            execution_options={"synchronize_session": False},
        ).rowcount

    def _relink_activities(self, related_type: str, kept_id: str, merged_id: str) -> set[str]:
        """Activities about the merged record are now about the kept one; their ids."""
        return set(
            self.db.execute(
                sa.update(Activity)
                .where(Activity.related_type == related_type, Activity.related_id == merged_id)
                .values(related_id=kept_id, version=Activity.version + 1, updated_at=utcnow())
                .returning(Activity.id),
                execution_options={"synchronize_session": False},
            ).scalars()
        )

    def _relink_merges(self, entity: str, kept_id: str, merged_id: str) -> int:
        """What was merged into the merged record earlier now shows in the kept one's log."""
        return self.db.execute(
            sa.update(MergeRecord)
            .where(MergeRecord.entity == entity, MergeRecord.kept_id == merged_id)
            .values(kept_id=kept_id),
            execution_options={"synchronize_session": False},
        ).rowcount

    def _bump(self, model: Any, ids: set[str]) -> None:
        if ids:
            self.db.execute(
                sa.update(model)
                .where(model.id.in_(sorted(ids)))
                .values(version=model.version + 1, updated_at=utcnow()),
                execution_options={"synchronize_session": False},
            )

    def _finish_merge(
        self,
        kind: Kind,
        kept: Any,
        merged: Any,
        before: dict[str, Any],
        changes: dict[str, Any],
        moved: dict[str, int],
        caller: Actor,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """Delete the merged record, apply ``changes`` to the kept one, log, emit, commit.

        ``before`` is the kept record as it was locked (the changed fields are
        counted against it, also one set already, such as a parent).
        """
        entity = kind.entity
        merged_record = kind.dump(merged)
        self.db.delete(merged)
        self.db.flush()
        changed = domain.changed_fields(
            entity, before, {name: wire(value) for name, value in changes.items()}
        )
        domain.check_record(entity, {**before, **changes})
        now = utcnow()
        for name in changed:
            setattr(kept, name, changes[name])
        if changed:
            kept.version = kept.version + 1
            kept.updated_at = now
        self.db.add(
            MergeRecord(
                id=new_id(),
                entity=entity.name,
                kept_id=kept.id,
                merged_id=merged.id,
                merged_record=merged_record,
                moved=moved,
                merged_by=caller.id,
                merged_at=now,
            )
        )
        self.db.flush()
        result = kind.dump(kept)
        self.db.emit(
            f"{entity.name}_merged",
            {
                "kept_id": kept.id,
                "merged_id": merged.id,
                "merged_record": merged_record,
                "moved": moved,
            },
            actor=actor,
        )
        if changed:
            self.db.emit(
                f"{entity.name}_updated", {**result, "changed_fields": changed}, actor=actor
            )
        self.db.commit()
        return result

    def _check_account_links(self, values: dict[str, Any]) -> None:
        domain.check_parent(values.get("id"), values.get("parent_id"))
        self._check_account_exists(values.get("parent_id"), "parent_id")


def _parse_allow(value: Any) -> bool:
    if not isinstance(value, bool):
        raise domain.failed("allow_duplicates", "must be true or false")
    return value


def _refuse_duplicates(entity: Entity, candidates: list[dict[str, Any]]) -> None:
    """Raise ``DuplicatesFound`` when there are candidates; the caller may then insist."""
    if candidates:
        count = len(candidates)
        what = (
            f"1 {entity.name} like this one exists"
            if count == 1
            else (f"{count} {entity.name}s like this one exist")
        )
        raise DuplicatesFound(
            f"{what} already; open it instead, or send allow_duplicates to create it anyway",
            [],
            candidates,
        )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _filled(entity: Entity, kept: Any, merged: Any) -> dict[str, Any]:
    """The kept record's empty scalar fields, filled from the merged record."""
    return {
        spec.name: getattr(merged, spec.name)
        for spec in entity.fields
        if not spec.read_only
        and spec.type != "list"
        and _is_empty(getattr(kept, spec.name))
        and not _is_empty(getattr(merged, spec.name))
    }


def _unite(mine: list[dict], theirs: list[dict], key: Any) -> list[dict]:
    """``mine`` then those of ``theirs`` not in it (by ``key``); at most one primary."""
    united = [dict(item) for item in mine]
    by_key = {key(item): item for item in united}
    has_primary = any(item.get("is_primary") for item in united)
    for item in theirs:
        twin = by_key.get(key(item))
        if twin is not None:
            if item.get("is_primary") and not has_primary:
                twin["is_primary"] = has_primary = True
            continue
        item = dict(item)
        if item.get("is_primary"):
            if has_primary:
                item["is_primary"] = False
            has_primary = True
        united.append(item)
        by_key[key(item)] = item
    return united


def _address_key(address: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(address.get(part) for part in ADDRESS_KEY)


def _check_list_size(entity: Entity, name: str, items: list[dict]) -> None:
    if len(items) > domain.MAX_LIST_ITEMS:
        message = (
            f"together they have {len(items)}, more than {domain.MAX_LIST_ITEMS}; remove some first"
        )
        raise Conflict(
            f"The {entity.name}s cannot be merged: {name}: {message}",
            [{"field": name, "message": message}],
        )


def _dump_merge(merge: MergeRecord) -> dict[str, Any]:
    return {
        "id": merge.id,
        "entity": merge.entity,
        "kept_id": merge.kept_id,
        "merged_id": merge.merged_id,
        "merged_record": merge.merged_record,
        "moved": merge.moved,
        "merged_by": merge.merged_by,
        "merged_at": isoformat(merge.merged_at),
    }

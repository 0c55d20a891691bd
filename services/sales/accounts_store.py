"""Accounts' reads and writes beyond the shared record steps (:mod:`.store`).

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import Conflict
from services.platform.listing import Filter, ListSpec, Lookup, Sort, fetch_page

from . import access, domain, store
from .models import Account, Career, Contact
from .schemas import dump_account, dump_contact

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

ACCOUNTS = store.Kind(Account, domain.ACCOUNT, dump_account, access.ACCOUNTS)


def list_accounts(db: Any, query: Any, caller: Actor) -> dict[str, Any]:
    """A page of the accounts the caller may read (by the read scope of their roles),
    without the fields hidden from them; ``purpose: "export"`` takes the export right."""
    return access.ACCOUNTS.list_page(db, caller, Account, ACCOUNT_LIST_SPEC, query, dump_account)


def account_ids_found(db: Any, q: str, limit: int, caller: Actor) -> list[str]:
    """The ids of the first ``limit`` accounts the accounts' search box finds for ``q``
    (``first_found``) among those the caller may read — the same search, rights and
    refusals as :func:`list_accounts`, without reading or sending the accounts."""
    query = {"q": q, "limit": limit, "first_found": True}
    rights = access.ACCOUNTS
    query = rights.take_purpose(caller, query)
    rights.check_query(caller, query)
    readable = rights.readable(caller, Account.id, Account.owner_id, Account.team_id)
    stmt = sa.select(Account.id).where(readable)
    page = fetch_page(db, stmt, ACCOUNT_LIST_SPEC, query, str, caller)
    return page["items"]


def check_account_exists(db: Any, account_id: str | None, field: str) -> None:
    """``ValidationFailed`` on ``field`` unless ``account_id`` (when given) names an account."""
    store.check_exists(db, Account, account_id, field, "account")


def check_links(db: Any, values: dict[str, Any]) -> None:
    """The account's parent: not itself, and an account that exists."""
    domain.check_parent(values.get("id"), values.get("parent_id"))
    check_account_exists(db, values.get("parent_id"), "parent_id")


def check_unused(db: Any, account: Any) -> None:
    """``Conflict`` while child accounts, contacts or careers point at the account."""
    children = db.execute(
        sa.select(sa.func.count()).where(Account.parent_id == account.id)
    ).scalar_one()
    contacts = db.execute(
        sa.select(sa.func.count()).where(Contact.account_id == account.id)
    ).scalar_one()
    contacts += db.execute(
        sa.select(sa.func.count()).where(Career.account_id == account.id)
    ).scalar_one()
    if children or contacts:
        raise Conflict(
            "The account still has child accounts or contacts",
            [{"field": "account_id", "message": "still has child accounts or contacts"}],
        )


def account_contacts(db: Any, account: Any, caller: Actor) -> list[dict[str, Any]]:
    """The contacts the caller may read that work at the account (``account_id`` or a
    career), by full name, without the fields hidden from them."""
    contacts_access = access.CONTACTS
    caller.require(contacts_access.entity, "read")
    through_careers = sa.select(Career.contact_id).where(Career.account_id == account.id)
    contacts = db.execute(
        sa.select(Contact)
        .where(
            sa.or_(Contact.account_id == account.id, Contact.id.in_(through_careers)),
            contacts_access.readable(caller, Contact.id, Contact.owner_id, Contact.team_id),
        )
        .order_by(Contact.full_name, Contact.id)
    ).scalars()
    return contacts_access.visible_all(caller, (dump_contact(c) for c in contacts))

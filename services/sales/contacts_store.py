"""Contacts' and careers' reads and writes beyond the shared record steps (:mod:`.store`).

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import (
    Filter,
    ListSpec,
    Lookup,
    Sort,
    after_first_word,
)

from . import access, domain, store
from .models import Account, Career, Contact, ContactSearchTerm
from .schemas import dump_career, dump_contact

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
            rights_entity="accounts",
        ),
    ),
    count_total=True,
)

CONTACTS = store.Kind(Contact, domain.CONTACT, dump_contact, access.CONTACTS)


def list_contacts(db: Any, query: Any, caller: Actor) -> dict[str, Any]:
    """A page of the contacts the caller may read (by the read scope of their roles),
    without the fields hidden from them; ``purpose: "export"`` takes the export right."""
    return access.CONTACTS.list_page(db, caller, Contact, CONTACT_LIST_SPEC, query, dump_contact)


def careers(db: Any, contact_id: str) -> list[dict[str, Any]]:
    """The contact's careers, primary first, then the latest start."""
    rows = db.execute(
        sa.select(Career)
        .where(Career.contact_id == contact_id)
        .order_by(
            Career.is_primary.desc(),
            Career.start_date.desc().nulls_last(),
            Career.created_at,
            Career.id,
        )
    ).scalars()
    return [dump_career(c) for c in rows]


def add_career(
    db: Any, contact: Any, values: dict[str, Any], actor: dict[str, Any]
) -> dict[str, Any]:
    """Add the career and emit ``career_added``; a new primary one unsets the old one."""
    if values["is_primary"]:
        db.execute(
            sa.update(Career)
            .where(Career.contact_id == contact.id, Career.is_primary.is_(True))
            .values(is_primary=False)
        )
    career = Career(id=new_id(), contact_id=contact.id, created_at=utcnow(), **values)
    db.add(career)
    db.flush()
    result = dump_career(career)
    db.emit("career_added", result, actor=actor)
    return result

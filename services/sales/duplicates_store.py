"""Finding likely duplicates of an account or a contact: the exact values (email,
phone, web domain) and the nearest names, among the records the caller may read.

Functions that take the session ``db`` first; none commits. The search sets a
similarity threshold for its transaction alone, so the caller commits right after it.
The scoring is :mod:`.domain`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.platform import similar
from services.platform.access import Actor

from . import access, domain
from .models import ACCOUNT_DOMAIN_EXPRESSION, Account, Contact, ContactNameKey
from .schemas import dump_account, dump_contact

#: How many records one exact value (an email, a phone, a web domain) may bring in as
#: candidates; the name brings the ``MAX_SIMILAR`` nearest.
EXACT_MATCH_LIMIT = 50


def contact_candidates(
    db: Any,
    name_index: Any,
    values: Mapping[str, Any],
    caller: Actor,
    exclude_id: str | None = None,
) -> list[dict[str, Any]]:
    """Contacts the caller may read that look like ``values`` (a record or a new one):
    ``[{record, score, reasons}]``, best first. ``name_index``: the in-memory index of
    the contacts' name keys (None: PostgreSQL's trigram index alone)."""
    name = values.get("full_name")
    emails = {e["email"] for e in values.get("emails") or [] if e.get("email")}
    phones = {p["phone"] for p in values.get("phones") or [] if p.get("phone")}
    exact = [Contact.emails.contains([{"email": e}]) for e in sorted(emails)]
    exact += [Contact.phones.contains([{"phone": p}]) for p in sorted(phones)]
    allowed = access.CONTACTS.allowed(caller, Contact, exclude_id)
    rows = similar_rows(
        db, Contact, Contact.full_name, name, exact, allowed, ContactNameKey, name_index
    )
    found = []
    for other, name_score in rows:
        reasons: list[str] = []
        if emails & {e.get("email") for e in other.emails}:
            reasons.append("email")
        if phones & {p.get("phone") for p in other.phones}:
            reasons.append("phone")
        found.append(domain.candidate(dump_contact(other), reasons, name_score))
    return domain.best(found)


def account_candidates(
    db: Any, values: Mapping[str, Any], caller: Actor, exclude_id: str | None = None
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
    allowed = access.ACCOUNTS.allowed(caller, Account, exclude_id)
    rows = similar_rows(db, Account, Account.name, name, exact, allowed)
    found = []
    for other, name_score in rows:
        reasons: list[str] = []
        if own_domain and domain.web_domain(other.web) == own_domain:
            reasons.append("domain")
        if email and other.email == email:
            reasons.append("email")
        if phone and other.phone == phone:
            reasons.append("phone")
        found.append(domain.candidate(dump_account(other), reasons, name_score))
    return domain.best(found)


def similar_rows(
    db: Any,
    model: Any,
    name_column: Any,
    name: str | None,
    exact: list[Any],
    allowed: similar.Allowed,
    keys: Any = None,
    name_index: Any = None,
) -> list[Any]:
    """``(record, name similarity)`` of the candidates, the ``allowed`` ones only (those
    the caller reads by the entity's read scope).

    Each exact value goes through its own index. The names are the ``MAX_SIMILAR``
    most similar with similarity ≥ the threshold, found from the top threshold down
    (:mod:`services.platform.similar`); with ``keys`` (the table of the distinct
    name keys) the trigram search runs over the distinct names only.
    """
    conditions = allowed.conditions()
    branches = [
        sa.select(model.id).where(match, *conditions).limit(EXACT_MATCH_LIMIT) for match in exact
    ]
    if name:
        if keys is not None:
            name_ids = similar.nearest_ids_by_name_key(
                db,
                key_column=keys.key,
                record_key=model.name_key,
                name=name,
                allowed=allowed,
                index=name_index,
            )
        else:
            name_ids = similar.nearest_ids_by_name(
                db,
                record_id=model.id,
                name_column=name_column,
                name=name,
                conditions=conditions,
            )
        if name_ids:
            branches.append(sa.select(model.id).where(model.id.in_(name_ids)))
    if not branches:
        return []
    # One indexed lookup per branch, united, then the records by primary key.
    ids = sa.union(*branches).subquery()
    similarity = sa.func.similarity(name_column, name) if name else sa.null()
    return list(
        db.execute(sa.select(model, similarity).where(model.id.in_(sa.select(ids.c.id)))).all()
    )

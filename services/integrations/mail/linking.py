"""Linking a stored message to the CRM's records, in this order (domain.link_steps):
the sender's address to a contact, an account (by its web domain) or a lead; else the
To/Cc addresses the same way; the subject rules an admin set; the thread's links.
What matches nothing waits in "needs processing". Mail to a shared mailbox from an
unknown sender becomes a lead (source ``email``), once per sender address.

The records belong to other services and are looked up by RPC (:class:`Lookups`);
one linking pass asks once per address.
"""

from __future__ import annotations

import logging
from typing import Any

from services.platform.access import Actor
from services.platform.errors import OspreyError

from . import domain, store

log = logging.getLogger(__name__)

SYSTEM = Actor.system("mail").to_dict()


class LookupUnavailable(Exception):
    """A service the linking needs did not answer: the pass stops and the messages
    wait for the next one (they are not put in "needs processing" for this)."""


class Lookups:
    """Finds records by email address through the owning services' list RPCs, caching
    each answer for one linking pass.

    The calls used today: ``sales.list_contacts`` (``q`` = the address: contacts whose
    emails start with it, kept when one equals it), ``sales.check_account_duplicates``
    (the accounts whose web domain is the address's), ``leads.list_leads``
    (``filter[email]``), ``orders.list_invoices``/``list_orders`` (``filter[number]``).
    """

    def __init__(self, sales: Any, leads: Any, orders: Any):
        self.sales = sales
        self.leads = leads
        self.orders = orders
        self._cache: dict[tuple[str, str], list[str]] = {}

    def _cached(self, kind: str, key: str, fetch: Any) -> list[str]:
        if (kind, key) not in self._cache:
            try:
                self._cache[(kind, key)] = fetch()
            except OspreyError as exc:
                log.warning("mail linking: %s lookup of %s failed: %s", kind, key, exc)
                self._cache[(kind, key)] = []
            except Exception as exc:  # noqa: BLE001 - the service is down or unknown
                raise LookupUnavailable(f"{kind} lookup: {type(exc).__name__}") from exc
        return self._cache[(kind, key)]

    def contacts(self, address: str) -> list[str]:
        def fetch() -> list[str]:
            page = self.sales.list_contacts({"q": address, "limit": 20}, actor=SYSTEM)
            return [
                c["id"]
                for c in page["items"]
                if any((e.get("email") or "").lower() == address for e in c.get("emails") or [])
            ]

        return self._cached("contact", address, fetch)

    def accounts(self, address: str) -> list[str]:
        domain_name = domain.company_domain(address)
        if domain_name is None:
            return []

        def fetch() -> list[str]:
            found = self.sales.check_account_duplicates(
                {"name": domain_name, "web": domain_name}, actor=SYSTEM
            )
            return [c["record"]["id"] for c in found if "domain" in (c.get("reasons") or [])]

        return self._cached("account", domain_name, fetch)

    def leads_by_email(self, address: str) -> list[str]:
        def fetch() -> list[str]:
            page = self.leads.list_leads(
                {"filter": {"email": [address]}, "limit": 20}, actor=SYSTEM
            )
            return [lead["id"] for lead in page["items"]]

        return self._cached("lead", address, fetch)

    def by_reference(self, record_type: str, reference: str) -> list[str]:
        if record_type not in ("invoice", "order"):
            return []

        def fetch() -> list[str]:
            method = getattr(self.orders, f"list_{record_type}s")
            page = method({"filter": {"number": [reference]}, "limit": 5}, actor=SYSTEM)
            return [r["id"] for r in page["items"] if r.get("number") == reference]

        return self._cached(record_type, reference, fetch)

    def create_lead(self, data: dict[str, Any]) -> str:
        return self.leads.create_lead(data, actor=SYSTEM)["id"]


def records_for(lookups: Lookups, address: str) -> list[tuple[str, str]]:
    """The records one address names: its contacts; else its company's accounts; else
    its leads."""
    contacts = lookups.contacts(address)
    if contacts:
        return [("contact", i) for i in contacts]
    accounts = lookups.accounts(address)
    if accounts:
        return [("account", i) for i in accounts]
    return [("lead", i) for i in lookups.leads_by_email(address)]


def link_message(
    db: Any,
    row: Any,
    lookups: Lookups,
    *,
    rules: list[dict[str, Any]],
    own_addresses: set[str],
    shared_mailbox: bool,
) -> list[dict[str, Any]]:
    """Find and store the links of one message; the new links."""
    found: list[tuple[str, str, str]] = []
    for step in domain.link_steps(
        row.from_address, row.to_addresses, row.cc_addresses, own_addresses=own_addresses
    ):
        for address in step.addresses:
            found += [(t, i, step.rule) for t, i in records_for(lookups, address)]
        if found:
            break
    for rule, reference in domain.subject_matches(row.subject, rules):
        if rule.get("record_id"):
            found.append((rule["record_type"], rule["record_id"], "subject"))
        else:
            found += [
                (rule["record_type"], i, "subject")
                for i in lookups.by_reference(rule["record_type"], reference)
            ]
    if not found:
        found = [(t, i, "thread") for t, i in store.thread_links(db, row.thread_key, row.id)]
    if (
        not found
        and shared_mailbox
        and row.direction == "incoming"
        and row.from_address
        and row.from_address not in own_addresses
    ):
        lead_id = lead_for_unknown_sender(db, row, lookups)
        if lead_id:
            found.append(("lead", lead_id, "new_lead"))
    new = store.add_links(db, row.id, list(dict.fromkeys(found)))
    store.mark_linked(db, row.id, needs_processing=not found)
    return new


def adopt_thread(
    db: Any, row: Any, new: list[dict[str, Any]]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Give the thread's waiting messages the links just found (a reply linked before
    the message it answers); ``(message id, its new links)`` each."""
    if not new:
        return []
    found = [(link["type"], link["id"], "thread") for link in new]
    adopted = []
    for message_id in store.waiting_in_thread(db, row.thread_key, row.id):
        links = store.add_links(db, message_id, found)
        store.mark_linked(db, message_id, needs_processing=False)
        if links:
            adopted.append((message_id, links))
    return adopted


def lead_for_unknown_sender(db: Any, row: Any, lookups: Lookups) -> str | None:
    """The lead made for this sender: made now if this is the first mail from them (a
    lead with their address found meanwhile is used instead, so a retried pass never
    makes a second)."""
    address = row.from_address
    if not store.claim_sender_lead(db, address, row.id):
        claimed = store.sender_lead(db, address)
        if claimed is not None and claimed.lead_id:
            return claimed.lead_id
    existing = lookups.leads_by_email(address)
    if existing:
        lead_id = existing[0]
    else:
        lead_id = lookups.create_lead(
            {
                "contact_name": row.from_name or address,
                "email": address,
                "source": "email",
                "channel": "email",
                "notes": f"From an email to a shared mailbox: {row.subject}"[:2000],
                "owner_id": None,
            }
        )
        lookups._cache[("lead", address)] = [lead_id]
    store.set_sender_lead(db, address, lead_id)
    return lead_id

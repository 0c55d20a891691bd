"""Contacts both ways between Google (People v1) and Osprey (the sales service).

Import: ``people/me/connections`` from the cursor's sync token (a full list when there is
none or Google says it expired), a page per transaction, resumable mid-list. A person
in none of the chosen groups is left alone. A new person is matched by email through
the sales duplicate check before a contact is created. A linked one is merged field by
field (:func:`.domain.merge`); what Osprey changed meanwhile goes back to Google.

Export: the contacts the connection exports (all the owner may read, the owner's, or
chosen ones) changed since the last export; a contact whose version is the one last
synced is skipped, so nothing echoes. Deletions follow the connection's choice: ``keep``
only forgets the link, ``propagate`` deletes on the other side too.
"""

from __future__ import annotations

from typing import Any

from nameko.exceptions import RemoteError

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync.companies import Companies
from services.platform.errors import OspreyError

from . import domain, store
from .context import CrmError, SyncContext
from .dependencies import GoogleError
from .models import cursors

CURSOR = "people"
EXPORT_CURSOR = "contacts_export"


def _companies(ctx: SyncContext) -> Companies:
    if ctx.companies is None:
        sales = ctx.rpc["sales"]
        ctx.companies = Companies(
            lambda method, *args, **kw: getattr(sales, method)(*args, actor=ctx.owner, **kw)
        )
    return ctx.companies


def crm_values(ctx: SyncContext, contact: dict[str, Any]) -> dict[str, Any]:
    """An Osprey contact's synced values, its account's name as ``company``."""
    company = _companies(ctx).name_of(contact.get("account_id"))
    return domain.contact_values({**contact, "company": company})


def crm_data(ctx: SyncContext, values: dict[str, Any]) -> dict[str, Any]:
    """What sales is given for synced values: ``company`` as the account of that name."""
    data = domain.contact_data(values)
    if "company" in values:
        data["account_id"] = _companies(ctx).id_for(values["company"])
    return data


def sync_contacts(ctx: SyncContext) -> None:
    cfg = ctx.settings["contacts"]
    if cfg.get("direction", "off") == "off":
        return
    if domain.imports(cfg["direction"]):
        import_people(ctx)
    if domain.exports(cfg["direction"]):
        export_contacts(ctx)
        propagate_crm_deletions(ctx)


def import_people(ctx: SyncContext) -> None:
    people = ctx.api.client("people").people()
    state = cursor_store.read_cursors(ctx.db, cursors, ctx.id).get(CURSOR) or {}
    ctx.db.rollback()
    while ctx.keep_going():
        params: dict[str, Any] = {
            "resourceName": "people/me",
            "personFields": domain.PERSON_FIELDS,
            "pageSize": ctx.config.page_size,
            "requestSyncToken": True,
        }
        if state.get("sync_token"):
            params["syncToken"] = state["sync_token"]
        if state.get("page_token"):
            params["pageToken"] = state["page_token"]
        try:
            page = ctx.api.call(people.connections().list(**params))
        except GoogleError as exc:
            if exc.kind != "expired" or not state:
                raise
            # the sync token is too old: list everything again; links keep it whole
            state = {}
            ctx.count("contacts_full_resyncs")
            continue
        people_here = page.get("connections") or []
        looked_up = _look_alikes(ctx, people_here)
        for person in people_here:
            apply_person(ctx, person, looked_up)
        ctx.flush()  # the page's contacts and links before its cursor
        if page.get("nextPageToken"):
            state = {**state, "page_token": page["nextPageToken"]}
        else:
            state = {"sync_token": page.get("nextSyncToken") or state.get("sync_token")}
        cursor_store.write_cursor(ctx.db, cursors, ctx.id, CURSOR, state)
        ctx.commit()
        if "page_token" not in state:
            return


def apply_person(
    ctx: SyncContext, person: dict[str, Any], looked_up: dict[str, list] | None = None
) -> None:
    """One person from Google: deleted, changed, or new (created in the page's batch;
    matched with the look-alikes found for the page when given)."""
    cfg = ctx.settings["contacts"]
    remote_id = person["resourceName"]
    link = store.link_by_remote(ctx.db, ctx.id, "contact", remote_id)
    if domain.person_deleted(person):
        if link is None:
            return
        if store.is_tombstone(link):
            store.drop_link(ctx.db, ctx.id, "contact", remote_id)  # gone on both sides
        elif cfg.get("deletions") == "propagate":
            ctx.sales("delete_contact", link.crm_id, missing_ok=True)
            ctx.count("contacts_deleted")
            store.drop_link(ctx.db, ctx.id, "contact", remote_id)
        else:
            store.keep_apart(ctx.db, ctx.id, "contact", link)
        return
    if store.is_tombstone(link):
        return  # deleted in Osprey, kept in Google apart
    if link is None and not domain.person_in_groups(person, cfg.get("groups") or []):
        return
    remote = domain.person_values(person)
    if not remote["full_name"]:
        ctx.count("contacts_skipped")
        return
    if link is not None:
        if link.remote_etag == person.get("etag"):
            return  # our own write coming back, or nothing new
        contact = ctx.sales("get_contact", link.crm_id, missing_ok=True)
        if contact is None:
            store.drop_link(ctx.db, ctx.id, "contact", remote_id)
            return
        _reconcile(ctx, person, contact, dict(link.snapshot or {}))
        return
    contact = _match(ctx, remote, (looked_up or {}).get(remote_id))
    if contact is not None:
        _reconcile(ctx, person, contact, {})
        ctx.count("contacts_matched")
        return
    etag = person.get("etag")

    def created(contact: dict[str, Any]) -> None:
        ctx.count("contacts_imported")
        store.save_link(
            ctx.db,
            ctx.id,
            "contact",
            remote_id,
            contact["id"],
            remote_etag=etag,
            crm_version=contact["version"],
            snapshot=remote,
        )

    operation = {
        "entity": "contact",
        "op": "create",
        "data": crm_data(ctx, remote),
        "allow_duplicates": True,
    }
    ctx.batch.add(operation, created)


def _duplicate_check(values: dict[str, Any]) -> dict[str, Any]:
    data = {"full_name": values["full_name"], "emails": [{"email": e} for e in values["emails"]]}
    return {"entity": "contact", "op": "check_duplicates", "data": data}


def _look_alikes(ctx: SyncContext, people: list[dict[str, Any]]) -> dict[str, list]:
    """The sales duplicate check of each new person with an address on the page, in one
    batch: candidates by resource name."""
    checks: dict[str, dict[str, Any]] = {}
    for person in people:
        if domain.person_deleted(person):
            continue
        if store.link_by_remote(ctx.db, ctx.id, "contact", person["resourceName"]) is not None:
            continue
        values = domain.person_values(person)
        if values["full_name"] and values["emails"]:
            checks[person["resourceName"]] = _duplicate_check(values)
    if not checks:
        return {}
    try:
        found = ctx.batch.run(list(checks.values()))
    except (OspreyError, RemoteError) as exc:
        raise CrmError(f"sales.batch: {type(exc).__name__}: {str(exc)[:200]}") from exc
    return dict(zip(checks, found, strict=True))


def _match(
    ctx: SyncContext, values: dict[str, Any], candidates: list | None = None
) -> dict[str, Any] | None:
    """An existing contact with one of the person's addresses (the sales duplicate
    check, as a user creating it would see), not linked to another person yet."""
    if not values["emails"]:
        return None
    if candidates is None:
        candidates = ctx.sales("check_contact_duplicates", _duplicate_check(values)["data"])
    for candidate in candidates or []:
        if "email" not in candidate.get("reasons", []):
            continue
        record = candidate["record"]
        if store.link_by_crm(ctx.db, ctx.id, "contact", record["id"]) is None:
            return record
    return None


def _reconcile(
    ctx: SyncContext, person: dict[str, Any], contact: dict[str, Any], base: dict[str, Any]
) -> None:
    """Both sides of a linked pair brought to the same values by the conflict rule."""
    remote = domain.person_values(person)
    crm = crm_values(ctx, contact)
    crm_modified = domain.parse_time(contact["updated_at"]) if contact.get("updated_at") else None
    remote_modified = domain.person_modified(person)
    to_crm, to_remote, found = domain.merge(
        base,
        crm,
        remote,
        crm_modified=crm_modified,
        remote_modified=remote_modified,
        fields=domain.CONTACT_FIELDS,
    )
    direction = ctx.settings["contacts"]["direction"]
    if to_remote and not domain.exports(direction):
        # import only: Google's values stand; Osprey's edits are not sent back
        to_crm.update({k: remote[k] for k in to_remote})
        to_remote = {}
    if to_crm:
        contact = ctx.sales("update_contact", contact["id"], crm_data(ctx, to_crm))
        ctx.count("contacts_updated")
    if to_remote:
        person = _write_person(
            ctx, person["resourceName"], person.get("etag"), {**remote, **to_remote}
        )
        ctx.count("contacts_exported")
    store.log_conflicts(
        ctx.db,
        ctx.id,
        "contact",
        contact["id"],
        person["resourceName"],
        found,
        crm_modified=crm_modified,
        remote_modified=remote_modified,
    )
    ctx.count("conflicts", len(found))
    store.save_link(
        ctx.db,
        ctx.id,
        "contact",
        person["resourceName"],
        contact["id"],
        remote_etag=person.get("etag"),
        crm_version=contact["version"],
        snapshot={**remote, **to_crm, **to_remote},
    )


def _write_person(
    ctx: SyncContext, resource_name: str | None, etag: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    people = ctx.api.client("people").people()
    body = domain.person_body(values)
    if resource_name is None:
        return ctx.api.call(people.createContact(body=body, personFields=domain.PERSON_FIELDS))
    body["etag"] = etag
    return ctx.api.call(
        people.updateContact(
            resourceName=resource_name,
            body=body,
            updatePersonFields=domain.UPDATE_PERSON_FIELDS,
            personFields=domain.PERSON_FIELDS,
        )
    )


def _contacts_to_export(ctx: SyncContext, since: str | None) -> Any:
    cfg = ctx.settings["contacts"]
    which = cfg.get("export", "mine")
    if which == "chosen":
        for contact_id in cfg.get("export_ids") or []:
            contact = ctx.sales("get_contact", contact_id, missing_ok=True)
            if contact is not None:
                yield contact
        return
    filters: dict[str, Any] = {}
    if since:
        filters["updated_at"] = f"{since}.."
    if which == "mine":
        filters["owner_id"] = ctx.owner["id"]
    cursor = None
    while True:
        query: dict[str, Any] = {"filter": filters, "sort": "updated_at", "limit": 200}
        if cursor:
            query["cursor"] = cursor
        page = ctx.sales("list_contacts", query)
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def export_contacts(ctx: SyncContext) -> None:
    state = cursor_store.read_cursors(ctx.db, cursors, ctx.id).get(EXPORT_CURSOR) or {}
    ctx.db.rollback()
    newest = state.get("since")
    for contact in _contacts_to_export(ctx, state.get("since")):
        if not ctx.keep_going():
            break
        newest = max(newest or contact["updated_at"], contact["updated_at"])
        link = store.link_by_crm(ctx.db, ctx.id, "contact", contact["id"])
        if store.is_tombstone(link):
            continue  # deleted in Google, kept in Osprey apart
        if link is not None and link.crm_version == contact["version"]:
            continue
        values = crm_values(ctx, contact)
        if not values["full_name"]:
            continue
        if link is None:
            person = _write_person(ctx, None, None, values)
        else:
            base = dict(link.snapshot or {})
            changed = {k: v for k, v in values.items() if not domain._same(base.get(k), v)}
            if not changed:
                store.save_link(
                    ctx.db,
                    ctx.id,
                    "contact",
                    link.remote_id,
                    contact["id"],
                    remote_etag=link.remote_etag,
                    crm_version=contact["version"],
                    snapshot=base,
                )
                ctx.commit()
                continue
            try:
                person = _write_person(ctx, link.remote_id, link.remote_etag, {**base, **values})
            except GoogleError as exc:
                if exc.kind == "stale":
                    continue  # changed in Google meanwhile: the next import merges it
                if exc.kind != "not_found":
                    raise
                person = _write_person(ctx, None, None, values)  # deleted there: again
        ctx.count("contacts_exported")
        store.save_link(
            ctx.db,
            ctx.id,
            "contact",
            person["resourceName"],
            contact["id"],
            remote_etag=person.get("etag"),
            crm_version=contact["version"],
            snapshot=domain.person_values(person),
        )
        ctx.commit()
    if newest:
        cursor_store.write_cursor(ctx.db, cursors, ctx.id, EXPORT_CURSOR, {"since": newest})
        ctx.commit()


def propagate_crm_deletions(ctx: SyncContext) -> None:
    """Contacts deleted in Osprey: deleted in Google too when the owner chose so, else
    kept there apart (a tombstone link keeps a change in Google from bringing them
    back)."""
    propagate = ctx.settings["contacts"].get("deletions") == "propagate"
    people = ctx.api.client("people").people()
    for link in store.crm_deleted_links(ctx.db, ctx.id, "contact"):
        if propagate and not store.is_tombstone(link):
            try:
                ctx.api.call(people.deleteContact(resourceName=link.remote_id))
                ctx.count("contacts_deleted_in_google")
            except GoogleError as exc:
                if exc.kind != "not_found":
                    raise
            store.drop_link(ctx.db, ctx.id, "contact", link.remote_id)
        elif store.is_tombstone(link):
            store.drop_link(ctx.db, ctx.id, "contact", link.remote_id)  # gone on both sides
        else:
            store.keep_apart(ctx.db, ctx.id, "contact", link)
        ctx.commit()

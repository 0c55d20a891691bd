"""Contacts both ways between chosen Exchange contact folders and the CRM.

- **In**: each chosen folder is read with SyncFolderItems from its state. A new
  Exchange contact is matched by email through the sales duplicate check before one is
  created (an existing contact is linked instead); a linked one is merged field by
  field (:func:`.domain.merge`: a change on one side goes to the other, a change on
  both is a conflict the side modified last wins, logged).
- **Out**: CRM contacts changed since the last sync and in the connection's export
  choice (all, mine, chosen) are created in the first chosen folder or merged into
  their linked item.
- **Deletions**: with ``deletions`` ``mirror`` a contact deleted on one side is deleted
  on the other; with ``keep`` the other side keeps its copy, unlinked (a tombstone link
  keeps that copy from coming back as a new record on the side that deleted it).

A link's snapshot is what both sides last agreed on, and its ``crm_version`` the CRM
version that was synced: the echo of our own write (the CRM's new version, Exchange's
next SyncFolderItems update) compares equal and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from exchangelib import Contact

from services.integrations.sync.companies import Companies
from services.platform.errors import NotFound

from . import domain, items, store
from .dependencies import CONTACT_FIELDS as EWS_FIELDS
from .sync import Context, apply_crm_deletions, changed_items, folder_pages, request_key

log = logging.getLogger(__name__)

KIND = "contact"


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _companies(ctx: Context) -> Companies:
    if ctx.companies is None:
        sales = ctx.remote.sales
        ctx.companies = Companies(
            lambda method, *args, **kw: getattr(sales, method)(*args, actor=ctx.actor, **kw)
        )
    return ctx.companies


def crm_fields(ctx: Context, contact: dict[str, Any]) -> dict[str, Any]:
    """A CRM contact's synced fields, its account's name as ``company``."""
    company = _companies(ctx).name_of(contact.get("account_id"))
    return domain.contact_fields({**contact, "company": company})


def crm_data(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    """What sales is given for synced fields: ``company`` as the account of that name."""
    data = domain.contact_data(fields)
    if "company" in fields:
        data["account_id"] = _companies(ctx).id_for(fields["company"])
    return data


def sync_contacts(ctx: Context) -> None:
    apply_crm_deletions(ctx, (KIND,))
    folders = ctx.options.get("contact_folders") or ["contacts"]

    def read(key: str) -> None:
        folder_pages(ctx, key, f"contacts:{key}", lambda page: _import_page(ctx, page))

    importing = ctx.options.get("import_contacts", True)
    if importing:
        for key in folders:
            read(key)
    if ctx.options.get("export_contacts", "mine") != "none":
        written = ctx.result.contacts_out
        export_contacts(ctx)
        if importing and ctx.result.contacts_out > written:
            # the folder written to once more, past Osprey's own writes (Exchange would
            # not report a contact made and deleted in Outlook between two reads)
            read(folders[0])


def _import_page(ctx: Context, page: Any) -> None:
    fetched = ctx.ews.fetch(changed_items(ctx, KIND, page.changes), EWS_FIELDS)
    unlinked = [item for item in fetched if store.link_of(ctx.db, ctx.id, KIND, item.id) is None]
    looked_up = _look_alikes(ctx, [items.contact_fields(item) for item in unlinked])
    for item in fetched:
        import_contact(ctx, item, looked_up)
    for change in page.changes:
        if change.kind == "delete":
            _remote_deleted(ctx, change.item_id)


def import_contact(
    ctx: Context, item: Any, looked_up: dict[str, list[dict[str, Any]]] | None = None
) -> None:
    """One Exchange contact: merged into its linked contact, or matched by email (the
    look-alikes found for the page, else asked now), or created (in the page's batch)."""
    remote = items.contact_fields(item)
    link = store.link_of(ctx.db, ctx.id, KIND, item.id)
    if link is not None and link.snapshot.get("tombstone"):
        return  # deleted in the CRM with deletions kept apart: not brought back
    if link is None:
        match = _match(ctx, remote, looked_up)
        if match is None:
            _create(ctx, item, remote)
            return
        _merge(ctx, item, remote, match, snapshot=None)
        return
    try:
        crm = ctx.remote.sales.get_contact(link.crm_id, actor=ctx.actor)
    except NotFound:
        _crm_deleted(ctx, item, link)
        return
    _merge(ctx, item, remote, crm, snapshot=dict(link.snapshot))


def _create(ctx: Context, item: Any, remote: dict[str, Any]) -> None:
    """Create the contact in the page's batch; its link once sales answers."""
    change_key, modified = item.changekey, items.modified_at(item)

    def done(created: dict[str, Any]) -> None:
        store.save_link(
            ctx.db,
            ctx.id,
            KIND,
            item.id,
            created["id"],
            change_key=change_key,
            crm_version=created["version"],
            remote_modified_at=modified,
            snapshot=domain.contact_fields({**created, "company": remote.get("company")}),
        )
        ctx.result.contacts_in += 1

    operation = {
        "entity": "contact",
        "op": "create",
        "data": {**crm_data(ctx, remote), "owner_id": ctx.connection["owner_id"]},
        "allow_duplicates": True,
        # a page read again after a crash gets the same contact back, not another
        "idempotency_key": request_key(ctx, "contact", item.id, item.changekey or ""),
    }
    ctx.batch.add(operation, done)


def _duplicate_check(remote: dict[str, Any], email: str) -> dict[str, Any]:
    data = {"full_name": remote["full_name"] or email, "emails": [{"email": email}]}
    return {"entity": "contact", "op": "check_duplicates", "data": data}


def _look_alikes(ctx: Context, remotes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The sales duplicate check of each address of these new contacts, in one batch:
    candidates by address."""
    emails = {email: remote for remote in remotes for email in remote["emails"]}
    checks = [_duplicate_check(remote, email) for email, remote in emails.items()]
    return dict(zip(emails, ctx.batch.run(checks), strict=True))


def _match(
    ctx: Context,
    remote: dict[str, Any],
    looked_up: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any] | None:
    """The CRM contact with one of these addresses (the sales duplicate check)."""
    for email in remote["emails"]:
        if looked_up is not None and email in looked_up:
            candidates = looked_up[email]
        else:
            candidates = ctx.remote.sales.check_contact_duplicates(
                _duplicate_check(remote, email)["data"], actor=ctx.actor
            )
        for candidate in candidates:
            record = candidate["record"]
            if "email" in candidate.get("reasons", []) and not store.link_by_crm(
                ctx.db, ctx.id, record["id"]
            ):
                return record
    return None


def _merge(
    ctx: Context,
    item: Any,
    remote: dict[str, Any],
    crm: dict[str, Any],
    *,
    snapshot: dict[str, Any] | None,
) -> None:
    merged = domain.merge(
        domain.CONTACT_FIELDS,
        snapshot,
        crm_fields(ctx, crm),
        remote,
        crm_modified_at=_when(crm.get("updated_at")),
        remote_modified_at=items.modified_at(item),
    )
    version = crm["version"]
    if merged.to_crm:
        updated = ctx.remote.sales.update_contact(
            crm["id"], crm_data(ctx, merged.to_crm), actor=ctx.actor
        )
        version = updated["version"]
        ctx.result.contacts_in += 1
    change_key = item.changekey
    if merged.to_remote:
        saved = ctx.ews.save(item, items.apply_contact(item, merged.to_remote))
        change_key = getattr(saved, "changekey", None) or change_key
        ctx.result.contacts_out += 1
    store.log_conflicts(ctx.db, ctx.id, KIND, crm["id"], item.id, merged.conflicts)
    ctx.result.conflicts += len(merged.conflicts)
    if merged.conflicts:
        log.info("connection %s: contact %s: %s", ctx.id, crm["id"], merged.conflicts)
    store.save_link(
        ctx.db,
        ctx.id,
        KIND,
        item.id,
        crm["id"],
        change_key=change_key,
        crm_version=version,
        remote_modified_at=items.modified_at(item),
        snapshot=merged.snapshot,
    )


def _crm_deleted(ctx: Context, item: Any, link: Any) -> None:
    """The linked CRM contact is gone: delete the item too, or keep it unlinked."""
    if ctx.options.get("deletions") == "mirror":
        ctx.ews.delete(item)
        store.drop_link(ctx.db, ctx.id, KIND, item.id)
        ctx.result.deleted += 1
    else:
        store.save_link(ctx.db, ctx.id, KIND, item.id, link.crm_id, snapshot={"tombstone": True})


def _remote_deleted(ctx: Context, remote_id: str) -> None:
    link = store.link_of(ctx.db, ctx.id, KIND, remote_id)
    if link is None:
        return
    if ctx.options.get("deletions") != "mirror":
        # kept in the CRM, unlinked: a tombstone keeps a later change in the CRM from
        # making it again in Exchange, where the user deleted it
        store.save_link(ctx.db, ctx.id, KIND, remote_id, link.crm_id, snapshot={"tombstone": True})
        return
    store.drop_link(ctx.db, ctx.id, KIND, remote_id)
    if not link.snapshot.get("tombstone"):
        try:
            ctx.remote.sales.delete_contact(link.crm_id, actor=ctx.actor)
            ctx.result.deleted += 1
        except NotFound:
            pass


def export_contacts(ctx: Context) -> None:
    """CRM contacts changed since the last export, a page at a time (the cursor is the
    last change time seen)."""
    cursor_key = "crm:contacts"
    target = (ctx.options.get("contact_folders") or ["contacts"])[0]
    while ctx.keep_going():
        since = ctx.cursor(cursor_key).get("since")
        query: dict[str, Any] = {"sort": "updated_at", "limit": ctx.settings.page_size}
        if since:
            query["filter"] = {"updated_at": [f"{since}.."]}
        if ctx.options.get("export_contacts") == "mine":
            query.setdefault("filter", {})["owner_id"] = [ctx.connection["owner_id"]]
        page = ctx.remote.sales.list_contacts(query, actor=ctx.actor)
        rows = page["items"]
        for contact in rows:
            export_contact(ctx, contact, target)
        newest = rows[-1]["updated_at"] if rows else since
        if newest != since:  # nothing changed since: the cursor stays as it is
            ctx.save_cursor(cursor_key, {"since": newest})
        ctx.db.commit()
        # a full page whose last change time did not move would loop: go past it
        if len(rows) < query["limit"] or newest == since:
            return


def export_contact(ctx: Context, contact: dict[str, Any], target: str) -> None:
    link = store.link_by_crm(ctx.db, ctx.id, contact["id"])
    if link is not None:
        if link.snapshot.get("tombstone") or link.crm_version == contact["version"]:
            return  # unlinked on purpose, or nothing changed since the last sync
        found = ctx.ews.fetch([link.remote_id], EWS_FIELDS)
        if not found:
            return  # gone in Exchange: the folder's next delete says what to do
        item = found[0]
        _merge(ctx, item, items.contact_fields(item), contact, snapshot=dict(link.snapshot))
        return
    if not domain.scope_includes(ctx.options, contact, ctx.connection["owner_id"]):
        return
    item = Contact(account=ctx.ews.account, folder=ctx.ews.folder(target))
    fields = crm_fields(ctx, contact)
    items.apply_contact(item, {k: v for k, v in fields.items()})
    if not item.display_name:
        item.display_name = contact.get("full_name") or "(no name)"
    saved = ctx.ews.save(item)
    store.save_link(
        ctx.db,
        ctx.id,
        KIND,
        saved.id,
        contact["id"],
        change_key=saved.changekey,
        crm_version=contact["version"],
        snapshot=fields,
    )
    ctx.db.commit()  # the item exists in Exchange now: its link must not wait for the page
    ctx.result.contacts_out += 1

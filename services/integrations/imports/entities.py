"""Writing a batch of converted rows through the owning service's RPC, and undoing it.

Each row is created, updated or skipped where its records are owned: leads in batches
through ``leads.create_leads_in_bulk`` (matched on email or phone set-based, a
thousand rows at a time) or, when the user matches on names, ``leads.import_leads``
(the look-alike search on each row); the others one row at a time through
``create_<entity>`` after ``check_<entity>_duplicates``. The
service's own validation is the last word: its ``ValidationFailed`` becomes the row's
reasons. What a row became is returned as a ``job_rows`` entry; a rollback deletes what
was created and writes back what an update changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.platform.errors import Conflict, NotFound, OspreyError, PermissionDenied

from . import domain

SINGULAR = {
    "leads": "lead",
    "contacts": "contact",
    "accounts": "account",
    "opportunities": "opportunity",
    "activities": "activity",
    "products": "product",
}

#: the most rows ``leads.import_leads`` takes in one call
LEADS_PER_CALL = 500
#: the most rows ``leads.create_leads_in_bulk`` takes in one call
LEADS_PER_BULK_CALL = 5000
#: the match keys the bulk create checks itself, set-based
BULK_MATCH_KEYS = ("email", "phone")


def chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass
class Row:
    row_no: int
    cells: list[Any]
    values: dict[str, Any]
    errors: list[dict[str, str]]


@dataclass
class Batch:
    """What one batch did: ``job_rows`` entries, and accounts made for links."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    side_records: list[dict[str, Any]] = field(default_factory=list)


def failed_entry(row: Row, errors: list[dict[str, Any]]) -> dict[str, Any]:
    cells = [c if isinstance(c, str | int | float | bool) or c is None else str(c)
             for c in row.cells]  # fmt: skip
    return {"row_no": row.row_no, "status": "failed", "cells": cells, "errors": errors}


def _errors_of(error: OspreyError) -> list[dict[str, Any]]:
    return error.errors or [{"field": "", "message": error.message}]


class Writer:
    """One import's writing: its entity, options and caller, the RPC proxies, and the
    accounts it has looked up by name (a job's cache)."""

    def __init__(
        self,
        rpcs: dict[str, Any],
        entity: str,
        job_id: str,
        actor: dict[str, Any],
        options: dict[str, Any],
    ):
        self.rpcs = rpcs
        self.entity = entity
        self.job_id = job_id
        self.actor = {**actor, "via": "import"}
        self.options = options
        self.accounts: dict[str, str | None] = {}

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        service = self.rpcs[domain.OWNERS[self.entity]]
        return getattr(service, method)(*args, **kwargs)

    # --- writing ---------------------------------------------------------------------
    def write(self, rows: list[Row]) -> Batch:
        return self.send(rows)()

    def send(self, rows: list[Row]) -> Callable[[], Batch]:
        """Start writing the rows; what they became comes from the function returned.
        A leads batch for the bulk create is sent and answered meanwhile (the caller
        reads the next batch while the leads service writes this one); other batches
        are written before this returns."""
        batch = Batch()
        good: list[Row] = []
        for row in rows:
            if row.errors:
                batch.entries.append(failed_entry(row, row.errors))
            else:
                good.append(row)
        if not good:
            return lambda: batch
        if self.entity != "leads":
            for row in good:
                self._write_one(row, batch)
            return lambda: batch
        if self._bulk() and len(good) <= LEADS_PER_BULK_CALL:
            reply = self._bulk_call(good)
            return lambda: self._bulk_answer(good, reply.result(), batch)
        self._write_leads(good, batch)
        return lambda: batch

    def _bulk(self) -> bool:
        """Whether the leads go through the bulk create: matched on its exact keys alone
        (or not matched)."""
        match_on = self.options["match_on"]
        return self.options["on_duplicate"] == "create" or set(match_on) <= set(BULK_MATCH_KEYS)

    def _write_leads(self, rows: list[Row], batch: Batch) -> None:
        match_on = self.options["match_on"]
        if self._bulk():
            for part in chunks(rows, LEADS_PER_BULK_CALL):
                self._bulk_answer(part, self._bulk_call(part).result(), batch)
            return
        # matching on names: the look-alike search of each row (import_leads)
        again: list[Row] = []
        for part in chunks(rows, LEADS_PER_CALL):
            payloads = [domain.payload("leads", row.values) for row in part]
            answer = self.rpcs["leads"].import_leads(payloads, self.actor, on_duplicate="skip")
            for row, result in zip(part, answer["rows"], strict=True):
                if result["status"] == "created":
                    batch.entries.append(
                        {"row_no": row.row_no, "status": "created", "record_id": result["lead_id"]}
                    )
                elif result["status"] == "failed":
                    batch.entries.append(failed_entry(row, result["errors"]))
                else:
                    match = domain.matches(result["similar"], match_on)
                    if match is None:
                        again.append(row)  # alike by a key the user did not choose
                    else:
                        batch.entries.append(self._on_match(row, match["record"]["id"]))
        self._create_leads(again, batch)

    def _bulk_call(self, rows: list[Row]) -> Any:
        """``leads.create_leads_in_bulk`` of up to 5,000 rows, sent (its reply to wait
        for): matched on the chosen exact keys (email, phone) against the leads the
        caller may read and the rows before them."""
        create_anyway = self.options["on_duplicate"] == "create"
        return self.rpcs["leads"].create_leads_in_bulk.call_async(
            [domain.payload("leads", row.values) for row in rows],
            self.actor,
            match_on=[] if create_anyway else list(self.options["match_on"]),
            on_duplicate="create" if create_anyway else "skip",
        )

    def _bulk_answer(self, rows: list[Row], answer: dict[str, Any], batch: Batch) -> Batch:
        """What each row became: created, its match skipped or updated, or refused with
        the leads service's reasons."""
        for row, result in zip(rows, answer["rows"], strict=True):
            if result["status"] == "created":
                batch.entries.append(
                    {"row_no": row.row_no, "status": "created", "record_id": result["lead_id"]}
                )
            elif result["status"] == "matched":
                batch.entries.append(self._on_match(row, result["lead_id"]))
            else:
                batch.entries.append(failed_entry(row, result["errors"]))
        return batch

    def _create_leads(self, rows: list[Row], batch: Batch) -> None:
        """Create the rows through ``import_leads``, up to 500 a call, the calls made at
        once: the leads service's workers overlap their database round trips."""
        parts = chunks(rows, LEADS_PER_CALL)
        replies = [
            self.rpcs["leads"].import_leads.call_async(
                [domain.payload("leads", row.values) for row in part],
                self.actor,
                on_duplicate="flag",
            )
            for part in parts
        ]
        for part, reply in zip(parts, replies, strict=True):
            try:
                answer = reply.result()
            except OspreyError:
                raise
            except Exception:  # noqa: BLE001 - e.g. two batches deadlocked on a name key
                # the failed call wrote nothing (one transaction): again, on its own
                answer = self.rpcs["leads"].import_leads(
                    [domain.payload("leads", row.values) for row in part],
                    self.actor,
                    on_duplicate="flag",
                )
            for row, result in zip(part, answer["rows"], strict=True):
                if result["status"] == "created":
                    batch.entries.append(
                        {"row_no": row.row_no, "status": "created", "record_id": result["lead_id"]}
                    )
                else:
                    batch.entries.append(failed_entry(row, result["errors"]))

    def _write_one(self, row: Row, batch: Batch) -> None:
        singular = SINGULAR[self.entity]
        try:
            data = domain.payload(self.entity, row.values)
            account_name = row.values.get("account_name")
            if account_name and self.entity in ("contacts", "opportunities"):
                data["account_id"] = self._account_id(account_name, batch)
            match = self._find_match(data)
            if match is not None:
                batch.entries.append(self._on_match(row, match))
                return
            key = f"import:{self.job_id}:{row.row_no}"
            if self.entity in ("accounts", "contacts"):
                record = self._call(
                    f"create_{singular}", data, self.actor, allow_duplicates=True,
                    idempotency_key=key,
                )  # fmt: skip
            else:
                record = self._call(f"create_{singular}", data, self.actor, idempotency_key=key)
        except (OspreyError, LinkMissing) as error:
            errors = error.errors if isinstance(error, LinkMissing) else _errors_of(error)
            batch.entries.append(failed_entry(row, errors))
            return
        batch.entries.append({"row_no": row.row_no, "status": "created", "record_id": record["id"]})

    def _find_match(self, data: dict[str, Any]) -> str | None:
        match_on = self.options["match_on"]
        if not match_on or self.options["on_duplicate"] == "create":
            return None
        if self.entity == "products":
            found = self._call("list_products", {"filter": {"code": [data["code"]]}, "limit": 20},
                               self.actor)["items"]  # fmt: skip
            for item in found:
                if str(item.get("code", "")).lower() == str(data["code"]).lower():
                    return item["id"]
            return None
        if self.entity in ("leads", "contacts", "accounts"):
            similar = self._call(f"check_{SINGULAR[self.entity]}_duplicates", data, self.actor)
            match = domain.matches(similar, match_on)
            return match["record"]["id"] if match else None
        return None

    def _on_match(self, row: Row, record_id: str) -> dict[str, Any]:
        """Skip or update the record the row matched (``on_duplicate``)."""
        if self.options["on_duplicate"] == "skip":
            return {"row_no": row.row_no, "status": "skipped", "record_id": record_id}
        singular = SINGULAR[self.entity]
        try:
            current = self._call(f"get_{singular}", record_id, self.actor)
            values = {k: v for k, v in row.values.items() if k != "account_name"}
            if self.entity == "leads" and "account_name" in row.values:
                values["account_name"] = row.values["account_name"]
            if self.entity == "contacts":
                values.pop("email", None)
                values.pop("phone", None)
            changes = domain.update_changes(values, current)
            if not changes:
                return {"row_no": row.row_no, "status": "skipped", "record_id": record_id}
            before = {name: current.get(name) for name in changes}
            after = self._call(f"update_{singular}", record_id, changes, self.actor)
            if after.get("version") == current.get("version"):
                # the service found nothing to change (a phone written another way)
                return {"row_no": row.row_no, "status": "skipped", "record_id": record_id}
        except OspreyError as error:
            return failed_entry(row, _errors_of(error))
        return {"row_no": row.row_no, "status": "updated", "record_id": record_id,
                "before": before}  # fmt: skip

    def _account_id(self, name: str, batch: Batch) -> str:
        """The account of this name the caller may read, made when the user chose so."""
        folded = name.strip().lower()
        if folded not in self.accounts:
            found = self.rpcs["sales"].list_accounts(
                {"filter": {"name": [name]}, "limit": 50}, self.actor
            )["items"]
            exact = [a["id"] for a in found if a["name"].strip().lower() == folded]
            self.accounts[folded] = exact[0] if exact else None
        account_id = self.accounts[folded]
        if account_id is None:
            if not self.options["create_accounts"]:
                raise LinkMissing("account_name", f"no account named {name!r}")
            account = self.rpcs["sales"].create_account(
                {"name": name}, self.actor, allow_duplicates=True
            )
            account_id = self.accounts[folded] = account["id"]
            batch.side_records.append({"entity": "accounts", "record_id": account_id})
        return account_id

    # --- undoing ---------------------------------------------------------------------
    def undo_all(self, entries: list[Any]) -> None:
        """Undo the entries: the leads they created deleted a batch a call
        (``leads.delete_leads_in_bulk``), the other records they created at once (the
        owning service's workers take the calls side by side), then the rest one by one
        — side records (accounts made for links) last, once the rows pointing at them
        are undone. A created lead the caller may no longer delete (its owner changed
        since) stops the rollback with ``PermissionDenied``, as deleting it alone would."""
        rows = [e for e in entries if e.row_no >= 0]
        created = [e for e in rows if e.status == "created"]
        leads = [str(e.record_id) for e in created if (e.entity or self.entity) == "leads"]
        for part in chunks(leads, LEADS_PER_BULK_CALL):
            answer = self.rpcs[domain.OWNERS["leads"]].delete_leads_in_bulk(part, self.actor)
            if answer["denied"]:
                raise PermissionDenied(
                    f"You may not delete {len(answer['denied'])} of the leads it created"
                )
        replies = []
        for entry in created:
            entity = entry.entity or self.entity
            if entity == "leads":
                continue
            service = self.rpcs[domain.OWNERS[entity]]
            delete = getattr(service, f"delete_{SINGULAR[entity]}")
            replies.append(delete.call_async(entry.record_id, self.actor))
        for reply in replies:
            with contextlib.suppress(NotFound, Conflict):
                reply.result()
        for entry in [e for e in rows if e.status != "created"]:
            self.undo(entry)
        for entry in [e for e in entries if e.row_no < 0]:
            self.undo(entry)

    def undo(self, entry: Any) -> None:
        """Delete what a row created, or write back what it updated. A record deleted
        or changed since by someone else is left as it is."""
        entity = entry.entity or self.entity
        service = self.rpcs[domain.OWNERS[entity]]
        singular = SINGULAR[entity]
        try:
            if entry.status == "created":
                getattr(service, f"delete_{singular}")(entry.record_id, self.actor)
            elif entry.status == "updated" and entry.before:
                getattr(service, f"update_{singular}")(entry.record_id, entry.before, self.actor)
        except (NotFound, Conflict):
            pass


class LinkMissing(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.errors = [{"field": field_name, "message": message}]

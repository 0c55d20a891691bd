"""The round trips an Exchange sync makes, counted: to the sales service (through the
exchange service's own RPC proxy) and to Exchange (the EWS peer's requests). What an
incremental sync costs is these calls, so each is a test: a series re-read after an
occurrence was written asks for its activities in one call, not one each; Osprey's own
writes read again are not fetched; a sync with nothing new writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from services.integrations.exchange.connections import ConnectionsRpc

from ..conftest import call
from .conftest import connect, sync
from .test_calendar import activities, put_series


class Counting:
    """A proxy that notes the name of each method called through it."""

    def __init__(self, proxy: Any, calls: list[str]):
        self._proxy = proxy
        self._calls = calls

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._proxy, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(name)
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def sales_calls(monkeypatch) -> list[str]:
    """The sales RPCs the exchange service makes, in order, by method name."""
    calls: list[str] = []
    original = ConnectionsRpc.remote

    def remote(self: Any) -> Any:
        found = original(self)
        return dataclasses.replace(found, sales=Counting(found.sales, calls))

    monkeypatch.setattr(ConnectionsRpc, "remote", remote)
    return calls


def test_a_series_read_again_asks_for_its_occurrences_in_one_call(stack, ews, sales_calls):
    owner = stack["owner"]
    put_series(ews)
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        import_contacts=False,
        export_contacts="none",
        sync_tasks=False,
        past_days=3660,
        future_days=3660,
    )
    sync(stack, connection["id"])
    found = activities(stack, owner)
    assert len(found) == 6

    # one occurrence renamed in Osprey: written to Exchange as the series' exception,
    # which changes the master, so the series is read again in the same sync
    call(stack["sales"], "update_activity", found[1]["id"], {"title": "With legal"}, owner)
    sales_calls.clear()
    before = len(ews.requests)
    written = sync(stack, connection["id"])["last_sync"]
    assert written["meetings_out"] == 1 and written["meetings_in"] == 0, written
    assert ews.requests[before:].count("SyncFolderItems") == 2  # read again past the write
    # the six occurrences' activities in one batch, not a get_activity each
    assert "get_activity" not in sales_calls, sales_calls
    assert sales_calls.count("batch") == 1, sales_calls

    again = sync(stack, connection["id"])["last_sync"]
    assert again["meetings_in"] == again["meetings_out"] == 0, again
    titles = [a["title"] for a in activities(stack, owner)]
    assert titles.count("With legal") == 1 and len(titles) == 6


def test_osprey_s_own_writes_read_again_are_not_fetched(stack, ews, sales_calls):
    """Contacts made in Exchange by Osprey come back when the folder is read again past
    them, with the change keys their links hold: neither GetItem nor sales is asked."""
    sales, owner = stack["sales"], stack["owner"]
    connection = connect(stack, ews, sync_mail=False, sync_calendar=False, sync_tasks=False)
    sync(stack, connection["id"])
    for name in ("Rita Sent", "Sam Sent"):
        email = f"{name.split()[0].lower()}@sent.test"
        call(sales, "create_contact", {"full_name": name, "emails": [{"email": email}]}, owner)
    sales_calls.clear()
    before = len(ews.requests)
    written = sync(stack, connection["id"])["last_sync"]
    assert written["contacts_out"] == 2 and written["contacts_in"] == 0, written
    asked = ews.requests[before:]
    assert asked.count("CreateItem") == 2 and asked.count("SyncFolderItems") == 2, asked
    assert "GetItem" not in asked, asked
    assert sales_calls == ["list_contacts"], sales_calls

    # and a change made in Outlook afterwards is read as always
    item = next(i for i in ews.mailbox.items.values() if i.tag == "Contact")
    ews.mailbox.put("contacts", {"JobTitle": "Buyer"}, item_id=item.id)
    changed = sync(stack, connection["id"])["last_sync"]
    assert changed["contacts_in"] == 1, changed
    jobs = [c["job_title"] for c in call(sales, "list_contacts", {}, owner)["items"]]
    assert jobs.count("Buyer") == 1


def test_a_sync_with_nothing_new_writes_no_cursor(stack, ews, db_engine, sales_calls):
    """Nothing changed on either side: one SyncFolderItems per folder, the CRM asked
    once per kind for its changes, and no cursor written (each folder keeps its state)."""
    connection = connect(stack, ews)
    sync(stack, connection["id"])
    sync(stack, connection["id"])

    def cursors() -> dict[str, Any]:
        with db_engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT key, updated_at FROM exchange.cursors WHERE connection_id = :id"),
                {"id": connection["id"]},
            ).all()
        return dict(rows)

    kept = cursors()
    assert kept, "the first syncs wrote their cursors"
    sales_calls.clear()
    before = len(ews.requests)
    counts = sync(stack, connection["id"])["last_sync"]
    assert not any(counts.values()), counts
    assert ews.requests[before:] == ["SyncFolderItems"] * 5
    assert sorted(sales_calls) == ["list_activities", "list_activities", "list_contacts"]
    assert cursors() == kept

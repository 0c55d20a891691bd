"""The sales service in a real Nameko container, over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)
ADMIN = person("root@osprey.test", "admin", None)


class SalesEventsWatcher:
    """A consumer in another service, as any Osprey service would write one."""

    name = "sales_events_watcher"

    @event_handler("sales", "account_created")
    def handle_account_created(self, event: dict) -> dict:
        return event

    @event_handler("sales", "account_updated")
    def handle_account_updated(self, event: dict) -> dict:
        return event

    @event_handler("sales", "account_deleted")
    def handle_account_deleted(self, event: dict) -> dict:
        return event

    @event_handler("sales", "contact_created")
    def handle_contact_created(self, event: dict) -> dict:
        return event

    @event_handler("sales", "contact_updated")
    def handle_contact_updated(self, event: dict) -> dict:
        return event

    @event_handler("sales", "contact_deleted")
    def handle_contact_deleted(self, event: dict) -> dict:
        return event


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def account(container, actor: dict, **data: Any) -> dict:
    return call(container, "create_account", data, actor=actor)


def contact(container, actor: dict, **data: Any) -> dict:
    return call(container, "create_contact", data, actor=actor)


def rows(engine: sa.Engine, table: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT * FROM sales.{table} ORDER BY id")).all()


def outbox_types(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT type FROM sales.outbox ORDER BY id")).scalars())


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- accounts ---------------------------------------------------------------------------


def test_account_crud_over_the_wire(sales, service_config):
    with ServiceRpcProxy("sales", service_config) as rpc:
        acme = rpc.create_account(
            {
                "name": "Acme",
                "type": "customer",
                "email": "Sales@Acme.IO",
                "addresses": [{"kind": "billing", "city": "Berlin"}],
            },
            actor=REP_A,
        )
        again = rpc.get_account(acme["id"], actor=REP_A)
        with pytest.raises(ValidationFailed) as exc:
            rpc.create_account({"type": "customer"}, actor=REP_A)
    assert again == acme
    assert acme["email"] == "sales@acme.io" and acme["addresses"][0]["city"] == "Berlin"
    assert acme["version"] == 1 and acme["owner_id"] == REP_A["id"] and acme["team_id"] == TEAM_A
    assert acme["created_by"] == REP_A["id"] and acme["created_at"].endswith("Z")
    assert exc.value.errors[0]["field"] == "name"


def test_account_parent_must_exist_and_not_be_itself(sales, db_engine):
    parent = account(sales, REP_A, name="Acme Group")
    child = call(  # a look-alike of its parent on purpose
        sales,
        "create_account",
        {"name": "Acme GmbH", "parent_id": parent["id"]},
        actor=REP_A,
        allow_duplicates=True,
    )
    assert child["parent_id"] == parent["id"]
    with pytest.raises(ValidationFailed) as exc:
        account(sales, REP_A, name="Orphan", parent_id=new_id())
    assert error_fields(exc) == {"parent_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "update_account", child["id"], {"parent_id": child["id"]}, actor=REP_A)
    assert error_fields(exc) == {"parent_id"}
    # a parent with children (or contacts) is not deleted from under them
    with pytest.raises(Conflict):
        call(sales, "delete_account", parent["id"], actor=REP_A)
    assert len(rows(db_engine, "accounts")) == 2


def test_account_update_versions_and_stale_conflict(sales, db_engine):
    acme = account(sales, REP_A, name="Acme")
    updated = call(
        sales,
        "update_account",
        acme["id"],
        {"industry": "Rockets"},
        actor=REP_A,
        expected_version=1,
    )
    assert updated["version"] == 2 and updated["industry"] == "Rockets"
    same = call(sales, "update_account", acme["id"], {"industry": "Rockets"}, actor=REP_A)
    assert same == updated  # nothing changed, no new version
    with pytest.raises(Conflict):
        call(sales, "update_account", acme["id"], {"name": "X"}, actor=REP_A, expected_version=1)
    with pytest.raises(Conflict):
        call(sales, "delete_account", acme["id"], actor=REP_A, expected_version=1)
    assert call(sales, "get_account", acme["id"], actor=REP_A)["name"] == "Acme"
    assert call(sales, "delete_account", acme["id"], actor=REP_A, expected_version=2) is None
    assert rows(db_engine, "accounts") == []
    assert outbox_types(db_engine) == ["account_created", "account_updated", "account_deleted"]


def test_account_rights_and_lists(sales):
    mine = account(sales, REP_A, name="Acme Corp", type="customer", industry="Rockets")
    teammates = account(sales, REP_A2, name="Globex", type="partner")
    theirs = account(sales, REP_B, name="Initech", type="customer")

    def ids(actor: dict, query: dict | None = None) -> set[str]:
        return {a["id"] for a in call(sales, "list_accounts", query or {}, actor=actor)["items"]}

    assert ids(REP_A) == {mine["id"], teammates["id"]}
    assert ids(ADMIN) == {mine["id"], teammates["id"], theirs["id"]}
    assert ids(ADMIN, {"filter": {"type": ["customer"]}}) == {mine["id"], theirs["id"]}
    assert ids(ADMIN, {"filter": {"name": ["cme c"]}}) == {mine["id"]}
    assert ids(ADMIN, {"q": "acme c"}) == {mine["id"]}  # the start of the name
    with pytest.raises(NotFound):
        call(sales, "get_account", theirs["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "update_account", theirs["id"], {"name": "X"}, actor=REP_A)
    with pytest.raises(PermissionDenied):  # a teammate's record is readable, not changeable
        call(sales, "update_account", teammates["id"], {"name": "X"}, actor=REP_A)
    assert call(sales, "update_account", teammates["id"], {"web": "globex.io"}, actor=MANAGER_A)
    with pytest.raises(PermissionDenied):
        account(sales, REP_A, name="Elsewhere", team_id=TEAM_B)
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_accounts", {"filter": {"colour": ["red"]}}, actor=REP_A)
    assert error_fields(exc) == {"filter[colour]"}


# --- contacts ---------------------------------------------------------------------------


def test_contact_crud_lists_and_links(sales, db_engine):
    acme = account(sales, REP_A, name="Acme")
    ann = contact(
        sales,
        REP_A,
        full_name="Ann Lee",
        job_title="Buyer",
        account_id=acme["id"],
        emails=[{"email": "Ann@Acme.IO", "is_primary": True}],
        phones=[{"phone": "+1 (555) 010-0000", "kind": "mobile"}],
    )
    bob = contact(sales, REP_A2, full_name="Bob Stone")
    assert ann["emails"] == [{"email": "ann@acme.io", "kind": "work", "is_primary": True}]
    assert ann["phones"] == [{"phone": "+15550100000", "kind": "mobile", "is_primary": False}]
    assert bob["emails"] == [] and bob["account_id"] is None
    assert call(sales, "get_contact", ann["id"], actor=REP_A) == ann

    def ids(query: dict) -> set[str]:
        return {c["id"] for c in call(sales, "list_contacts", query, actor=REP_A)["items"]}

    assert ids({"filter": {"account_id": [acme["id"]]}}) == {ann["id"]}
    assert ids({"filter": {"owner_id": [REP_A2["id"]]}}) == {bob["id"]}
    assert ids({"filter": {"full_name": ["n le"]}}) == {ann["id"]}
    assert ids({"q": "ann@acme"}) == ids({"q": "acm"}) == {ann["id"]}  # email; company
    assert ids({"q": "sto"}) == {bob["id"]}  # the start of the surname

    with pytest.raises(ValidationFailed) as exc:
        contact(sales, REP_A, full_name="Nobody", account_id=new_id())
    assert error_fields(exc) == {"account_id"}
    with pytest.raises(ValidationFailed) as exc:
        contact(sales, REP_A, job_title="No name")
    assert error_fields(exc) == {"full_name"}
    with pytest.raises(Conflict):  # the account still has Ann
        call(sales, "delete_account", acme["id"], actor=REP_A)

    moved = call(
        sales, "update_contact", ann["id"], {"account_id": None}, actor=REP_A, expected_version=1
    )
    assert moved["account_id"] is None and moved["version"] == 2
    with pytest.raises(Conflict):
        call(
            sales, "update_contact", ann["id"], {"job_title": "X"}, actor=REP_A, expected_version=1
        )
    with pytest.raises(Conflict):
        call(sales, "delete_contact", ann["id"], actor=REP_A, expected_version=1)
    call(sales, "delete_contact", ann["id"], actor=REP_A, expected_version=2)
    call(sales, "delete_account", acme["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "get_contact", ann["id"], actor=REP_A)
    assert [str(r.id) for r in rows(db_engine, "contacts")] == [bob["id"]]


def test_contact_rights(sales):
    theirs = contact(sales, REP_B, full_name="Bea B")
    teammates = contact(sales, REP_A2, full_name="Abe A")
    for method, args in (
        ("get_contact", (theirs["id"],)),
        ("update_contact", (theirs["id"], {"job_title": "X"})),
        ("delete_contact", (theirs["id"],)),
        ("get_contact", ("not-a-uuid",)),
    ):
        with pytest.raises(NotFound):
            call(sales, method, *args, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(sales, "delete_contact", teammates["id"], actor=REP_A)
    assert call(sales, "delete_contact", teammates["id"], actor=MANAGER_A) is None
    assert call(sales, "delete_contact", theirs["id"], actor=ADMIN) is None


# --- metadata and events ----------------------------------------------------------------


def test_describe_needs_no_caller(sales):
    assert call(sales, "describe_accounts")["name"] == "accounts"
    assert call(sales, "describe_contacts", actor=REP_A)["name"] == "contacts"


def test_changes_reach_consumers_as_enveloped_events(sales, container_factory, service_config):
    watcher = container_factory(SalesEventsWatcher, service_config)
    watcher.start()

    with entrypoint_waiter(watcher, "handle_account_created") as account_created:
        acme = account(sales, REP_A, name="Acme")
    with entrypoint_waiter(watcher, "handle_contact_created") as contact_created:
        ann = contact(sales, REP_A, full_name="Ann", account_id=acme["id"])
    with entrypoint_waiter(watcher, "handle_contact_updated") as contact_updated:
        ann2 = call(sales, "update_contact", ann["id"], {"job_title": "CTO"}, actor=REP_A)
    with entrypoint_waiter(watcher, "handle_contact_deleted") as contact_deleted:
        call(sales, "delete_contact", ann["id"], actor=REP_A)
    with entrypoint_waiter(watcher, "handle_account_updated") as account_updated:
        acme2 = call(sales, "update_account", acme["id"], {"type": "partner"}, actor=MANAGER_A)
    with entrypoint_waiter(watcher, "handle_account_deleted") as account_deleted:
        call(sales, "delete_account", acme["id"], actor=REP_A)

    events = [
        w.get()
        for w in (
            account_created,
            contact_created,
            contact_updated,
            contact_deleted,
            account_updated,
            account_deleted,
        )
    ]
    for event in events:
        assert set(event) == {"id", "type", "occurred_at", "actor", "source", "data"}
        assert event["source"] == "sales"
    assert [e["type"] for e in events] == [
        "account_created",
        "contact_created",
        "contact_updated",
        "contact_deleted",
        "account_updated",
        "account_deleted",
    ]
    assert events[0]["data"] == acme and events[1]["data"] == ann
    assert events[2]["data"] == {**ann2, "changed_fields": ["job_title"]}
    assert events[3]["data"] == ann2
    assert events[4]["data"] == {**acme2, "changed_fields": ["type"]}
    assert events[4]["actor"]["id"] == MANAGER_A["id"]
    assert events[5]["data"] == acme2

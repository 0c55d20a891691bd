"""The leads service in a real Nameko container, over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.leads.service import LeadsService
from services.platform.errors import (
    Conflict,
    NotFound,
    OspreyError,
    PermissionDenied,
    ValidationFailed,
)
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)
ADMIN = person("root@osprey.test", "admin", None)


class LeadEventsWatcher:
    """A consumer in another service, as any Osprey service would write one."""

    name = "lead_events_watcher"

    @event_handler("leads", "lead_created")
    def handle_lead_created(self, event: dict) -> dict:
        return event

    @event_handler("leads", "lead_updated")
    def handle_lead_updated(self, event: dict) -> dict:
        return event

    @event_handler("leads", "lead_deleted")
    def handle_lead_deleted(self, event: dict) -> dict:
        return event


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def create(container, actor: dict, **data: Any) -> dict:
    return call(container, "create_lead", data, actor=actor)


def lead_rows(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM leads.leads ORDER BY id")).all()


def outbox_types(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT type FROM leads.outbox ORDER BY id")).scalars())


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- create and read ------------------------------------------------------------------


def test_create_and_get_over_the_wire(leads, service_config):
    with ServiceRpcProxy("leads", service_config) as rpc:
        lead = rpc.create_lead(
            {"contact_name": "Ann Lee", "email": "Ann@Acme.IO", "phone": "+1 (555) 010-0000"},
            actor=REP_A,
        )
        again = rpc.get_lead(lead["id"], actor=REP_A)
        with pytest.raises(ValidationFailed) as exc:
            rpc.create_lead({"source": "web"}, actor=REP_A)
    assert lead.pop("similar") == []  # the answer to a create names look-alikes too
    assert again == lead
    assert lead["email"] == "ann@acme.io" and lead["phone"] == "+15550100000"
    assert lead["stage"] == "qualification" and lead["version"] == 1
    assert lead["owner_id"] == REP_A["id"] and lead["team_id"] == TEAM_A
    assert lead["created_by"] == REP_A["id"]
    assert lead["created_at"].endswith("Z") and lead["created_at"] == lead["updated_at"]
    assert exc.value.errors[0]["field"] == "contact_name"


def test_owner_given_keeps_the_callers_team(leads):
    lead = create(leads, REP_A, account_name="Acme", owner_id=REP_A2["id"])
    assert lead["owner_id"] == REP_A2["id"] and lead["team_id"] == TEAM_A
    with pytest.raises(PermissionDenied):
        create(leads, REP_A, account_name="Acme", team_id=TEAM_B)
    assert create(leads, ADMIN, account_name="Acme", team_id=TEAM_B)["team_id"] == TEAM_B


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "web"}, "contact_name"),
        ({"contact_name": "Ann", "colour": "red"}, "colour"),
        ({"contact_name": "Ann", "email": "ann-at-acme"}, "email"),
        ({"contact_name": "Ann", "owner_id": "ann"}, "owner_id"),
        ({"contact_name": "Ann", "stage": "converted"}, "stage"),
        ({"contact_name": "Ann", "version": 7}, "version"),
        ({"contact_name": "Ann", "score": "high"}, "score"),
    ],
)
def test_bad_create_writes_nothing(leads, db_engine, data, field):
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "create_lead", data, actor=REP_A)
    assert field in error_fields(exc)
    assert lead_rows(db_engine) == [] and outbox_types(db_engine) == []


def test_missing_and_malformed_ids_are_not_found(leads):
    for lead_id in (new_id(), "not-a-uuid", None):
        with pytest.raises(NotFound):
            call(leads, "get_lead", lead_id, actor=ADMIN)


# --- lists --------------------------------------------------------------------------


def test_list_filters_search_and_bad_query(leads):
    acme = create(leads, REP_A, account_name="Acme Corp", source="web", need_maturity="need")
    zoe = create(leads, REP_A, contact_name="Zoe Acker", email="zoe@globex.io", phone="+44 20 7946")
    beta = create(leads, REP_A2, contact_name="Ben", email="Ben@Initech.io", source="web")

    def ids(query: dict) -> set[str]:
        return {lead["id"] for lead in call(leads, "list_leads", query, actor=REP_A)["items"]}

    assert ids({"filter": {"source": ["web"]}}) == {acme["id"], beta["id"]}
    assert ids({"filter": {"owner_id": [REP_A2["id"]]}}) == {beta["id"]}
    assert ids({"filter": {"email": ["BEN@initech.io"]}}) == {beta["id"]}
    assert ids({"filter": {"need_maturity": ["need", "ready"], "source": ["web"]}}) == {acme["id"]}
    assert ids({"q": "acm"}) == {acme["id"]}  # the start of the company, any case
    assert ids({"q": "ack"}) == ids({"q": "zoe"}) == {zoe["id"]}  # of the surname, the name
    assert ids({"q": "+44 20 7946"}) == ids({"q": "44207946"}) == {zoe["id"]}  # the phone
    assert ids({"q": "ben@ini"}) == {beta["id"]}  # an email as it is being typed
    assert ids({"q": "acme zoe"}) == set()  # the start of one name, not words anywhere
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "list_leads", {"filter": {"colour": ["red"]}, "limit": 0}, actor=REP_A)
    assert error_fields(exc) == {"filter[colour]", "limit"}


def test_reached_stage_keeps_the_leads_that_entered_it_whether_or_not_they_left(leads):
    dropped = create(leads, REP_A, contact_name="Dropped", source="web")
    reopened = create(leads, REP_A, contact_name="Reopened", source="web")
    waiting = create(leads, REP_A, contact_name="Waiting", source="web")
    elsewhere = create(leads, REP_B, contact_name="Other team", source="web")
    for lead in (dropped, reopened):
        call(leads, "disqualify_lead", lead["id"], "no_budget", actor=REP_A)
    call(leads, "reopen_lead", reopened["id"], actor=MANAGER_A, stage="nurturing")

    def ids(query: dict, actor: dict = REP_A) -> set[str]:
        return {lead["id"] for lead in call(leads, "list_leads", query, actor=actor)["items"]}

    everyone = {dropped["id"], reopened["id"], waiting["id"]}
    # all three began in qualification: two have left it, one is still there
    assert ids({"filter": {"reached_stage": ["qualification"]}}) == everyone
    assert ids({"filter": {"stage": ["qualification"]}}) == {waiting["id"]}
    # two were disqualified; one of them is back, nurtured
    assert ids({"filter": {"reached_stage": ["disqualified"]}}) == {dropped["id"], reopened["id"]}
    assert ids({"filter": {"stage": ["disqualified"]}}) == {dropped["id"]}
    assert ids({"filter": {"reached_stage": ["nurturing", "converted"]}}) == {reopened["id"]}
    assert ids({"filter": {"reached_stage": ["converted"]}}) == set()
    # with the other filters and the reader's rights, as every filter
    assert ids({"filter": {"reached_stage": ["disqualified"], "stage": ["nurturing"]}}) == {
        reopened["id"]
    }
    assert ids({"filter": {"reached_stage": ["qualification"]}}, REP_B) == {elsewhere["id"]}
    page = call(leads, "list_leads", {"filter": {"reached_stage": ["qualification"]}}, actor=REP_A)
    assert page["total"] == 3
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "list_leads", {"filter": {"reached_stage": ["won"]}}, actor=REP_A)
    assert error_fields(exc) == {"filter[reached_stage]"}


def test_contains_and_date_range_filters(leads, db_engine):
    acme = create(leads, REP_A, account_name="Acme Corp", contact_name="Ann 50%_off")
    globex = create(leads, REP_A, account_name="Globex", contact_name="Bob")
    with db_engine.begin() as conn:  # backdate one lead to test the range
        conn.execute(
            sa.text("UPDATE leads.leads SET created_at = '2026-01-15T10:00:00Z' WHERE id = :id"),
            {"id": globex["id"]},
        )

    def ids(query: dict) -> set[str]:
        return {lead["id"] for lead in call(leads, "list_leads", query, actor=REP_A)["items"]}

    assert ids({"filter": {"account_name": ["cme c"]}}) == {acme["id"]}  # substring, any case
    assert ids({"filter": {"contact_name": ["50%_"]}}) == {acme["id"]}  # % and _ are literal
    assert ids({"filter": {"contact_name": ["0%x"]}}) == set()
    assert ids({"filter": {"created_at": ["2026-01-01..2026-01-15"]}}) == {globex["id"]}
    assert ids({"filter": {"created_at": ["..2026-01-14"]}}) == set()
    assert ids({"filter": {"created_at": ["2026-01-16.."]}}) == {acme["id"]}
    with pytest.raises(ValidationFailed) as exc:
        call(
            leads,
            "list_leads",
            {"filter": {"created_at": ["2026-02-01..2026-01-01"], "contact_name": ["  "]}},
            actor=REP_A,
        )
    assert error_fields(exc) == {"filter[created_at]", "filter[contact_name]"}


def test_sort_and_cursor_pages_visit_every_lead_once(leads):
    names = ["Cid", None, "Ann", "Bea", None, "Ann", "Dan"]
    created = [create(leads, REP_A, contact_name=n, phone="+15550000000") for n in names]

    def page_through(sort: str, limit: int) -> list[str]:
        seen, cursor = [], None
        for _ in range(len(created) + 1):
            query = {"sort": sort, "limit": limit, "cursor": cursor}
            page = call(leads, "list_leads", query, actor=REP_A)
            seen += [lead["id"] for lead in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen
        raise AssertionError("pagination did not end")

    by_age = [lead["id"] for lead in created]
    assert page_through("created_at", 3) == by_age
    assert page_through("-created_at", 2) == by_age[::-1]
    by_name = sorted(
        created, key=lambda x: (x["contact_name"] is None, x["contact_name"] or "", x["id"])
    )
    assert page_through("contact_name", 2) == [lead["id"] for lead in by_name]
    assert page_through("-contact_name", 3) == [lead["id"] for lead in by_name][::-1]


def test_stage_sorts_in_process_order(leads):
    for stage in ("nurturing", "awaiting_sale", None):  # None: stays in qualification
        lead = create(leads, ADMIN, contact_name=f"In {stage}")
        if stage:
            call(leads, "update_lead", lead["id"], {"stage": stage}, actor=ADMIN)
    # alphabetical order would put qualification last
    items = call(leads, "list_leads", {"sort": "stage"}, actor=ADMIN)["items"]
    assert [lead["stage"] for lead in items] == ["qualification", "awaiting_sale", "nurturing"]
    first = call(leads, "list_leads", {"sort": "-stage", "limit": 2}, actor=ADMIN)
    rest = call(
        leads, "list_leads", {"sort": "-stage", "cursor": first["next_cursor"]}, actor=ADMIN
    )
    stages = [lead["stage"] for lead in first["items"] + rest["items"]]
    assert stages == ["nurturing", "awaiting_sale", "qualification"]
    assert rest["next_cursor"] is None


# --- rights -------------------------------------------------------------------------


def test_other_teams_leads_are_invisible(leads):
    lead = create(leads, REP_A, contact_name="Ann")
    shared = create(leads, ADMIN, contact_name="Queue", owner_id="")  # no owner, no team
    with pytest.raises(NotFound):
        call(leads, "get_lead", lead["id"], actor=REP_B)
    with pytest.raises(NotFound):
        call(leads, "update_lead", lead["id"], {"contact_name": "Bob's"}, actor=REP_B)
    with pytest.raises(NotFound):
        call(leads, "delete_lead", lead["id"], actor=REP_B)
    seen_by_b = call(leads, "list_leads", {}, actor=REP_B)["items"]
    assert [x["id"] for x in seen_by_b] == [shared["id"]]
    assert call(leads, "get_lead", lead["id"], actor=REP_A2)["id"] == lead["id"]
    assert len(call(leads, "list_leads", {}, actor=ADMIN)["items"]) == 2


def test_rep_cannot_change_a_teammates_lead_but_the_manager_can(leads, db_engine):
    lead = create(leads, REP_A, contact_name="Ann")
    with pytest.raises(PermissionDenied):
        call(leads, "update_lead", lead["id"], {"score": 90}, actor=REP_A2)
    with pytest.raises(PermissionDenied):
        call(leads, "delete_lead", lead["id"], actor=REP_A2)
    assert lead_rows(db_engine)[0].version == 1
    changed = call(leads, "update_lead", lead["id"], {"score": 90}, actor=MANAGER_A)
    assert changed["score"] == 90 and changed["version"] == 2
    with pytest.raises(PermissionDenied):  # only an admin moves a lead to another team
        call(leads, "update_lead", lead["id"], {"team_id": TEAM_B}, actor=MANAGER_A)
    call(leads, "delete_lead", lead["id"], actor=MANAGER_A)
    assert lead_rows(db_engine) == []


# --- optimistic concurrency -----------------------------------------------------------


def test_update_changes_version_and_stale_version_changes_nothing(leads, db_engine):
    lead = create(leads, REP_A, contact_name="Ann", email="ann@acme.io")
    updated = call(
        leads,
        "update_lead",
        lead["id"],
        {"contact_name": "Ann Lee", "stage": "nurturing", "email": "ANN@acme.io"},
        actor=REP_A,
        expected_version=1,
    )
    assert updated["version"] == 2 and updated["stage"] == "nurturing"
    assert updated["contact_name"] == "Ann Lee" and updated["updated_at"] > lead["updated_at"]
    before = lead_rows(db_engine)
    with pytest.raises(Conflict):
        call(leads, "update_lead", lead["id"], {"score": 5}, actor=REP_A, expected_version=1)
    with pytest.raises(ValidationFailed) as exc:  # the lead must stay about someone
        call(leads, "update_lead", lead["id"], {"contact_name": "", "email": None}, actor=REP_A)
    assert error_fields(exc) == {"contact_name"}
    assert lead_rows(db_engine) == before
    assert outbox_types(db_engine) == ["lead_created", "lead_stage_changed", "lead_updated"]
    # sending what is already there is no change: same version, no event
    same = call(leads, "update_lead", lead["id"], {"contact_name": "Ann Lee"}, actor=REP_A)
    assert same == updated and outbox_types(db_engine) == [
        "lead_created",
        "lead_stage_changed",
        "lead_updated",
    ]


def test_concurrent_updates_with_one_version_let_exactly_one_win(leads, service_config, db_engine):
    lead = create(leads, REP_A, contact_name="Ann")

    def attempt(score: int) -> str:
        with ServiceRpcProxy("leads", service_config) as rpc:
            try:
                rpc.update_lead(lead["id"], {"score": score}, actor=REP_A, expected_version=1)
            except OspreyError as exc:
                return type(exc).__name__
            return "ok"

    def waiting_on_locks() -> int:
        with db_engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()

    # Hold the row so all five updates are in flight at once, then let them go:
    # each must see the version the one before it wrote, not the one it first read.
    with db_engine.connect() as holder:
        holder.execute(
            sa.text("SELECT 1 FROM leads.leads WHERE id = :id FOR UPDATE"), {"id": lead["id"]}
        )
        pool = eventlet.GreenPool()
        attempts = [pool.spawn(attempt, score) for score in range(1, 6)]
        deadline = time.monotonic() + 10
        while waiting_on_locks() < 5:
            assert time.monotonic() < deadline, "the updates never reached the row lock"
            eventlet.sleep(0.01)
        holder.commit()
    outcomes = sorted(a.wait() for a in attempts)
    assert outcomes == ["Conflict"] * 4 + ["ok"]
    assert call(leads, "get_lead", lead["id"], actor=REP_A)["version"] == 2


def test_delete_with_stale_version_keeps_the_lead(leads, db_engine):
    lead = create(leads, REP_A, contact_name="Ann")
    call(leads, "update_lead", lead["id"], {"score": 10}, actor=REP_A)
    with pytest.raises(Conflict):
        call(leads, "delete_lead", lead["id"], actor=REP_A, expected_version=1)
    assert len(lead_rows(db_engine)) == 1
    assert call(leads, "delete_lead", lead["id"], actor=REP_A, expected_version=2) is None
    assert lead_rows(db_engine) == []
    with pytest.raises(NotFound):
        call(leads, "get_lead", lead["id"], actor=REP_A)


# --- events ---------------------------------------------------------------------------


def test_changes_reach_consumers_as_enveloped_events(leads, container_factory, service_config):
    watcher = container_factory(LeadEventsWatcher, service_config)
    watcher.start()

    with entrypoint_waiter(watcher, "handle_lead_created") as created_event:
        lead = create(leads, REP_A, contact_name="Ann", account_name="Acme")
    with entrypoint_waiter(watcher, "handle_lead_updated") as updated_event:
        updated = call(leads, "update_lead", lead["id"], {"score": 70}, actor=MANAGER_A)
    with entrypoint_waiter(watcher, "handle_lead_deleted") as deleted_event:
        call(leads, "delete_lead", lead["id"], actor=REP_A)

    created, changed, deleted = created_event.get(), updated_event.get(), deleted_event.get()
    for event in (created, changed, deleted):
        assert set(event) == {"id", "type", "occurred_at", "actor", "source", "data"}
        assert event["source"] == "leads" and event["occurred_at"].endswith("Z")
    # The event is the lead; the look-alikes were for the caller only.
    assert created["type"] == "lead_created" and {**created["data"], "similar": []} == lead
    assert created["actor"] == {"id": REP_A["id"], "email": REP_A["email"]}
    assert changed["type"] == "lead_updated" and changed["actor"]["id"] == MANAGER_A["id"]
    assert changed["data"] == {**updated, "changed_fields": ["score"]}
    assert deleted["type"] == "lead_deleted" and deleted["data"] == updated


def test_describe_leads(leads):
    meta = call(leads, "describe_leads")
    fields = {f["name"]: f for f in meta["fields"]}
    assert meta["name"] == "leads"
    assert fields["need_maturity"]["options"] == [
        "unknown",
        "interest",
        "need",
        "intention",
        "ready",
    ]
    assert fields["owner_id"]["type"] == "uuid" and fields["owner_id"]["filterable"]
    # a filter that is no field of the lead: the funnel's drill-down
    [reached] = [f for f in meta["filters"] if f["name"] == "reached_stage"]
    assert reached["type"] == "enum" and reached["options"] == fields["stage"]["options"]

"""Distribution rules and assignments in a real leads container (PostgreSQL, RabbitMQ)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.leads.models import Lead
from services.leads.service import LeadsService
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id

from .test_leads_service import (
    ADMIN,
    MANAGER_A,
    REP_A,
    REP_A2,
    REP_B,
    TEAM_A,
    TEAM_B,
    call,
    create,
    error_fields,
    outbox_types,
)

OWNERS = [new_id() for _ in range(7)]


class AssignmentWatcher:
    """Stands in for the feed, which turns ``lead_assigned`` into a notification."""

    name = "assignment_watcher"

    @event_handler("leads", "lead_assigned")
    def handle_lead_assigned(self, event: dict) -> dict:
        return event


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, service_config)
    container.start()
    return container


def rule(container, actor: dict = MANAGER_A, **data: Any) -> dict:
    data.setdefault("name", f"Rule {data.get('position', '')}")
    return call(container, "create_distribution_rule", data, actor=actor)


def assign(container, lead_id: str, actor: dict = MANAGER_A, **data: Any) -> dict:
    return call(container, "assign_lead", lead_id, data, actor=actor)


def unowned(container, actor: dict = MANAGER_A, **data: Any) -> dict:
    data.setdefault("contact_name", "Ann Lee")
    return create(container, actor, owner_id=None, **data)


def insert_leads(engine: sa.Engine, count: int, **values: Any) -> list[str]:
    """Many unowned leads at once (the test is about assigning them, not creating)."""
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "contact_name": f"Lead {i}",
            "stage": "distribution",
            "owner_id": None,
            "team_id": TEAM_A,
            "score_reasons": [],
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": ADMIN["id"],
            **values,
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(Lead), rows)
    return [r["id"] for r in rows]


def set_stage(engine: sa.Engine, lead_id: str, stage: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE leads.leads SET stage = :s WHERE id = :id"), {"s": stage, "id": lead_id}
        )


# --- the rules ---------------------------------------------------------------------------


def test_rules_are_kept_in_position_order_and_only_managers_change_them(leads, db_engine):
    second = rule(leads, position=20, strategy="fixed_owner", fixed_owner_id=REP_A["id"])
    first = rule(leads, position=10, strategy="round_robin", owner_ids=OWNERS[:2], source="Web")
    last = rule(leads, name="Catch-all", strategy="least_open", owner_ids=OWNERS[:3])
    assert last["position"] == 21  # after the last one
    assert first["source"] == "Web" and first["need_type"] is None and first["is_active"]
    assert first["last_index"] == -1 and first["version"] == 1
    listed = call(leads, "list_distribution_rules", actor=REP_B)  # everyone reads them
    assert [r["id"] for r in listed] == [first["id"], second["id"], last["id"]]

    with pytest.raises(PermissionDenied):
        rule(leads, actor=REP_A, strategy="fixed_owner", fixed_owner_id=REP_A["id"])
    with pytest.raises(Conflict) as exc:
        rule(leads, position=10, strategy="fixed_owner", fixed_owner_id=REP_A["id"])
    assert error_fields(exc) == {"position"}
    assert len(call(leads, "list_distribution_rules", actor=ADMIN)) == 3
    assert outbox_types(db_engine).count("distribution_rule_created") == 3


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"strategy": "random", "owner_ids": []}, {"strategy"}),
        ({"strategy": "round_robin", "owner_ids": []}, {"owner_ids"}),
        ({"strategy": "least_open"}, {"owner_ids"}),
        ({"strategy": "round_robin", "owner_ids": ["ann"]}, {"owner_ids"}),
        ({"strategy": "round_robin", "owner_ids": [OWNERS[0], OWNERS[0]]}, {"owner_ids"}),
        ({"strategy": "fixed_owner"}, {"fixed_owner_id"}),
        (
            {"strategy": "fixed_owner", "fixed_owner_id": "x", "team_id": "y"},
            {
                "fixed_owner_id",
                "team_id",
            },
        ),
        ({"strategy": "fixed_owner", "fixed_owner_id": OWNERS[0], "region": 7}, {"region"}),
        ({"strategy": "fixed_owner", "fixed_owner_id": OWNERS[0], "last_index": 2}, {"last_index"}),
    ],
)
def test_bad_rules_are_refused_with_the_field(leads, db_engine, data, fields):
    with pytest.raises(ValidationFailed) as exc:
        rule(leads, **data)
    assert error_fields(exc) == fields
    assert call(leads, "list_distribution_rules", actor=ADMIN) == []
    assert outbox_types(db_engine) == []


def test_update_and_delete_a_rule(leads, db_engine):
    made = rule(leads, position=1, strategy="round_robin", owner_ids=OWNERS[:3])
    rule(leads, position=2, strategy="fixed_owner", fixed_owner_id=REP_A["id"])
    lead = unowned(leads)
    assign(leads, lead["id"])
    assert call(leads, "list_distribution_rules", actor=ADMIN)[0]["last_index"] == 0
    with pytest.raises(Conflict):  # stale version
        call(
            leads,
            "update_distribution_rule",
            made["id"],
            {"name": "x"},
            actor=ADMIN,
            expected_version=7,
        )
    with pytest.raises(Conflict):  # position 2 is taken
        call(leads, "update_distribution_rule", made["id"], {"position": 2}, actor=ADMIN)
    with pytest.raises(PermissionDenied):
        call(leads, "update_distribution_rule", made["id"], {"name": "x"}, actor=REP_A)
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "update_distribution_rule", made["id"], {"owner_ids": []}, actor=ADMIN)
    assert error_fields(exc) == {"owner_ids"}

    changed = call(
        leads,
        "update_distribution_rule",
        made["id"],
        {"owner_ids": OWNERS[3:5], "region": "North", "name": made["name"]},
        actor=MANAGER_A,
        expected_version=1,
    )
    assert changed["version"] == 2 and changed["owner_ids"] == OWNERS[3:5]
    assert changed["last_index"] == -1  # a new list of owners starts its turn afresh
    same = call(leads, "update_distribution_rule", made["id"], {"region": "North"}, actor=ADMIN)
    assert same["version"] == 2
    with db_engine.connect() as conn:
        data = conn.execute(
            sa.text(
                "SELECT envelope->'data' FROM leads.outbox WHERE type = 'distribution_rule_updated'"
            )
        ).scalar_one()
    assert data["changed_fields"] == ["region", "owner_ids"]

    with pytest.raises(NotFound):
        call(leads, "delete_distribution_rule", new_id(), actor=ADMIN)
    call(leads, "delete_distribution_rule", made["id"], actor=ADMIN, expected_version=2)
    assert [r["position"] for r in call(leads, "list_distribution_rules", actor=ADMIN)] == [2]
    assert "distribution_rule_deleted" in outbox_types(db_engine)
    # the log keeps the rule's id after the rule is gone
    assert call(leads, "list_lead_assignments", lead["id"], actor=ADMIN)[0]["rule_id"] == made["id"]


# --- the strategies ------------------------------------------------------------------------


def test_round_robin_takes_the_owners_in_turn(leads):
    made = rule(leads, strategy="round_robin", owner_ids=OWNERS[:3])
    owners = [assign(leads, unowned(leads)["id"])["owner_id"] for _ in range(7)]
    assert owners == [*OWNERS[:3], *OWNERS[:3], OWNERS[0]]
    assert call(leads, "list_distribution_rules", actor=ADMIN)[0]["last_index"] == 0
    assert call(leads, "list_distribution_rules", actor=ADMIN)[0]["version"] == made["version"]


def test_least_open_picks_the_owner_with_fewest_open_leads(leads, db_engine):
    a, b, c = OWNERS[:3]
    for owner, count in ((a, 2), (b, 1), (c, 1)):
        for _ in range(count):
            create(leads, ADMIN, contact_name="Busy", owner_id=owner)
    # closed leads do not count: c's converted lead leaves c with none open
    closed = create(leads, ADMIN, contact_name="Done", owner_id=c)
    set_stage(db_engine, closed["id"], "converted")
    rule(leads, strategy="least_open", owner_ids=[a, b, c])
    # open: a 2, b 1, c 1 → b (first of the tie); then a 2, b 2, c 1 → c; then tie → a
    picked = [assign(leads, unowned(leads)["id"])["owner_id"] for _ in range(3)]
    assert picked == [b, c, a]


def test_fixed_owner_and_the_rules_team(leads):
    rule(leads, strategy="fixed_owner", fixed_owner_id=REP_B["id"], team_id=None)
    lead = unowned(leads)
    assert assign(leads, lead["id"])["owner_id"] == REP_B["id"]
    assert assign(leads, lead["id"])["team_id"] == TEAM_A  # the rule names no team


def test_a_rule_with_a_team_moves_the_lead_into_it(leads):
    rule(leads, actor=ADMIN, strategy="fixed_owner", fixed_owner_id=REP_B["id"], region="south")
    # a rule conditioned on team A handing to team B's rep and team
    call(
        leads,
        "update_distribution_rule",
        call(leads, "list_distribution_rules", actor=ADMIN)[0]["id"],
        {"team_id": TEAM_A},
        actor=ADMIN,
    )
    lead = unowned(leads, region="South")
    assigned = assign(leads, lead["id"])
    assert assigned["owner_id"] == REP_B["id"] and assigned["team_id"] == TEAM_A


def test_first_matching_rule_by_position_decides_on_every_condition(leads):
    fixed = {"strategy": "fixed_owner"}
    rule(leads, position=1, need_type="ERP", source="web", fixed_owner_id=OWNERS[0], **fixed)
    rule(leads, position=2, need_type="ERP", fixed_owner_id=OWNERS[1], **fixed)
    rule(leads, position=3, region="North", fixed_owner_id=OWNERS[2], **fixed)
    rule(leads, position=4, team_id=TEAM_B, fixed_owner_id=OWNERS[3], **fixed, actor=ADMIN)
    rule(leads, position=5, source="fair", fixed_owner_id=OWNERS[4], is_active=False, **fixed)
    cases = [
        ({"need_type": "erp", "source": "Web"}, MANAGER_A, OWNERS[0]),
        ({"need_type": "ERP", "source": "fair"}, MANAGER_A, OWNERS[1]),
        ({"need_type": "CRM", "region": "north"}, MANAGER_A, OWNERS[2]),
        ({"need_type": "CRM", "region": "South", "team_id": TEAM_B}, ADMIN, OWNERS[3]),
    ]
    for data, actor, owner in cases:
        lead = unowned(leads, actor=actor, **data)
        assert assign(leads, lead["id"], actor=ADMIN)["owner_id"] == owner, data
    # nothing matches (the "fair" rule is inactive): a clear 422 naming the way out
    lead = unowned(leads, source="fair", region="South")
    with pytest.raises(ValidationFailed) as exc:
        assign(leads, lead["id"])
    assert error_fields(exc) == {"owner_id"}
    assert "no active distribution rule matches" in str(exc.value)
    assert call(leads, "get_lead", lead["id"], actor=ADMIN)["owner_id"] is None
    assert call(leads, "list_lead_assignments", lead["id"], actor=ADMIN) == []


# --- assigning: the stage, the log, the event ------------------------------------------------


def test_assigning_moves_distribution_to_handoff_logs_and_notifies(
    leads, container_factory, service_config, db_engine
):
    watcher = container_factory(AssignmentWatcher, service_config)
    watcher.start()
    made = rule(leads, strategy="round_robin", owner_ids=[REP_A["id"], REP_A2["id"]])
    lead = unowned(leads)
    lead = call(leads, "update_lead", lead["id"], {"stage": "distribution"}, actor=MANAGER_A)
    with entrypoint_waiter(watcher, "handle_lead_assigned") as waited:
        assigned = assign(leads, lead["id"], actor=MANAGER_A)
    event = waited.get()
    assert assigned["owner_id"] == REP_A["id"] and assigned["stage"] == "handoff"
    assert assigned["version"] == lead["version"] + 1
    data = event["data"]
    assert event["type"] == "lead_assigned" and event["actor"]["id"] == MANAGER_A["id"]
    assert data["id"] == lead["id"] and data["owner_id"] == REP_A["id"]
    assert data["changed_fields"] == ["owner_id", "stage"]
    assert data["previous_owner_id"] is None and data["rule_id"] == made["id"]
    assert data["strategy"] == "round_robin" and data["assigned_by"] == MANAGER_A["id"]

    history = call(leads, "lead_history", lead["id"], actor=ADMIN)
    assert (history[-1]["from_stage"], history[-1]["to_stage"], history[-1]["action"]) == (
        "distribution",
        "handoff",
        "assign",
    )
    assert "lead_stage_changed" in outbox_types(db_engine)

    # by hand to the teammate: logged too, newest first; the stage stays in handoff
    again = assign(leads, lead["id"], actor=MANAGER_A, owner_id=REP_A2["id"])
    assert again["owner_id"] == REP_A2["id"] and again["stage"] == "handoff"
    log = call(leads, "list_lead_assignments", lead["id"], actor=REP_A2)
    assert [(e["owner_id"], e["previous_owner_id"], e["rule_id"], e["strategy"]) for e in log] == [
        (REP_A2["id"], REP_A["id"], None, None),
        (REP_A["id"], None, made["id"], "round_robin"),
    ]
    assert log[1]["rule_name"] == made["name"] and log[0]["assigned_by"] == MANAGER_A["id"]
    assert all(e["assigned_at"].endswith("Z") for e in log)
    # by hand to the owner it has: nothing changes, nothing is logged
    same = assign(leads, lead["id"], actor=MANAGER_A, owner_id=REP_A2["id"])
    assert same["version"] == again["version"]
    assert len(call(leads, "list_lead_assignments", lead["id"], actor=ADMIN)) == 2


def test_closed_leads_stale_versions_and_bad_bodies(leads, db_engine):
    rule(leads, strategy="fixed_owner", fixed_owner_id=REP_A["id"])
    lead = unowned(leads)
    with pytest.raises(Conflict) as exc:
        call(leads, "assign_lead", lead["id"], {}, actor=MANAGER_A, expected_version=9)
    assert error_fields(exc) == {"version"}
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "assign_lead", lead["id"], {"owner_id": "ann"}, actor=MANAGER_A)
    assert error_fields(exc) == {"owner_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "assign_lead", lead["id"], {"owner": REP_A["id"]}, actor=MANAGER_A)
    assert error_fields(exc) == {"owner"}
    with pytest.raises(NotFound):
        call(leads, "assign_lead", new_id(), {}, actor=MANAGER_A)
    for stage in ("converted", "disqualified"):
        set_stage(db_engine, lead["id"], stage)
        with pytest.raises(Conflict) as exc:
            assign(leads, lead["id"])
        assert error_fields(exc) == {"stage"}
        with pytest.raises(Conflict):
            assign(leads, lead["id"], owner_id=REP_A["id"])
    assert call(leads, "list_lead_assignments", lead["id"], actor=ADMIN) == []
    assert "lead_assigned" not in outbox_types(db_engine)


# --- who may assign by hand ----------------------------------------------------------------


def test_who_may_assign_by_hand(leads):
    queue = unowned(leads, actor=REP_A)  # unowned, in team A
    # a rep may take it, not give it to somebody else
    with pytest.raises(PermissionDenied):
        assign(leads, queue["id"], actor=REP_A, owner_id=REP_A2["id"])
    taken = assign(leads, queue["id"], actor=REP_A, owner_id=REP_A["id"])
    assert taken["owner_id"] == REP_A["id"]
    # now it is A's: A2 cannot take it, A may hand it on
    with pytest.raises(PermissionDenied):
        assign(leads, queue["id"], actor=REP_A2, owner_id=REP_A2["id"])
    with pytest.raises(PermissionDenied):
        assign(leads, queue["id"], actor=REP_A2)  # not even by the rules
    handed = assign(leads, queue["id"], actor=REP_A, owner_id=REP_A2["id"])
    assert handed["owner_id"] == REP_A2["id"]
    # the team's manager reassigns any of the team's leads; another team sees none
    assert (
        assign(leads, queue["id"], actor=MANAGER_A, owner_id=REP_A["id"])["owner_id"]
        == (REP_A["id"])
    )
    with pytest.raises(NotFound):
        assign(leads, queue["id"], actor=REP_B, owner_id=REP_B["id"])
    # an admin assigns anything
    assert (
        assign(leads, queue["id"], actor=ADMIN, owner_id=REP_B["id"])["owner_id"] == (REP_B["id"])
    )


def test_a_lead_without_a_team_joins_the_team_of_whoever_assigns_it(leads):
    shared = create(leads, ADMIN, contact_name="Walk-in", owner_id=None)  # admin: no team
    assert shared["team_id"] is None
    taken = assign(leads, shared["id"], actor=REP_B, owner_id=REP_B["id"])
    assert taken["owner_id"] == REP_B["id"] and taken["team_id"] == TEAM_B


# --- fairness and concurrency -----------------------------------------------------------


def test_hundreds_of_leads_round_robin_evenly_over_seven_owners(leads, service_config, db_engine):
    rule(leads, strategy="round_robin", owner_ids=OWNERS)
    ids = insert_leads(db_engine, 351)  # 50 rounds of seven and one more

    def worker(share: list[str]) -> list[str]:
        with ServiceRpcProxy("leads", service_config) as rpc:
            return [rpc.assign_lead(i, {}, actor=MANAGER_A)["owner_id"] for i in share]

    pool = eventlet.GreenPool()
    counts = Counter(
        owner for owners in pool.imap(worker, [ids[n::4] for n in range(4)]) for owner in owners
    )
    assert set(counts) == set(OWNERS)
    assert max(counts.values()) - min(counts.values()) <= 1
    with db_engine.connect() as conn:
        logged = conn.execute(
            sa.text("SELECT owner_id::text, count(*) FROM leads.lead_assignments GROUP BY 1")
        ).all()
        handoff = conn.execute(
            sa.text("SELECT count(*) FROM leads.leads WHERE stage = 'handoff'")
        ).scalar_one()
    assert dict(logged) == dict(counts) and handoff == 351


def test_concurrent_assignments_keep_the_round_robin_order(leads, service_config, db_engine):
    rule(leads, strategy="round_robin", owner_ids=OWNERS)
    ids = insert_leads(db_engine, 140)

    def worker(share: list[str]) -> None:
        with ServiceRpcProxy("leads", service_config) as rpc:
            for lead_id in share:
                rpc.assign_lead(lead_id, {}, actor=MANAGER_A)

    pool = eventlet.GreenPool()
    for n in range(4):
        pool.spawn(worker, ids[n::4])
    pool.waitall()
    with db_engine.connect() as conn:
        order = list(
            conn.execute(
                sa.text("SELECT owner_id::text FROM leads.lead_assignments ORDER BY assigned_at")
            ).scalars()
        )
    # every turn taken once, in order: the rule's lock lets one assignment through at a time
    assert order == OWNERS * 20


def test_distribute_unassigned_leads_by_the_rules(leads, db_engine):
    rule(leads, strategy="round_robin", owner_ids=OWNERS[:2], need_type="ERP")
    matching = [unowned(leads, need_type="ERP")["id"] for _ in range(3)]
    unowned(leads, need_type="CRM")  # no rule for it
    owned = create(leads, MANAGER_A, contact_name="Mine", need_type="ERP")
    other_team = unowned(leads, actor=ADMIN, need_type="ERP", team_id=TEAM_B)
    with pytest.raises(PermissionDenied):
        call(leads, "distribute_unassigned", actor=REP_A)
    with pytest.raises(ValidationFailed):
        call(leads, "distribute_unassigned", actor=MANAGER_A, limit=0)
    counts = call(leads, "distribute_unassigned", actor=MANAGER_A)
    assert counts == {"assigned": 3, "unmatched": 1, "skipped": 0}
    owners = [call(leads, "get_lead", i, actor=ADMIN)["owner_id"] for i in matching]
    assert owners == [OWNERS[0], OWNERS[1], OWNERS[0]]
    assert call(leads, "get_lead", owned["id"], actor=ADMIN)["owner_id"] == MANAGER_A["id"]
    assert call(leads, "get_lead", other_team["id"], actor=ADMIN)["owner_id"] is None
    assert call(leads, "distribute_unassigned", actor=ADMIN)["assigned"] == 1  # team B's

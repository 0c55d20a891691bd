"""The rules of processes one by one, to their edges: the system actor actions run as,
who reads an instance, which record an event is about, what a task's form accepts, the
plan of a user task and its activity, the checks of a start by hand and of a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.processes import domain

OWNER = "0190a3c5-0000-7000-8000-000000000001"
TEAM = "0190a3c5-0000-7000-8000-000000000002"
STARTER = "0190a3c5-0000-7000-8000-000000000003"
STARTER_TEAM = "0190a3c5-0000-7000-8000-000000000004"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def refusal(error: ValidationFailed | Conflict | PermissionDenied) -> tuple[str, list[dict]]:
    return error.message, error.errors


# --- the actor actions run as ----------------------------------------------------------


def test_actions_run_as_the_named_system_actor():
    assert domain.process_actor("Lead management") == {
        "id": "00000000-0000-0000-0000-000000000017",
        "email": "processes@osprey.local",
        "full_name": "Process: Lead management",
        "roles": ["system"],
        "team_id": None,
        "permissions": [],
    }
    assert Actor.from_dict(domain.process_actor("x")).is_admin  # the system role


def test_the_system_actors_name_is_cut_to_300_characters():
    name = domain.process_actor("n" * 400)["full_name"]
    assert name == ("Process: " + "n" * 400)[:300] and len(name) == 300


def test_a_refusal_names_its_field():
    error = domain.failed("comment", "too long")
    assert isinstance(error, ValidationFailed)
    assert refusal(error) == ("comment: too long", [{"field": "comment", "message": "too long"}])


# --- rights -----------------------------------------------------------------------------


def test_only_an_administrator_designs_and_repairs():
    admin, system = Actor(id="a", roles=("admin",)), Actor(id="s", roles=("system",))
    for caller in (admin, system):
        domain.check_may_design(caller)
        domain.check_may_administer(caller)
    manager = Actor(id="m", roles=("sales_manager",))
    with pytest.raises(PermissionDenied) as design:
        domain.check_may_design(manager)
    assert refusal(design.value) == (
        "Only an administrator may change or deploy processes",
        [{"field": "definition", "message": "administrators only"}],
    )
    with pytest.raises(PermissionDenied) as repair:
        domain.check_may_administer(manager)
    assert refusal(repair.value) == (
        "Only an administrator may repair a process instance",
        [{"field": "instance", "message": "administrators only"}],
    )


def test_an_instance_is_read_under_its_records_owner_and_team():
    record = {"record": {"owner_id": OWNER, "team_id": TEAM}}
    starter = {"id": STARTER, "team_id": STARTER_TEAM}
    assert domain.instance_owner(record, starter) == (OWNER, TEAM)
    # a record with a team and no owner is still the record's
    assert domain.instance_owner({"record": {"team_id": TEAM}}, starter) == (None, TEAM)
    assert domain.instance_owner({"record": {"owner_id": OWNER}}, starter) == (OWNER, None)
    # an id that is not a user's id is nobody's
    assert domain.instance_owner({"record": {"owner_id": "x", "team_id": TEAM}}, None) == (
        None,
        TEAM,
    )


def test_an_instance_without_a_records_owner_is_its_starters():
    starter = {"id": STARTER, "team_id": STARTER_TEAM}
    assert domain.instance_owner({}, starter) == (STARTER, STARTER_TEAM)
    assert domain.instance_owner({"record": {"id": "L1"}}, starter) == (STARTER, STARTER_TEAM)
    assert domain.instance_owner({"record": "L1"}, starter) == (STARTER, STARTER_TEAM)
    assert domain.instance_owner({"record": None}, {"id": STARTER}) == (STARTER, None)
    assert domain.instance_owner({}, None) == (None, None)
    assert domain.instance_owner({}, {"id": "system", "team_id": "t"}) == (None, None)


def test_who_may_complete_a_task():
    rep = Actor(id="r", roles=("sales_rep",))
    manager = Actor(id="m", roles=("sales_manager",))
    assert domain.may_complete_task(manager, "someone", None) is True
    assert domain.may_complete_task(rep, "r", None) is True
    assert domain.may_complete_task(rep, "r", "sales_manager") is True
    assert domain.may_complete_task(rep, None, "sales_rep") is True
    # offered to a role: only while nobody has it
    assert domain.may_complete_task(rep, "someone", "sales_rep") is False
    assert domain.may_complete_task(rep, None, "sales_manager") is False
    assert domain.may_complete_task(rep, None, None) is False
    assert domain.may_complete_task(rep, "someone", None) is False


# --- events and records -----------------------------------------------------------------

#: event -> (record type, where the record is in the event's data: None = the data)
EXPECTED_EVENTS = {
    "lead_created": ("lead", None),
    "lead_updated": ("lead", None),
    "lead_stage_changed": ("lead", "lead"),
    "lead_qualified": ("lead", None),
    "lead_disqualified": ("lead", None),
    "lead_assigned": ("lead", None),
    "lead_handed_off": ("lead", None),
    "lead_converted": ("lead", None),
    "account_created": ("account", None),
    "contact_created": ("contact", None),
    "opportunity_created": ("opportunity", None),
    "opportunity_updated": ("opportunity", None),
    "opportunity_stage_changed": ("opportunity", "opportunity"),
    "opportunity_won": ("opportunity", None),
    "opportunity_lost": ("opportunity", None),
    "activity_completed": ("activity", None),
    "order_placed": ("order", None),
    "order_status_changed": ("order", "order"),
    "order_confirmed": ("order", "order"),
    "order_cancelled": ("order", None),
    "invoice_paid": ("invoice", None),
    "invoice_overdue": ("invoice", None),
    "email_received": ("email", None),
}


def test_the_designer_offers_every_record_event_in_order():
    assert tuple(EXPECTED_EVENTS) == domain.START_EVENTS
    assert domain.RECORD_TYPES == (
        "lead",
        "account",
        "contact",
        "opportunity",
        "activity",
        "order",
        "invoice",
        "email",
    )


@pytest.mark.parametrize(("event_type", "expected"), list(EXPECTED_EVENTS.items()))
def test_each_event_is_about_its_record(event_type, expected):
    record_type, key = expected
    record = {"id": "R1", "name": "n"}
    data = {key: record, "to": "x"} if key else record
    assert domain.record_of(event_type, data) == (record_type, "R1", record)


def test_the_record_of_an_odd_event():
    data = {"id": "X1", "n": 1}
    found = domain.record_of("something_else", data)
    assert found == (None, None, data) and found[2] is not data
    # the record where the event should carry it is missing: the data stands for it
    assert domain.record_of("lead_stage_changed", {"id": "L1", "lead": None}) == (
        "lead",
        "L1",
        {"id": "L1", "lead": None},
    )
    assert domain.record_of("lead_created", {"name": "no id"}) == (
        "lead",
        None,
        {"name": "no id"},
    )
    assert domain.record_of("lead_created", {"id": 7})[1] == "7"
    assert domain.record_of("lead_created", {"id": ""})[1] is None


def test_an_event_and_the_facts_it_implies():
    assert domain.derived_events("lead_created", {"to": "confirmed"}) == ["lead_created"]
    assert domain.derived_events("order_status_changed", {}) == ["order_status_changed"]
    assert domain.derived_events("order_status_changed", {"to": "confirmed"}) == [
        "order_status_changed",
        "order_confirmed",
    ]


def test_what_an_instance_started_by_an_event_sees():
    record, data = {"id": "L1"}, {"id": "L1", "by": "u"}
    seen = domain.process_data("lead_created", data, record)
    assert seen == {"record": record, "event": {"type": "lead_created", "data": data}}
    assert seen["event"]["data"] is not data


def test_a_start_condition():
    data = {"record": {"score": 70}}
    assert domain.condition_holds(None, data) is True
    assert domain.condition_holds("", data) is True
    assert domain.condition_holds("   ", data) is True
    assert domain.condition_holds("record['score']", data) is True
    assert domain.condition_holds("record['score'] - 70", data) is False
    assert domain.condition_holds("record['nope']", data) is False
    assert domain.condition_holds("import os", data) is False


# --- user tasks -------------------------------------------------------------------------


def test_a_tasks_form():
    assert domain.parse_form(None) == []
    assert domain.parse_form("") == []
    assert domain.parse_form(" , ,:boolean") == []
    assert domain.parse_form(" ok : BOOLEAN ,n:number,d:date,t:text,s:string,c:colour,plain") == [
        {"name": "ok", "type": "boolean"},
        {"name": "n", "type": "number"},
        {"name": "d", "type": "date"},
        {"name": "t", "type": "text"},
        {"name": "s", "type": "string"},
        {"name": "c", "type": "string"},
        {"name": "plain", "type": "string"},
    ]
    assert domain.parse_form("x:") == [{"name": "x", "type": "string"}]
    # an empty entry between two fields loses neither
    assert domain.parse_form("a:number, ,b") == [
        {"name": "a", "type": "number"},
        {"name": "b", "type": "string"},
    ]


FORM = domain.parse_form("ok:boolean, n:number, d:date, t:text, s:string")


def test_task_data_that_fits_its_form():
    assert domain.clean_task_data(FORM, None) == {}
    assert domain.clean_task_data(FORM, {}) == {}
    fits = {
        "ok": False,
        "n": 3,
        "d": "2026-12-07",
        "t": "x" * 10_000,
        "s": "",
        "result": "done",
    }
    assert domain.clean_task_data(FORM, fits) == fits
    assert domain.clean_task_data(FORM, {"n": 2.5, "ok": None, "result": None}) == {
        "n": 2.5,
        "ok": None,
        "result": None,
    }


def test_task_data_outside_its_form_is_refused_field_by_field():
    with pytest.raises(ValidationFailed) as refused:
        domain.clean_task_data(
            FORM,
            {
                "ok": "yes",
                "n": True,
                "d": 20261207,
                "t": 1,
                "s": "x" * 10_001,
                "result": 5,
                "colour": "red",
            },
        )
    assert refused.value.message == "The task's data does not fit its form"
    assert refused.value.errors == [
        {"field": "data.ok", "message": "must be true or false"},
        {"field": "data.n", "message": "must be a number"},
        {"field": "data.d", "message": "must be text"},
        {"field": "data.t", "message": "must be text"},
        {"field": "data.s", "message": "at most 10,000 characters"},
        {"field": "data.result", "message": "must be text"},
        {"field": "data.colour", "message": "not a field of this task's form"},
    ]
    # every field is checked, also after one outside the form
    with pytest.raises(ValidationFailed) as both:
        domain.clean_task_data(FORM, {"colour": "red", "s": 5})
    assert both.value.errors == [
        {"field": "data.colour", "message": "not a field of this task's form"},
        {"field": "data.s", "message": "must be text"},
    ]
    with pytest.raises(ValidationFailed) as not_object:
        domain.clean_task_data(FORM, ["ok"])
    assert refusal(not_object.value) == (
        "data: must be an object",
        [{"field": "data", "message": "must be an object"}],
    )


def test_a_form_may_make_the_result_a_number():
    form = domain.parse_form("result:number")
    assert domain.clean_task_data(form, {"result": 4}) == {"result": 4}
    with pytest.raises(ValidationFailed):
        domain.clean_task_data(form, {"result": "4"})


def test_a_tasks_property():
    assert domain.evaluate_property(None, {"a": 1}) is None
    assert domain.evaluate_property("  ", {"a": 1}) is None
    assert domain.evaluate_property("", {"a": 1}) is None
    assert domain.evaluate_property("a + 1", {"a": 1}) == 2
    assert domain.evaluate_property(3, {}) == 3
    assert domain.evaluate_property("nobody", {}) is None


def plan(properties: dict, data: dict | None = None, instance: dict | None = None) -> dict:
    task = {"name": "Call them", "properties": properties, "data": data or {}}
    return domain.user_task_plan(task, instance or {"name": "Lead management"}, NOW)


def test_a_full_user_task_plan():
    found = domain.user_task_plan(
        {
            "name": "Call them",
            "properties": {
                "assignee": "record['owner_id']",
                "candidate_role": " sales_manager ",
                "due_in_days": "record['days']",
                "activity_type": "meeting",
                "form": "ok:boolean",
            },
            "data": {"record": {"owner_id": OWNER, "days": 1.5}},
        },
        {"name": "Lead management", "record_type": "opportunity", "record_id": "O1"},
        NOW,
    )
    assert found == {
        "assignee_id": OWNER,
        "candidate_role": "sales_manager",
        "due_at": NOW + timedelta(days=1.5),
        "form": [{"name": "ok", "type": "boolean"}],
        "activity": {
            "type": "meeting",
            "title": "Call them",
            "description": "A step of the process “Lead management”. "
            "Completing this activity completes the step.",
            "priority": "normal",
            "owner_id": OWNER,
            "due_at": "2026-12-08T21:00:00Z",
            "related_type": "opportunity",
            "related_id": "O1",
        },
    }


def test_a_bare_user_task_plan():
    found = domain.user_task_plan({}, {}, NOW)
    assert found == {
        "assignee_id": None,
        "candidate_role": None,
        "due_at": None,
        "form": [],
        "activity": {
            "type": "task",
            "title": "Process task",
            "description": "A step of the process “None”. "
            "Completing this activity completes the step.",
            "priority": "normal",
        },
    }
    assert plan({"candidate_role": "   "})["candidate_role"] is None
    assert plan({"assignee": "42"})["assignee_id"] == "42"
    assert plan({"assignee": "0"})["assignee_id"] is None


@pytest.mark.parametrize(
    ("days", "due"),
    [
        ("0", NOW),
        ("3650", NOW + timedelta(days=3650)),
        ("2", NOW + timedelta(days=2)),
        ("3651", None),
        ("-1", None),
        ("True", None),
        ("'2'", None),
        ("nothing", None),
    ],
)
def test_a_tasks_due_date_is_within_ten_years(days, due):
    found = plan({"due_in_days": days})
    assert found["due_at"] == due
    assert ("due_at" in found["activity"]) is (due is not None)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("task", "task"),
        ("call", "call"),
        ("meeting", "meeting"),
        ("email", "email"),
        ("lunch", "task"),
        ("", "task"),
        (None, "task"),
    ],
)
def test_an_activitys_type(kind, expected):
    assert plan({"activity_type": kind})["activity"]["type"] == expected


def test_an_activitys_title_is_cut_to_300_characters():
    task = {"name": "t" * 400, "properties": {}, "data": {}}
    assert domain.user_task_plan(task, {}, NOW)["activity"]["title"] == "t" * 300


@pytest.mark.parametrize(
    ("record_type", "record_id", "related"),
    [
        ("lead", "L1", ("lead", "L1")),
        ("contact", "C1", ("contact", "C1")),
        ("account", "A1", ("account", "A1")),
        ("opportunity", "O1", ("opportunity", "O1")),
        ("order", "R1", ("order", "R1")),
        ("invoice", "I1", None),
        ("activity", "X1", None),
        ("lead", None, None),
        (None, None, None),
    ],
)
def test_an_activity_is_linked_to_the_instances_record(record_type, record_id, related):
    activity = plan({}, instance={"record_type": record_type, "record_id": record_id})["activity"]
    found = (activity["related_type"], activity["related_id"]) if "related_id" in activity else None
    assert found == related
    assert ("related_type" in activity) is (related is not None)


# --- the action ledger ------------------------------------------------------------------


def test_one_key_per_task_and_purpose():
    assert domain.idempotency_key("i", "t", "action") == "i:t:action"


def test_a_call_in_doubt_is_resent_only_when_safe_or_asked():
    assert domain.call_in_doubt_may_resend(True, False) is True
    assert domain.call_in_doubt_may_resend(False, True) is True
    assert domain.call_in_doubt_may_resend(True, True) is True
    assert domain.call_in_doubt_may_resend(False, False) is False


# --- instances --------------------------------------------------------------------------


def test_which_instances_are_open():
    for status in ("running", "waiting", "failed"):
        domain.check_open(status)
    for status in ("completed", "cancelled"):
        with pytest.raises(Conflict) as ended:
            domain.check_open(status)
        assert refusal(ended.value) == (
            f"The process instance is {status}",
            [{"field": "status", "message": f"is {status}"}],
        )
    with pytest.raises(Conflict) as task:
        domain.check_open("cancelled", "task")
    assert task.value.message == "The process task is cancelled"


def test_only_a_failed_instance_is_repaired():
    domain.check_failed("failed")
    for status in ("running", "waiting", "completed", "cancelled"):
        with pytest.raises(Conflict) as refused:
            domain.check_failed(status)
        assert refusal(refused.value) == (
            "Only a failed step can be retried or skipped",
            [{"field": "status", "message": f"is {status}, not failed"}],
        )


def test_a_start_by_hand():
    assert domain.clean_start({"definition_id": "d"}) == {
        "definition_id": "d",
        "record_type": None,
        "record_id": None,
        "data": {},
    }
    extra = {"note": "n"}
    found = domain.clean_start(
        {"definition_id": "d", "record_type": "email", "record_id": 5, "data": extra}
    )
    assert found == {"definition_id": "d", "record_type": "email", "record_id": "5", "data": extra}
    assert found["data"] is not extra
    assert domain.clean_start({"definition_id": "d", "data": None})["data"] == {}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (["d"], "body", "must be an object"),
        ({"definition_id": "d", "zeta": 1, "alpha": 2}, "alpha", "unknown field"),
        ({}, "definition_id", "is required"),
        ({"definition_id": ""}, "definition_id", "is required"),
        ({"definition_id": 7}, "definition_id", "is required"),
        (
            {"definition_id": "d", "record_type": "lead"},
            "record_id",
            "record_type and record_id come together",
        ),
        (
            {"definition_id": "d", "record_id": "L1"},
            "record_type",
            "record_type and record_id come together",
        ),
        (
            {"definition_id": "d", "record_type": "ship", "record_id": "S"},
            "record_type",
            "one of lead, account, contact, opportunity, activity, order, invoice, email",
        ),
        ({"definition_id": "d", "data": ["x"]}, "data", "must be an object"),
    ],
)
def test_a_start_by_hand_is_refused(data, field, message):
    with pytest.raises(ValidationFailed) as refused:
        domain.clean_start(data)
    assert refusal(refused.value) == (
        f"{field}: {message}",
        [{"field": field, "message": message}],
    )


def test_a_message():
    payload = {"a": 1}
    name, data = domain.clean_message("  paid ", payload)
    assert (name, data) == ("paid", payload) and data is not payload
    assert domain.clean_message("m", None) == ("m", {})
    assert domain.clean_message("m" * 200, {}) == ("m" * 200, {})


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        (None, {}, "name"),
        ("", {}, "name"),
        ("   ", {}, "name"),
        ("m" * 201, {}, "name"),
        ("m", ["x"], "data"),
    ],
)
def test_a_message_is_refused(name, data, field):
    with pytest.raises(ValidationFailed) as refused:
        domain.clean_message(name, data)
    message = (
        "a message name (1..200 characters) is required" if field == "name" else "must be an object"
    )
    assert refusal(refused.value) == (f"{field}: {message}", [{"field": field, "message": message}])

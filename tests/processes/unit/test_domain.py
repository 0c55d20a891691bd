"""Pure rules of processes: records of events, starts' conditions, user task plans and
forms, rights, the action catalogue and the calls it builds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.processes import actions, domain


def test_the_record_of_an_event():
    lead = {"id": "L1", "stage": "qualification"}
    assert domain.record_of("lead_created", lead) == ("lead", "L1", lead)
    moved = {"opportunity": {"id": "O1"}, "from_stage_id": "a", "to_stage_id": "b"}
    assert domain.record_of("opportunity_stage_changed", moved)[:2] == ("opportunity", "O1")
    assert domain.record_of("something_else", {"id": "x"})[:2] == (None, None)


def test_a_confirmed_order_is_also_order_confirmed():
    assert domain.derived_events("order_status_changed", {"to": "confirmed"}) == [
        "order_status_changed",
        "order_confirmed",
    ]
    assert domain.derived_events("order_status_changed", {"to": "shipped"}) == [
        "order_status_changed"
    ]


def test_a_start_condition_on_the_record():
    data = {"record": {"source": "web", "score": 70}}
    assert domain.condition_holds(None, data)
    assert domain.condition_holds("record['score'] >= 50 and record['source'] == 'web'", data)
    assert not domain.condition_holds("record['score'] > 90", data)
    # a condition that cannot be evaluated starts nothing
    assert not domain.condition_holds("record['missing'] > 1", data)
    assert not domain.condition_holds("__import__('os')", data)


def test_a_user_task_plan():
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    task = {
        "name": "Qualify the lead",
        "properties": {
            "assignee": "record['owner_id']",
            "due_in_days": "2",
            "activity_type": "call",
            "form": "ok:boolean, note",
        },
        "data": {"record": {"owner_id": "U1"}},
    }
    plan = domain.user_task_plan(
        task, {"name": "Lead management", "record_type": "lead", "record_id": "L1"}, now
    )
    assert plan["assignee_id"] == "U1"
    assert plan["form"] == [{"name": "ok", "type": "boolean"}, {"name": "note", "type": "string"}]
    activity = plan["activity"]
    assert (
        activity["type"] == "call"
        and activity["owner_id"] == "U1"
        and activity["due_at"] == "2026-12-09T09:00:00Z"
    )
    assert (activity["related_type"], activity["related_id"]) == ("lead", "L1")
    # a broken assignee expression still makes the task (for the role, unassigned)
    task["properties"]["assignee"] = "record['nobody']"
    assert domain.user_task_plan(task, {"name": "x"}, now)["assignee_id"] is None


def test_task_data_must_fit_the_form():
    form = domain.parse_form("qualified:boolean, reason:string, people:number")
    assert domain.clean_task_data(
        form, {"qualified": False, "reason": "no_need", "result": "x"}
    ) == {
        "qualified": False,
        "reason": "no_need",
        "result": "x",
    }
    with pytest.raises(ValidationFailed) as failed:
        domain.clean_task_data(form, {"qualified": "no", "people": "3", "colour": "red"})
    assert {e["field"] for e in failed.value.errors} == {
        "data.qualified",
        "data.people",
        "data.colour",
    }


def test_rights():
    admin = Actor(id="a", roles=("admin",))
    manager = Actor(id="m", roles=("sales_manager",))
    rep = Actor(id="r", roles=("sales_rep",))
    domain.check_may_design(admin)
    with pytest.raises(PermissionDenied):
        domain.check_may_design(manager)
    with pytest.raises(PermissionDenied):
        domain.check_may_administer(rep)
    assert domain.may_complete_task(rep, "r", None)
    assert not domain.may_complete_task(rep, "someone", None)
    assert domain.may_complete_task(rep, None, "sales_rep")
    assert domain.may_complete_task(manager, "someone", None)


def test_repairs_need_the_right_state():
    with pytest.raises(Conflict):
        domain.check_failed("waiting")
    with pytest.raises(Conflict):
        domain.check_open("completed")
    domain.check_open("failed")


def test_a_start_by_hand_is_checked():
    assert (
        domain.clean_start({"definition_id": "d", "record_type": "lead", "record_id": "L"})[
            "record_id"
        ]
        == "L"
    )
    for bad in (
        {},
        {"definition_id": "d", "record_type": "lead"},
        {"definition_id": "d", "colour": 1},
        {"definition_id": "d", "record_type": "ship", "record_id": "x"},
    ):
        with pytest.raises(ValidationFailed):
            domain.clean_start(bad)


def test_the_same_step_has_the_same_key():
    assert domain.idempotency_key("i", "t", "action") == domain.idempotency_key("i", "t", "action")
    assert domain.idempotency_key("i", "t", "action") != domain.idempotency_key(
        "i", "t", "activity"
    )
    assert domain.call_in_doubt_may_resend(True, False) and not domain.call_in_doubt_may_resend(
        False, False
    )


def test_actions_become_the_owning_services_rpcs():
    assert actions.build_call(
        "create_record", {"entity": "contact", "data": {"full_name": "A"}}
    ) == actions.Call("sales", "create_contact", ({"full_name": "A"},), {})
    assert (
        actions.build_call(
            "change_record", {"entity": "lead", "id": "L", "data": {"notes": "n"}}
        ).method
        == "update_lead"
    )
    assert actions.build_call("delete_record", {"entity": "order", "id": "O"}) == actions.Call(
        "orders", "delete_order", ("O",), {}
    )
    assert actions.build_call("assign_owner", {"lead_id": "L"}).args == ("L", {})
    assert actions.build_call(
        "post_to_feed", {"text": "hi", "related_type": "lead", "related_id": "L"}
    ).args == ({"text": "hi", "related": {"type": "lead", "id": "L"}},)
    with pytest.raises(actions.ActionError):
        actions.build_call("create_record", {"entity": "spaceship", "data": {}})
    sent = actions.build_call(
        "send_email",
        {
            "mailbox_id": "M",
            "to": "a@b.c",
            "template_id": "T",
            "related_type": "lead",
            "related_id": "L",
        },
    )
    assert sent == actions.Call(
        "mail",
        "send_email",
        (
            {
                "mailbox_id": "M",
                "to": ["a@b.c"],
                "template_id": "T",
                "related": {"type": "lead", "id": "L"},
            },
        ),
        {},
    )
    with pytest.raises(actions.ActionError):
        actions.build_call("send_email", {"mailbox_id": "M", "to": "a@b.c"})
    with pytest.raises(actions.ActionError):
        actions.build_call("call_webhook", {"url": "file:///etc/passwd"})


def test_sets_and_keyed_calls_are_resent_after_a_lost_answer():
    assert actions.is_idempotent("change_record", {})
    assert actions.is_idempotent("assign_owner", {"owner_id": "U"})
    # by the rules a turn, but the leads service keeps the key: sent again, it turns once
    assert actions.is_idempotent("assign_owner", {"lead_id": "L"})
    assert actions.is_idempotent("post_to_feed", {"text": "x", "channel_id": "C"})
    assert actions.is_idempotent("create_record", {"entity": "lead", "data": {}})
    assert actions.is_idempotent("create_record", {"entity": "order", "data": {}})
    assert actions.is_idempotent("create_record", {"entity": "activity", "data": {}})
    assert actions.is_idempotent("win_opportunity", {"opportunity_id": "O"})
    assert actions.is_idempotent("complete_activity", {"activity_id": "A", "data": None})
    assert not actions.is_idempotent("send_email", {"mailbox_id": "M", "to": "a@b.c", "body": "hi"})
    assert not actions.is_idempotent("rm_rf", {})
    # a user task's activity cancelled is a set; completing it is not (its result)
    assert actions.is_idempotent("cancel_activity", {"activity_id": "A"})
    cancel = actions.build_any_call("cancel_activity", {"activity_id": "A"})
    assert (cancel.service, cancel.method) == ("sales", "update_activity")
    assert cancel.args == ("A", {"status": "cancelled"})
    with pytest.raises(actions.ActionError):
        actions.build_any_call("rm_rf", {})


def test_a_keyed_call_is_one_its_service_takes_the_key_for():
    assert actions.build_call("post_to_feed", {"text": "x", "channel_id": "C"}).keyed
    assert actions.build_call("confirm_order", {"order_id": "O"}).keyed
    assert not actions.build_call("read_record", {"entity": "lead", "id": "L"}).keyed
    # every entity's owning service keeps the key of its create
    for entity in actions.ENTITIES:
        assert actions.build_call("create_record", {"entity": entity, "data": {}}).keyed, entity
    # the designer's catalogue says so too: an action whose RPC is keyed is safe to resend
    for action in actions.CATALOGUE.values():
        if action.name != "send_email":
            assert action.idempotent, action.name


def test_a_diagrams_action_is_checked_when_saved():
    assert actions.check_parameters("create_activity", {"data": "{}"}) is None
    assert "unknown action" in actions.check_parameters("rm_rf", {})
    assert "required" in actions.check_parameters("create_activity", {})
    assert "unknown parameter" in actions.check_parameters(
        "create_activity", {"data": "{}", "colour": "1"}
    )

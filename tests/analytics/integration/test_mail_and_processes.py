"""Figures of mail and processes: their events, as the mail and processes services emit
them, kept by analytics in any order — emails sent and received per user and month,
process instances by process and state, tasks done and overdue by assignee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, MANAGER_A, call, event


def report(analytics: Any, actor: dict, **spec: Any) -> list[dict]:
    return call(analytics, "run_report", spec, actor=actor)["rows"]


def email(direction: str, sent_at: str, user: dict | None, **extra: Any) -> dict:
    return {
        "id": new_id(),
        "message_id": f"{new_id()}@osprey.test",
        "thread_key": new_id(),
        "subject": "Hello",
        "from": "someone@example.com",
        "to": ["ann@osprey.test"],
        "cc": [],
        "sent_at": sent_at,
        "direction": direction,
        "mailbox_id": new_id(),
        "folder": "INBOX" if direction == "incoming" else "Sent",
        "user_id": user["id"] if user else None,
        "team_id": user["team_id"] if user else None,
        **extra,
    }


def test_emails_sent_and_received_per_user_and_month(analytics):
    received = [
        email("incoming", "2026-01-05T09:00:00Z", ANN),
        email("incoming", "2026-01-20T09:00:00Z", ANN),
        email("incoming", "2026-02-02T09:00:00Z", ANN),
        email("incoming", "2026-02-03T09:00:00Z", BOB),
    ]
    # linked before the received event reached analytics: both parts are kept
    linked = {key: received[0][key] for key in ("id", "subject", "sent_at", "direction")}
    call(analytics, "handle_mail_email_linked", event("email_linked", {**linked, "links": []}))
    for item in received:
        call(analytics, "handle_mail_email_received", event("email_received", item))
    sent = email("outgoing", "2026-02-10T09:00:00Z", ANN, send_id=new_id())
    call(analytics, "handle_mail_email_sent", event("email_sent", sent))
    call(analytics, "handle_mail_email_sent", event("email_sent", sent))  # redelivered

    spec = {
        "entity": "emails",
        "group_by": ["owner_id", {"field": "sent_at", "bucket": "month"}],
        "filters": {"direction": "incoming"},
    }
    assert report(analytics, ADMIN, **spec) == [
        {"owner_id": ANN["id"], "sent_at_month": "2026-01-01", "count": 2},
        {"owner_id": ANN["id"], "sent_at_month": "2026-02-01", "count": 1},
        {"owner_id": BOB["id"], "sent_at_month": "2026-02-01", "count": 1},
    ]
    by_direction = report(analytics, MANAGER_A, entity="emails", group_by=["direction"])
    assert by_direction == [
        {"direction": "incoming", "count": 3},
        {"direction": "outgoing", "count": 1},
    ]
    assert report(analytics, BOB, entity="emails") == [{"count": 1}]
    assert report(analytics, ADMIN, entity="emails", filters={"linked": "yes"}) == [{"count": 1}]


def instance(name: str, state: str, owner: dict, **extra: Any) -> dict:
    return {
        "id": new_id(),
        "definition_id": extra.pop("definition_id", new_id()),
        "version": 2,
        "name": name,
        "state": state,
        "record_type": "lead",
        "record_id": new_id(),
        "started_at": "2026-03-01T10:00:00Z",
        "ended_at": None,
        "owner_id": owner["id"],
        "team_id": owner["team_id"],
        **extra,
    }


def test_process_instances_by_process_and_state_whatever_the_order(analytics):
    onboarding = new_id()
    done = instance("Onboarding", "running", ANN, definition_id=onboarding)
    failed = instance("Onboarding", "running", ANN, definition_id=onboarding)
    waiting = instance("Follow-up", "waiting", BOB)
    ended = {**done, "state": "completed", "ended_at": "2026-03-02T10:00:00Z"}
    # the completion overtook the start: the instance stays completed
    call(analytics, "handle_processes_process_instance_completed", event("x", ended))
    call(analytics, "handle_processes_process_instance_started", event("x", done))
    call(analytics, "handle_processes_process_instance_started", event("x", failed))
    call(
        analytics,
        "handle_processes_process_instance_failed",
        event("x", {**failed, "state": "failed", "error": {"message": "boom"}}),
    )
    call(analytics, "handle_processes_process_instance_started", event("x", waiting))

    rows = report(analytics, ADMIN, entity="process_instances", group_by=["name", "state"])
    assert rows == [
        {"name": "Follow-up", "state": "waiting", "count": 1},
        {"name": "Onboarding", "state": "completed", "count": 1},
        {"name": "Onboarding", "state": "failed", "count": 1},
    ]
    # by the process (its definition), as a rep of the team reads them
    assert report(analytics, ANN, entity="process_instances", group_by=["definition_id"]) == [
        {"definition_id": onboarding, "count": 2}
    ]


def test_tasks_done_and_overdue_by_assignee(analytics):
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).isoformat()
    tomorrow = (now + timedelta(days=1)).isoformat()

    def task(assignee: dict, due: str) -> dict:
        return {
            "id": new_id(),
            "instance_id": new_id(),
            "task_id": new_id(),
            "name": "Call the lead",
            "assignee_id": assignee["id"],
            "candidate_role": None,
            "record_type": "lead",
            "record_id": new_id(),
            "state": "open",
            "due_at": due,
            "created_at": (now - timedelta(days=3)).isoformat(),
            "team_id": assignee["team_id"],
        }

    late, on_time, done_first, bobs = (
        task(ANN, yesterday),
        task(ANN, tomorrow),
        task(ANN, yesterday),
        task(BOB, yesterday),
    )
    for item in (late, on_time, bobs):
        call(analytics, "handle_processes_process_task_created", event("x", item))
    completed = {
        "id": done_first["id"],
        "instance_id": done_first["instance_id"],
        "task_id": done_first["task_id"],
        "name": done_first["name"],
        "data": {},
        "completed_by": ANN["id"],
        "assignee_id": ANN["id"],
        "state": "completed",
        "due_at": yesterday,
        "created_at": done_first["created_at"],
        "completed_at": now.isoformat(),
    }
    # done before analytics heard it was made: it stays done
    call(analytics, "handle_processes_process_task_completed", event("x", completed))
    call(analytics, "handle_processes_process_task_created", event("x", done_first))

    done = report(
        analytics,
        ADMIN,
        entity="process_tasks",
        group_by=["assignee_id"],
        filters={"state": "completed"},
    )
    assert done == [{"assignee_id": ANN["id"], "count": 1}]
    overdue = report(
        analytics,
        ADMIN,
        entity="process_tasks",
        group_by=["assignee_id"],
        filters={"state": "open", "due_at": f"..{now.isoformat()}"},
    )
    assert sorted(overdue, key=lambda r: r["assignee_id"]) == sorted(
        [{"assignee_id": ANN["id"], "count": 1}, {"assignee_id": BOB["id"], "count": 1}],
        key=lambda r: r["assignee_id"],
    )
    # Ann's team reads Ann's tasks only
    assert report(analytics, MANAGER_A, entity="process_tasks") == [{"count": 3}]
    # Bob's task ends by its boundary timer: overdue no more, counted as cancelled
    cancelled = {**bobs, "state": "cancelled", "completed_at": now.isoformat()}
    call(analytics, "handle_processes_process_task_cancelled", event("x", cancelled))
    overdue = report(
        analytics,
        ADMIN,
        entity="process_tasks",
        group_by=["assignee_id"],
        filters={"state": "open", "due_at": f"..{now.isoformat()}"},
    )
    assert overdue == [{"assignee_id": ANN["id"], "count": 1}]
    gone = report(analytics, ADMIN, entity="process_tasks", filters={"state": "cancelled"})
    assert gone == [{"count": 1}]

"""Activities in a real sales container over PostgreSQL: links, participants, complete, rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.platform.db import Database
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.events import isoformat
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


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def activity(container, actor: dict = REP_A, **data: Any) -> dict:
    return call(
        container, "create_activity", {"type": "task", "title": "Call back", **data}, actor=actor
    )


def when(**delta: float) -> str:
    """A time relative to now, as the API sends it."""
    return isoformat(datetime.now(UTC) + timedelta(**delta))


def outbox(engine: sa.Engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        return [
            (t, e["data"])
            for t, e in conn.execute(sa.text("SELECT type, envelope FROM sales.outbox ORDER BY id"))
        ]


def participant_rows(engine: sa.Engine, activity_id: str) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {
            (kind, pid)
            for kind, pid in conn.execute(
                sa.text(
                    "SELECT kind, participant_id::text FROM sales.activity_participants "
                    "WHERE activity_id = :id"
                ),
                {"id": activity_id},
            )
        }


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- create, links, participants --------------------------------------------------------


def test_create_with_defaults_links_and_participants(sales, db_engine):
    acme = call(sales, "create_account", {"name": "Acme"}, actor=REP_A)
    ann = call(sales, "create_contact", {"full_name": "Ann Lee"}, actor=REP_A)
    created = activity(
        sales,
        type="meeting",
        title="Kick-off",
        start_at="2026-03-02T09:00:00+01:00",
        due_at="2026-03-02T10:00:00+01:00",
        related_type="account",
        related_id=acme["id"],
        participants=[{"type": "user", "id": REP_A2["id"]}, {"type": "contact", "id": ann["id"]}],
    )
    assert created["status"] == "not_started" and created["priority"] == "normal"
    assert created["start_at"] == "2026-03-02T08:00:00Z" and created["completed_at"] is None
    assert created["owner_id"] == REP_A["id"] and created["team_id"] == TEAM_A
    assert created["version"] == 1
    assert created["participants"] == [
        {"type": "contact", "id": ann["id"]},
        {"type": "user", "id": REP_A2["id"]},
    ]
    assert call(sales, "get_activity", created["id"], actor=REP_A) == created
    assert participant_rows(db_engine, created["id"]) == {
        ("contact", ann["id"]),
        ("user", REP_A2["id"]),
    }
    assert outbox(db_engine)[-1] == ("activity_created", created)

    # a lead and an order live in other services: any UUID is taken
    lead_call = activity(sales, type="call", related_type="lead", related_id=new_id())
    assert lead_call["related_type"] == "lead"
    # logging an activity that already happened
    logged = activity(sales, type="call", status="completed", result="Left a message")
    assert logged["completed_at"] is not None and logged["result"] == "Left a message"


def test_bad_input_is_one_error_naming_every_field(sales, db_engine):
    ann = call(sales, "create_contact", {"full_name": "Ann Lee"}, actor=REP_A)
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "create_activity",
            {
                "type": "lunch",
                "start_at": "2026-03-02T09:00:00Z",
                "due_at": "tomorrow",
                "participants": [
                    {"type": "contact", "id": ann["id"]},
                    {"type": "robot", "id": new_id()},
                    {"type": "contact", "id": ann["id"]},
                    {"type": "user", "id": "me"},
                ],
            },
            actor=REP_A,
        )
    assert error_fields(exc) == {
        "type",
        "due_at",
        "participants[1].type",
        "participants[2]",
        "participants[3].id",
    }
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, start_at="2026-03-02T09:00:00Z", due_at="2026-03-02T08:59:59Z")
    assert error_fields(exc) == {"due_at"}
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, due_at="2026-03-02T09:00:00")  # no zone
    assert error_fields(exc) == {"due_at"}
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, related_type="account")
    assert error_fields(exc) == {"related_id"}
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, related_id=new_id())
    assert error_fields(exc) == {"related_type"}
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, completed_at=when())
    assert error_fields(exc) == {"completed_at"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "create_activity", {"title": "No type"}, actor=REP_A)
    assert error_fields(exc) == {"type"}
    assert outbox(db_engine) == [("contact_created", ann)]


@pytest.mark.parametrize("related_type", ["contact", "account", "opportunity"])
def test_a_related_record_of_this_service_must_exist(sales, db_engine, related_type):
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, related_type=related_type, related_id=new_id())
    assert exc.value.errors == [{"field": "related_id", "message": f"no such {related_type}"}]
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sales.activities")).scalar() == 0


def test_contact_participants_must_exist_and_the_error_names_their_place(sales, db_engine):
    ann = call(sales, "create_contact", {"full_name": "Ann Lee"}, actor=REP_A)
    ghost = new_id()
    with pytest.raises(ValidationFailed) as exc:
        activity(
            sales,
            participants=[
                {"type": "contact", "id": ann["id"]},
                {"type": "user", "id": new_id()},  # users live in identity: any UUID
                {"type": "contact", "id": ghost},
            ],
        )
    assert exc.value.errors == [{"field": "participants[2].id", "message": "no such contact"}]
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sales.activities")).scalar() == 0


# --- update -------------------------------------------------------------------------------


def test_patch_replaces_the_participants_and_lists_them_as_changed(sales, db_engine):
    ann = call(sales, "create_contact", {"full_name": "Ann Lee"}, actor=REP_A)
    bob = call(sales, "create_contact", {"full_name": "Bob Stone"}, actor=REP_A)
    created = activity(
        sales,
        participants=[{"type": "contact", "id": ann["id"]}, {"type": "user", "id": REP_A2["id"]}],
    )
    changed = call(
        sales,
        "update_activity",
        created["id"],
        {
            "participants": [
                {"type": "user", "id": REP_A2["id"]},
                {"type": "contact", "id": bob["id"]},
            ],
            "priority": "high",
        },
        actor=REP_A,
        expected_version=1,
    )
    assert changed["participants"] == [
        {"type": "contact", "id": bob["id"]},
        {"type": "user", "id": REP_A2["id"]},
    ]
    assert changed["version"] == 2 and changed["priority"] == "high"
    assert participant_rows(db_engine, created["id"]) == {
        ("contact", bob["id"]),
        ("user", REP_A2["id"]),
    }
    event_type, data = outbox(db_engine)[-1]
    assert event_type == "activity_updated"
    assert data["changed_fields"] == ["priority", "participants"]
    assert data["participants"] == changed["participants"]

    # the same set in another order is no change: no new version, no event
    same = call(
        sales,
        "update_activity",
        created["id"],
        {"participants": list(reversed(changed["participants"]))},
        actor=REP_A,
    )
    assert same == changed and len(outbox(db_engine)) == 4
    # null clears them
    cleared = call(sales, "update_activity", created["id"], {"participants": None}, actor=REP_A)
    assert cleared["participants"] == [] and participant_rows(db_engine, created["id"]) == set()

    # a failing change leaves the participants alone
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "update_activity",
            created["id"],
            {"participants": [{"type": "contact", "id": new_id()}]},
            actor=REP_A,
        )
    assert error_fields(exc) == {"participants[0].id"}
    with pytest.raises(Conflict):
        call(
            sales, "update_activity", created["id"], {"title": "X"}, actor=REP_A, expected_version=1
        )


def test_patch_keeps_the_record_rules(sales):
    created = activity(sales, start_at="2026-03-02T09:00:00Z", due_at="2026-03-02T10:00:00Z")
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "update_activity",
            created["id"],
            {"due_at": "2026-03-02T08:00:00Z"},
            actor=REP_A,
        )
    assert error_fields(exc) == {"due_at"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "update_activity", created["id"], {"status": "completed"}, actor=REP_A)
    assert error_fields(exc) == {"status"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "update_activity", created["id"], {"priority": None}, actor=REP_A)
    assert error_fields(exc) == {"priority"}
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "update_activity",
            created["id"],
            {"related_type": "opportunity", "related_id": new_id()},
            actor=REP_A,
        )
    assert error_fields(exc) == {"related_id"}
    assert call(sales, "get_activity", created["id"], actor=REP_A)["version"] == 1


# --- complete -----------------------------------------------------------------------------


def test_complete_sets_status_time_result_and_twice_is_409(sales, db_engine):
    created = activity(sales, result="draft")
    done = call(
        sales,
        "complete_activity",
        created["id"],
        {"result": "Agreed on a demo"},
        actor=REP_A,
        expected_version=1,
    )
    assert done["status"] == "completed" and done["result"] == "Agreed on a demo"
    assert done["completed_at"] is not None and done["version"] == 2
    assert outbox(db_engine)[-1] == ("activity_completed", done)
    with pytest.raises(Conflict) as exc:
        call(sales, "complete_activity", created["id"], {}, actor=REP_A)
    assert error_fields(exc) == {"status"}

    cancelled = activity(sales, status="cancelled")
    with pytest.raises(Conflict):
        call(sales, "complete_activity", cancelled["id"], None, actor=REP_A)

    # without a result the old one stays; a stale version is refused
    other = activity(sales, result="keep me")
    with pytest.raises(Conflict):
        call(sales, "complete_activity", other["id"], None, actor=REP_A, expected_version=5)
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "complete_activity", other["id"], {"outcome": "x"}, actor=REP_A)
    assert error_fields(exc) == {"outcome"}
    assert call(sales, "complete_activity", other["id"], None, actor=REP_A)["result"] == "keep me"

    # reopening a completed one clears completed_at
    reopened = call(sales, "update_activity", created["id"], {"status": "in_progress"}, actor=REP_A)
    assert reopened["completed_at"] is None and reopened["status"] == "in_progress"
    assert outbox(db_engine)[-1][1]["changed_fields"] == ["status", "completed_at"]


# --- rights -------------------------------------------------------------------------------


def test_rights_follow_owner_and_team_and_participants_may_read(sales, db_engine):
    mine = activity(sales, REP_A, title="Mine")
    theirs = activity(sales, REP_B, title="Theirs")
    invited = activity(
        sales, REP_B, title="Invited", participants=[{"type": "user", "id": REP_A["id"]}]
    )

    # a teammate reads but may not change, complete or delete
    assert call(sales, "get_activity", mine["id"], actor=REP_A2)["id"] == mine["id"]
    with pytest.raises(PermissionDenied):
        call(sales, "update_activity", mine["id"], {"title": "X"}, actor=REP_A2)
    with pytest.raises(PermissionDenied):
        call(sales, "complete_activity", mine["id"], None, actor=REP_A2)
    with pytest.raises(PermissionDenied):
        call(sales, "delete_activity", mine["id"], actor=REP_A2)
    # the team's manager may
    assert call(sales, "update_activity", mine["id"], {"title": "Ours"}, actor=MANAGER_A)
    # another team's activity is not there at all ...
    with pytest.raises(NotFound):
        call(sales, "get_activity", theirs["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "update_activity", theirs["id"], {"title": "X"}, actor=REP_A)
    # ... unless one takes part: then it is readable, not changeable
    assert call(sales, "get_activity", invited["id"], actor=REP_A)["title"] == "Invited"
    with pytest.raises(PermissionDenied):
        call(sales, "update_activity", invited["id"], {"title": "X"}, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(sales, "complete_activity", invited["id"], None, actor=REP_A)
    with pytest.raises(PermissionDenied):
        activity(sales, REP_A, team_id=TEAM_B)

    def ids(actor: dict, query: dict | None = None) -> set[str]:
        page = call(sales, "list_activities", query or {}, actor=actor)
        return {a["id"] for a in page["items"]}

    assert ids(REP_A) == {mine["id"], invited["id"]}
    assert ids(REP_B) == {theirs["id"], invited["id"]}
    assert ids(ADMIN) == {mine["id"], theirs["id"], invited["id"]}
    assert ids(ADMIN, {"filter": {"participant_id": [REP_A["id"]]}}) == {invited["id"]}
    assert ids(ADMIN, {"filter": {"title": ["vit"]}}) == {invited["id"]}
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "list_activities",
            {"filter": {"participant_id": ["nobody"], "colour": ["red"]}},
            actor=REP_A,
        )
    assert error_fields(exc) == {"filter[participant_id]", "filter[colour]"}

    assert call(sales, "delete_activity", mine["id"], actor=REP_A, expected_version=2) is None
    assert outbox(db_engine)[-1][0] == "activity_deleted"
    assert outbox(db_engine)[-1][1]["title"] == "Ours"


def test_the_activities_tab_of_a_record_and_list_filters(sales):
    acme = call(sales, "create_account", {"name": "Acme"}, actor=REP_A)
    about = activity(sales, related_type="account", related_id=acme["id"], type="call")
    activity(sales, type="call")
    page = call(
        sales,
        "list_activities",
        {"filter": {"related_type": ["account"], "related_id": [acme["id"]]}},
        actor=REP_A,
    )
    assert [a["id"] for a in page["items"]] == [about["id"]]
    by_due = call(sales, "list_activities", {"sort": "due_at", "q": "call"}, actor=REP_A)
    assert len(by_due["items"]) == 2

    # the participants of a whole page come with one query
    engine = next(e for e in sales.extensions if isinstance(e, Database)).engine
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    for _ in range(3):
        activity(sales, participants=[{"type": "user", "id": REP_A2["id"]}])
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        page = call(sales, "list_activities", {}, actor=ADMIN)  # no participant rights subquery
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(page["items"]) == 5
    assert sum(a["participants"] != [] for a in page["items"]) == 3
    assert sum("sales.activity_participants" in s for s in statements) == 1


# --- my activities ------------------------------------------------------------------------


def test_my_activities_overdue_first_then_upcoming_then_undated_in_pages(sales):
    later = activity(sales, title="Later", due_at=when(days=3))
    undated = activity(sales, title="Someday")
    long_overdue = activity(sales, title="Long overdue", due_at=when(days=-5))
    soon = activity(sales, title="Soon", due_at=when(hours=2))
    overdue = activity(sales, title="Overdue", due_at=when(hours=-1))
    done = activity(sales, title="Done", due_at=when(days=-9))
    call(sales, "complete_activity", done["id"], None, actor=REP_A)
    activity(sales, title="Cancelled", status="cancelled", due_at=when(days=-8))
    # someone else's where I take part as a user is mine too; a teammate's is not
    invited = activity(
        sales,
        REP_B,
        title="Invited",
        due_at=when(days=1),
        participants=[{"type": "user", "id": REP_A["id"]}],
    )
    activity(sales, REP_A2, title="Teammate's", due_at=when(days=-2))

    seen: list[dict] = []
    cursor = None
    while True:
        page = call(sales, "list_my_activities", {"limit": 2, "cursor": cursor}, actor=REP_A)
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [long_overdue, overdue, soon, invited, later, undated]
    assert [a["id"] for a in seen] == [a["id"] for a in expected]
    assert [a["is_overdue"] for a in seen] == [True, True, False, False, False, False]
    assert seen[3]["participants"] == [{"type": "user", "id": REP_A["id"]}]

    everything = call(sales, "list_my_activities", {"include_done": "true"}, actor=REP_A)
    titles = [a["title"] for a in everything["items"]]
    assert titles[:2] == ["Done", "Cancelled"] and len(titles) == 8
    assert everything["items"][0]["is_overdue"] is False  # done is never overdue

    only_calls = call(sales, "list_my_activities", {"filter": {"type": ["call"]}}, actor=REP_A)
    assert only_calls["items"] == []
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_my_activities", {"include_done": "maybe"}, actor=REP_A)
    assert error_fields(exc) == {"include_done"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_my_activities", {"sort": "-created_at"}, actor=REP_A)
    assert error_fields(exc) == {"sort"}


def test_describe_activities_lists_the_fields(sales):
    described = call(sales, "describe_activities")
    fields = {f["name"]: f for f in described["fields"]}
    assert described["name"] == "activities"
    assert fields["type"]["options"] == ["task", "call", "meeting", "email"]
    assert fields["participants"]["type"] == "list" and fields["completed_at"]["read_only"]
    assert fields["due_at"]["filter_op"] == "range"


def test_an_activity_says_where_it_came_from_and_lists_filter_by_it(sales, db_engine):
    made_here = activity(sales, title="Made here")
    from_google = activity(sales, type="meeting", title="From Google", source="google")
    assert made_here["source"] is None and from_google["source"] == "google"
    assert call(sales, "get_activity", from_google["id"], actor=REP_A)["source"] == "google"
    listed = call(sales, "list_activities", {"filter": {"source": "google"}}, actor=REP_A)
    assert [a["id"] for a in listed["items"]] == [from_google["id"]]
    created = [d for t, d in outbox(db_engine) if t == "activity_created"]
    assert {d["id"]: d["source"] for d in created} == {
        made_here["id"]: None,
        from_google["id"]: "google",
    }
    with pytest.raises(ValidationFailed) as exc:
        activity(sales, title="From nowhere", source="carrier_pigeon")
    assert error_fields(exc) == {"source"}
    described = {f["name"]: f for f in call(sales, "describe_activities")["fields"]}
    assert described["source"]["options"] == ["google", "exchange"]

"""The trail of a lead made, changed and deleted through the leads service: its events
reach the audit service over RabbitMQ; who, when, from where and each field's old and
new value are kept, whatever order the events come in and however often."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from services.platform.errors import ValidationFailed
from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, call, wait_for


def trail(audit: Any, lead_id: str, actor: dict = ADMIN) -> list[dict[str, Any]]:
    return call(audit, "list_record_audit", "lead", lead_id, {}, actor=actor)["items"]


def lead_events(engine: sa.Engine, lead_id: str) -> list[dict[str, Any]]:
    """The envelopes the leads service published about this lead, from its outbox."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT envelope FROM leads.outbox ORDER BY occurred_at, id")
        ).scalars()
        return [
            e
            for e in rows
            if (e["data"].get("id") or (e["data"].get("lead") or {}).get("id")) == lead_id
        ]


def test_create_change_delete_a_lead_is_kept_with_old_and_new_values(audit, leads, db_engine):
    lead = call(leads, "create_lead", {"contact_name": "Ivan", "email": "ivan@ex.test"}, actor=ANN)
    changed = call(
        leads,
        "update_lead",
        lead["id"],
        {"contact_name": "Ivan P.", "phone": "+79001112233"},
        actor=ANN,
    )
    call(leads, "delete_lead", lead["id"], actor=ANN)
    entries = wait_for(
        lambda: (t := trail(audit, lead["id"])) and len(t) == 3 and t,
        what="three entries of the lead",
    )
    deleted, updated, created = entries
    assert [e["action"] for e in entries] == ["deleted", "updated", "created"]
    assert created["changes"]["contact_name"] == [None, "Ivan"]
    assert created["changes"]["email"] == [None, "ivan@ex.test"]
    assert "updated_at" not in created["changes"] and "version" not in created["changes"]
    assert updated["changes"] == {
        "contact_name": ["Ivan", "Ivan P."],
        "phone": [None, "+79001112233"],
    }
    assert updated["old_known"] is True
    assert updated["version"] == changed["version"]
    assert deleted["changes"] == {}
    for entry in entries:
        assert entry["actor"] == {"id": ANN["id"], "email": ANN["email"]}
        assert entry["source"] == "web"
        assert entry["entity"] == "lead" and entry["record_id"] == lead["id"]

    # ann's team reads it; bob (another team) does not, the admin's search does
    assert len(trail(audit, lead["id"], ANN)) == 3
    assert trail(audit, lead["id"], BOB) == []
    found = call(
        audit, "list_audit_entries", {"field": "phone", "actor_id": ANN["id"]}, actor=ADMIN
    )["items"]
    assert [e["id"] for e in found] == [updated["id"]]


def test_events_replayed_out_of_order_and_twice_give_the_same_trail(
    audit, leads, db_engine, config
):
    lead = call(leads, "create_lead", {"contact_name": "Olga", "source": "web"}, actor=BOB)
    call(leads, "update_lead", lead["id"], {"contact_name": "Olga K."}, actor=BOB)
    call(
        leads, "update_lead", lead["id"], {"phone": "+79011112233", "notes": "call back"}, actor=BOB
    )
    call(leads, "update_lead", lead["id"], {"phone": "+79021112233"}, actor=BOB)
    wait_for(lambda: len(trail(audit, lead["id"])) == 4, what="four entries")
    before = trail(audit, lead["id"])
    events = lead_events(db_engine, lead["id"])
    assert [e["type"] for e in events] == ["lead_created"] + ["lead_updated"] * 3

    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit.entries WHERE record_id = :r"), {"r": lead["id"]})
    shuffled = list(reversed(events)) + random.Random(7).sample(events, len(events))
    for envelope in shuffled:
        # the same event twice (same id), and a copy under a new id: the claim and the
        # entry's key each keep it once
        call(audit, f"handle_leads_{envelope['type']}", envelope)
        call(audit, f"handle_leads_{envelope['type']}", {**envelope, "id": new_id()})

    after = trail(audit, lead["id"])
    keep = ("action", "version", "changes", "old_known", "actor", "source", "at")
    assert [{k: e[k] for k in keep} for e in after] == [{k: e[k] for k in keep} for e in before]

    # all at once through the broker, as the service's workers take them: one record's
    # events wait for each other
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit.entries WHERE record_id = :r"), {"r": lead["id"]})
    dispatch = event_dispatcher(config)
    for envelope in shuffled * 2:
        dispatch("leads", envelope["type"], {**envelope, "id": new_id()})

    def settled() -> list[dict[str, Any]] | None:
        again = [{k: e[k] for k in keep} for e in trail(audit, lead["id"])]
        return again if again == [{k: e[k] for k in keep} for e in before] else None

    wait_for(settled, what="the same trail from events handled at once")
    assert after[0]["changes"] == {"phone": ["+79011112233", "+79021112233"]}
    assert after[1]["changes"] == {"notes": [None, "call back"], "phone": [None, "+79011112233"]}
    assert all(e["source"] == "api" for e in after)


def test_a_record_first_seen_on_a_change_says_its_old_values_are_unknown(audit):
    record_id = new_id()
    state = {"id": record_id, "contact_name": "X", "phone": "1", "version": 5, "team_id": None}
    envelope = {
        "id": new_id(),
        "type": "lead_updated",
        "occurred_at": "2026-12-07T10:00:00Z",
        "actor": {"id": "00000000-0000-0000-0000-000000000017", "email": "processes@osprey.local"},
        "source": "leads",
        "data": {**state, "changed_fields": ["phone"]},
    }
    call(audit, "handle_leads_lead_updated", envelope)
    (entry,) = trail(audit, record_id)
    assert entry["old_known"] is False
    assert entry["changes"] == {"phone": [None, "1"]}
    assert entry["source"] == "process"


def test_retention_deletes_old_entries_but_keeps_a_live_records_last_state(audit, db_engine):
    old, live = new_id(), new_id()
    for record_id, versions in ((old, (1, 2)), (live, (1, 2))):
        for version in versions:
            call(
                audit,
                "handle_leads_lead_updated" if version > 1 else "handle_leads_lead_created",
                {
                    "id": new_id(),
                    "type": "lead_updated" if version > 1 else "lead_created",
                    "occurred_at": f"2020-01-0{version}T00:00:00Z",
                    "actor": None,
                    "source": "leads",
                    "data": {"id": record_id, "contact_name": f"v{version}", "version": version},
                },
            )
    call(
        audit,
        "handle_leads_lead_deleted",
        {
            "id": new_id(),
            "type": "lead_deleted",
            "occurred_at": "2020-01-03T00:00:00Z",
            "actor": None,
            "source": "leads",
            "data": {"id": old, "contact_name": "v2", "version": 2},
        },
    )
    assert call(audit, "prune_audit_entries", 30) == 4
    assert trail(audit, old) == []
    (last,) = trail(audit, live)
    assert last["version"] == 2 and last["source"] == "system"


def test_bad_filters_are_named(audit):
    with pytest.raises(ValidationFailed) as caught:
        call(
            audit,
            "list_audit_entries",
            {"entity": "planet", "record_id": "x", "from": "yesterday", "limit": 0, "colour": 1},
            actor=ADMIN,
        )
    fields = {e["field"] for e in caught.value.errors}
    assert fields == {"entity", "record_id", "from", "limit", "colour"}


def test_imported_leads_say_so(audit, leads):
    report = call(leads, "import_leads", [{"contact_name": "Imported One"}], actor=ANN)
    lead_id = report["rows"][0]["lead_id"]
    (entry,) = wait_for(lambda: trail(audit, lead_id), what="the imported lead's entry")
    assert entry["action"] == "created" and entry["source"] == "import"
    assert entry["actor"]["id"] == ANN["id"]


def test_a_merge_ends_the_merged_leads_and_changes_the_kept_one(audit, leads):
    kept = call(leads, "create_lead", {"contact_name": "Kept", "email": "k@ex.test"}, actor=ANN)
    other = call(leads, "create_lead", {"contact_name": "Kept", "phone": "+79041112233"}, actor=ANN)
    call(leads, "merge_leads", kept["id"], [other["id"]], actor=ANN)
    merged = wait_for(
        lambda: (t := trail(audit, other["id"])) and t[0]["action"] == "merged" and t,
        what="the merged lead's end",
    )
    assert merged[0]["changes"] == {"merged_into": [None, kept["id"]]}
    changed = wait_for(
        lambda: (t := trail(audit, kept["id"])) and len(t) == 2 and t,
        what="the kept lead's change",
    )
    assert changed[0]["changes"]["phone"] == [None, "+79041112233"]


def test_users_are_for_administrators_only_and_a_password_shows_no_value(audit):
    user_id = new_id()
    user = {"id": user_id, "email": "u@x.io", "full_name": "U", "team_id": ANN["team_id"]}
    for at, kind, data in (
        ("2026-12-07T10:00:00Z", "user_created", user),
        ("2026-12-07T10:00:01Z", "user_updated", {**user, "changed_fields": ["password"]}),
    ):
        envelope = {
            "id": new_id(),
            "type": kind,
            "occurred_at": at,
            "actor": {"id": ADMIN["id"], "email": ADMIN["email"], "via": "web"},
            "source": "identity",
            "data": data,
        }
        call(audit, f"handle_identity_{kind}", envelope)
    items = call(audit, "list_record_audit", "user", user_id, {}, actor=ADMIN)["items"]
    assert [e["action"] for e in items] == ["updated", "created"]
    assert items[0]["changes"] == {"password": [None, None]}
    assert items[0]["version"] is None
    assert call(audit, "list_record_audit", "user", user_id, {}, actor=ANN)["items"] == []


def test_a_stage_change_and_its_action_make_one_entry_named_for_the_action(audit, leads):
    lead = call(leads, "create_lead", {"contact_name": "Nope"}, actor=ANN)
    call(leads, "disqualify_lead", lead["id"], "no_budget", actor=ANN)
    entries = wait_for(
        lambda: (t := trail(audit, lead["id"])) and len(t) == 2 and t,
        what="the disqualification's entry",
    )
    disqualified = entries[0]
    assert disqualified["changes"]["stage"] == ["qualification", "disqualified"]
    assert disqualified["changes"]["disqualification_reason"] == [None, "no_budget"]
    wait_for(
        lambda: trail(audit, lead["id"])[0]["event"] == "lead_disqualified",
        what="the entry named for the action",
    )


def test_a_role_made_renamed_and_deleted_is_kept_for_administrators(audit):
    role_id = new_id()
    role = {"id": role_id, "name": "Field sales", "permissions": ["leads.read"]}
    for at, kind, data in (
        ("2026-12-07T11:00:00Z", "role_created", {**role, "based_on": None}),
        ("2026-12-07T11:00:01Z", "role_updated", {**role, "name": "Key accounts",
                                                   "changed_fields": ["name"]}),
        ("2026-12-07T11:00:02Z", "role_deleted", {**role, "name": "Key accounts"}),
    ):  # fmt: skip
        envelope = {
            "id": new_id(),
            "type": kind,
            "occurred_at": at,
            "actor": {"id": ADMIN["id"], "email": ADMIN["email"], "via": "web"},
            "source": "identity",
            "data": data,
        }
        call(audit, f"handle_identity_{kind}", envelope)
    items = call(audit, "list_record_audit", "role", role_id, {}, actor=ADMIN)["items"]
    assert [e["action"] for e in items] == ["deleted", "updated", "created"]
    assert items[1]["changes"] == {"name": ["Field sales", "Key accounts"]}
    assert items[2]["actor"]["email"] == ADMIN["email"] and items[2]["source"] == "web"
    assert call(audit, "list_record_audit", "role", role_id, {}, actor=ANN)["items"] == []

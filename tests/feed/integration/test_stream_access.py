"""The live stream by a record's shares as they are when an item is handed on, not as they
were when it was stored (docs/architecture.md, "Live updates"): a share made or taken
back writes a ``record_access_changed`` item for whoever gained or lost the record;
the replay and the hub's range reads give a record's earlier items by its shares now."""

from __future__ import annotations

from typing import Any

from services.platform.ids import new_id

from .conftest import ABE, ANN, BOB, TEAM_B, call, event

ACCESS = "record_access_changed"


def replayed(feed: Any, actor: dict[str, Any]) -> list[dict[str, Any]]:
    return call(feed, "stream_items", actor=actor, after_seq=0, limit=500)


def kinds(items: list[dict[str, Any]], post_id: str) -> list[str]:
    """The item types about the post or the record's access, in seq order."""
    return [i["type"] for i in items if i["type"] == ACCESS or i["data"].get("id") == post_id]


def test_a_share_made_or_taken_back_after_a_post_changes_who_gets_its_item(feed) -> None:
    lead = {"id": new_id(), "contact_name": "Lead", "owner_id": ANN["id"]}
    lead["team_id"] = ANN["team_id"]
    call(feed, "handle_lead_created", event("lead_created", lead))
    post = call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "hi"},
        actor=ANN,
    )
    assert kinds(replayed(feed, BOB), post["id"]) == []
    to_bob = {"id": new_id(), "lead_id": lead["id"], "user_id": BOB["id"], "access": "read"}
    call(feed, "handle_lead_shared", event("lead_shared", to_bob))

    # Bob is told his access changed, and the post stored before the share is his now
    items = replayed(feed, BOB)
    assert kinds(items, post["id"]) == ["post_created", ACCESS]
    change = next(i for i in items if i["type"] == ACCESS)
    assert change["data"] == {"record": {"type": "lead", "id": lead["id"]}}
    assert change["audience"]["record"]["shared_user_ids"] == [BOB["id"]]
    assert change["audience"]["before"] == {"shared_user_ids": [], "shared_team_ids": []}
    # Ann's access did not change: no such item for her
    assert kinds(replayed(feed, ANN), post["id"]) == ["post_created"]
    # the hub's range read carries the shares as they are now
    ranged = call(feed, "stream_range", 1, change["seq"])
    stored = next(i for i in ranged if i["data"].get("id") == post["id"])
    assert stored["audience"]["record"]["shared_user_ids"] == [BOB["id"]]

    # taken back (twice), and a late "shared" of the same share: one more change only
    gone = event("lead_unshared", to_bob)
    call(feed, "handle_lead_unshared", gone)
    call(feed, "handle_lead_unshared", event("lead_unshared", to_bob))
    call(feed, "handle_lead_shared", event("lead_shared", to_bob))
    assert kinds(replayed(feed, BOB), post["id"]) == [ACCESS, ACCESS]
    ranged = call(feed, "stream_range", 1, 1000)
    stored = next(i for i in ranged if i["data"].get("id") == post["id"])
    assert "shared_user_ids" not in stored["audience"]["record"]
    # a share with Bob's team: he is told again and reads the post
    team = {"id": new_id(), "lead_id": lead["id"], "team_id": TEAM_B, "access": "edit"}
    call(feed, "handle_lead_shared", event("lead_shared", team))
    assert kinds(replayed(feed, BOB), post["id"]) == ["post_created", ACCESS, ACCESS, ACCESS]
    # a second share of the same team changes nobody's access: no item
    again = {"id": new_id(), "lead_id": lead["id"], "team_id": TEAM_B, "access": "read"}
    call(feed, "handle_lead_shared", event("lead_shared", again))
    assert len([i for i in ranged_all(feed) if i["type"] == ACCESS]) == 3


def ranged_all(feed: Any) -> list[dict[str, Any]]:
    return call(feed, "stream_range", 1, 1000)


def about(items: list[dict[str, Any]], record_id: str, post_id: str) -> list[str]:
    """The item types about the post, or the record's access, in seq order."""
    return [
        i["type"]
        for i in items
        if i["data"].get("id") == post_id
        or (i["type"] == ACCESS and i["data"]["record"]["id"] == record_id)
    ]


def test_a_record_given_to_another_owner_and_team_changes_who_gets_its_items(feed) -> None:
    lead = {"id": new_id(), "contact_name": "Lead", "owner_id": ANN["id"]}
    lead["team_id"] = ANN["team_id"]
    call(feed, "handle_lead_created", event("lead_created", lead))
    post = call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "hi"},
        actor=ANN,
    )
    assert about(replayed(feed, ABE), lead["id"], post["id"]) == ["post_created"]  # her team
    assert about(replayed(feed, BOB), lead["id"], post["id"]) == []
    # a change of another field: nobody's access changes, no item
    phone = event("lead_updated", {**lead, "phone": "+491", "changed_fields": ["phone"]})
    call(feed, "handle_lead_updated", phone)
    assert [i for i in ranged_all(feed) if i["type"] == ACCESS] == []

    # given to Bob and his team: Ann and Abe are told and lose the post, Bob is told
    # and reads it — the replay reads it by the lead's owner and team now
    to_bob = {**lead, "owner_id": BOB["id"], "team_id": TEAM_B}
    moved = event("lead_updated", {**to_bob, "changed_fields": ["owner_id", "team_id"]})
    call(feed, "handle_lead_updated", moved)
    call(feed, "handle_lead_updated", moved)  # delivered twice: one item
    for loser in (ANN, ABE):
        assert about(replayed(feed, loser), lead["id"], post["id"]) == [ACCESS]
    bob = replayed(feed, BOB)
    assert about(bob, lead["id"], post["id"]) == ["post_created", ACCESS]
    change = next(i for i in bob if i["type"] == ACCESS)
    assert change["data"] == {"record": {"type": "lead", "id": lead["id"]}, "reassigned": True}
    record, before = change["audience"]["record"], change["audience"]["before"]
    assert (record["owner_id"], record["team_id"]) == (BOB["id"], TEAM_B)
    assert before == {
        "shared_user_ids": [],
        "shared_team_ids": [],
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    # the hub's range read carries the owner and team as they are now
    stored = next(i for i in ranged_all(feed) if i["data"].get("id") == post["id"])
    assert (stored["audience"]["record"]["owner_id"], stored["audience"]["record"]["team_id"]) == (
        BOB["id"],
        TEAM_B,
    )
    # an event that repeats the owner and team it has changes nothing
    again = event("lead_updated", {**to_bob, "changed_fields": ["owner_id"]})
    call(feed, "handle_lead_updated", again)
    assert len([i for i in ranged_all(feed) if i["type"] == ACCESS]) == 1

    # the owner alone back to Ann (the team stays Bob's): Ann gains it, Bob keeps it by
    # his team, Abe stays without it
    back = {**to_bob, "owner_id": ANN["id"], "changed_fields": ["owner_id"]}
    call(feed, "handle_lead_updated", event("lead_updated", back))
    assert about(replayed(feed, ANN), lead["id"], post["id"]) == ["post_created", ACCESS, ACCESS]
    assert about(replayed(feed, BOB), lead["id"], post["id"]) == ["post_created", ACCESS]
    assert about(replayed(feed, ABE), lead["id"], post["id"]) == [ACCESS]


def test_an_order_and_an_activity_given_to_another_owner_are_told_too(feed) -> None:
    order = {"id": new_id(), "number": "SO-1", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    call(feed, "handle_order_placed", event("order_placed", order))
    moved = {**order, "owner_id": BOB["id"], "team_id": TEAM_B, "changed_fields": ["owner_id"]}
    call(feed, "handle_order_updated", event("order_updated", moved))
    activity = {
        "id": new_id(),
        "type": "task",
        "title": "Call back",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
        "related_type": None,
        "related_id": None,
    }
    call(feed, "handle_activity_created", event("activity_created", activity))
    # an activity's events carry it whole: its owner and team are compared as they come
    given = {**activity, "owner_id": BOB["id"], "team_id": TEAM_B, "changed_fields": ["owner_id"]}
    call(feed, "handle_activity_updated", event("activity_updated", given))
    changes = {i["data"]["record"]["type"]: i for i in ranged_all(feed) if i["type"] == ACCESS}
    assert set(changes) == {"order", "activity"}
    for change in changes.values():
        assert change["data"]["reassigned"] is True
        assert change["audience"]["before"]["owner_id"] == ANN["id"]
        assert change["audience"]["record"]["owner_id"] == BOB["id"]
    # Bob is told of both, Ann of both
    for person in (ANN, BOB):
        told = {i["data"]["record"]["id"] for i in replayed(feed, person) if i["type"] == ACCESS}
        assert told == {order["id"], activity["id"]}

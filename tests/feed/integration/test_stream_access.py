"""The live stream by a record's shares as they are when an item is handed on, not as they
were when it was stored (docs/architecture.md, "Live updates"): a share made or taken
back writes a ``record_access_changed`` item for whoever gained or lost the record;
the replay and the hub's range reads give a record's earlier items by its shares now."""

from __future__ import annotations

from typing import Any

from services.platform.ids import new_id

from .conftest import ANN, BOB, TEAM_B, call, event

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

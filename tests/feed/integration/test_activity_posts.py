"""Activities in the feed (services/feed/activity_refs.py): an activity made in Osprey for a
record posts when it is added and when it is completed — a post about the activity,
seen by whoever reads the activity (its entity's rights and scope, its shares, its user
participants), shown in its record's feed and the feeds of the record's followers; an
email or a synced activity posts nothing; a participant dropped reads it no more."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.errors import NotFound
from services.platform.ids import new_id

from .conftest import ABE, ADMIN, ANN, BOB, TEAM_B, call, event

ACCESS = "record_access_changed"


def deal_of(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "title": "Big deal",
        "owner_id": owner["id"],
        "team_id": owner["team_id"],
    }


def activity(deal: dict[str, Any], owner: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": "call",
        "title": "Call back",
        "status": "not_started",
        "related_type": "opportunity",
        "related_id": deal["id"],
        "participants": [],
        "source": None,
        "owner_id": owner["id"],
        "team_id": owner["team_id"],
        "version": 1,
        **more,
    }


def deal_posts(feed: Any, deal: dict[str, Any], actor: dict[str, Any]) -> list[str]:
    page = call(feed, "list_record_posts", "opportunity", deal["id"], actor=actor)
    return [p["text"] for p in page["items"]]


def replayed(feed: Any, actor: dict[str, Any]) -> list[dict[str, Any]]:
    return call(feed, "stream_items", actor=actor, after_seq=0, limit=500)


def with_rights(person: dict[str, Any], **entities: dict[str, Any]) -> dict[str, Any]:
    return {**person, "rights": entities}


def test_an_activity_posts_to_its_records_feed_for_whoever_reads_the_activity(feed) -> None:
    deal = deal_of(ANN)
    call(feed, "handle_opportunity_created", event("opportunity_created", deal))
    call(feed, "follow", {"type": "opportunity", "id": deal["id"]}, actor=ABE)
    made = activity(deal, ANN, participants=[{"type": "user", "id": BOB["id"]}])
    call(feed, "handle_activity_created", event("activity_created", made, ANN))
    done = {**made, "status": "completed", "result": "Agreed", "version": 2}
    call(feed, "handle_activity_completed", event("activity_completed", done, ANN))

    posts = ["Call **Call back** was completed.", "Call **Call back** was added."]
    assert deal_posts(feed, deal, ANN) == posts
    assert deal_posts(feed, deal, ABE) == posts  # her teammate, by the team scope
    (added, completed) = sorted(
        (p for p in call(feed, "list_feed", actor=ABE)["items"]), key=lambda p: p["created_at"]
    )  # he follows the deal: its activities' posts reach his feed
    assert (added["kind"], added["related"]) == ("system", {"type": "activity", "id": made["id"]})
    # Bob (another team) reads neither the deal nor, but for taking part, the activity
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "opportunity", deal["id"], actor=BOB)
    assert call(feed, "get_post", added["id"], actor=BOB)["id"] == added["id"]
    theirs = call(feed, "list_record_posts", "activity", made["id"], actor=BOB)["items"]
    assert [p["text"] for p in theirs] == posts
    assert {added["id"], completed["id"]} <= {i["data"].get("id") for i in replayed(feed, BOB)}
    # a role that may not read activities reads the deal's feed without them
    no_activities = with_rights(ABE, opportunities={"ops": "r", "read": "team"},
                                activities={"ops": "", "read": "all"})  # fmt: skip
    assert deal_posts(feed, deal, no_activities) == []
    with pytest.raises(NotFound):
        call(feed, "get_post", added["id"], actor=no_activities)
    # one whose role hides the activity's title reads the text without it
    blind = with_rights(ABE, opportunities={"ops": "r", "read": "team"},
                        activities={"ops": "r", "read": "team", "hidden": ["title"]})  # fmt: skip
    assert deal_posts(feed, deal, blind) == [
        "An activity was completed.",
        "An activity was added.",
    ]

    # Bob no longer takes part: he reads it no more, and is told
    dropped = {**done, "participants": [], "version": 3}
    call(feed, "handle_activity_updated", event("activity_updated", dropped, ANN))
    with pytest.raises(NotFound):
        call(feed, "get_post", added["id"], actor=BOB)
    told = [i for i in replayed(feed, BOB) if i["type"] == ACCESS]
    assert [i["data"]["record"] for i in told] == [{"type": "activity", "id": made["id"]}] * 2
    assert all(
        i["data"].get("id") not in (added["id"], completed["id"]) for i in replayed(feed, BOB)
    )
    # shared with Bob's team by sales: he reads it again (a share, not a participant)
    share = {"id": new_id(), "activity_id": made["id"], "team_id": TEAM_B, "access": "read"}
    call(feed, "handle_activity_shared", event("activity_shared", share))
    assert call(feed, "get_post", added["id"], actor=BOB)["id"] == added["id"]
    # deleted: its posts stay as private as it was
    call(feed, "handle_activity_deleted", event("activity_deleted", dropped, ANN))
    assert deal_posts(feed, deal, ABE) == posts


def test_only_activities_made_here_for_a_record_post_and_as_the_settings_say(feed) -> None:
    deal = deal_of(ANN)
    call(feed, "handle_opportunity_created", event("opportunity_created", deal))
    quiet = [
        activity(deal, ANN, type="email", title="Re: offer"),
        activity(deal, ANN, source="google", title="Synced"),
        {**activity(deal, ANN, title="No record"), "related_type": None, "related_id": None},
    ]
    for made in quiet:
        call(feed, "handle_activity_created", event("activity_created", made, ANN))
    assert deal_posts(feed, deal, ANN) == []
    call(feed, "set_system_post_setting", "activity_created", {"enabled": False}, actor=ADMIN)
    made = activity(deal, ANN, type="meeting", title="Kick-off")
    call(feed, "handle_activity_created", event("activity_created", made, ANN))
    assert deal_posts(feed, deal, ANN) == []
    call(feed, "handle_activity_completed", event("activity_completed", made, ABE))
    assert deal_posts(feed, deal, ANN) == ["Meeting **Kick-off** was completed."]
    # the owner is told when somebody else completes it
    notes = call(feed, "list_notifications", {}, actor=ANN)["items"]
    assert [(n["kind"], n["related"]) for n in notes] == [
        ("system", {"type": "activity", "id": made["id"]})
    ]
    settings = {
        s["event_type"]: s["enabled"]
        for s in call(feed, "list_system_post_settings", actor=ADMIN)["items"]
    }
    assert (settings["activity_created"], settings["activity_completed"]) == (False, True)

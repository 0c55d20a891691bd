"""The feed's people directory follows identity's teams: a renamed team is mentioned by
its new handle, a deleted one is offered no more."""

from __future__ import annotations

from .conftest import ANN, TEAM_A, call, event


def team_handles(feed, q: str) -> list[str]:
    found = call(feed, "suggest_mentions", q, actor=ANN)["items"]
    return [item["handle"] for item in found if item["type"] == "team"]


def test_a_renamed_team_is_mentioned_by_its_new_name_and_a_deleted_one_not_at_all(feed):
    assert team_handles(feed, "team") != []
    renamed = {"id": TEAM_A, "name": "Northern Stars", "manager_id": None}
    call(feed, "handle_team_updated", event("team_updated", renamed))
    found = team_handles(feed, "north")
    assert len(found) == 1 and found[0].startswith("north")
    call(feed, "handle_team_deleted", event("team_deleted", renamed))
    assert team_handles(feed, "north") == []

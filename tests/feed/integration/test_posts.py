"""Channels, posts, comments and likes over RPC: who sees what, who is notified."""

from __future__ import annotations

import pytest

from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import ABE, ADMIN, ANN, BOB, call, event, stream


def test_private_channel_posts_reach_members_only(feed, db_engine) -> None:
    secret = call(
        feed,
        "create_channel",
        {"name": "Deal room", "is_private": True, "member_ids": [ABE["id"]]},
        actor=ANN,
    )
    public = call(feed, "create_channel", {"name": "General"}, actor=ANN)
    post = call(feed, "create_post", {"channel_id": secret["id"], "text": "secret plan"}, actor=ANN)
    call(feed, "create_post", {"channel_id": public["id"], "text": "hello all"}, actor=ANN)
    call(feed, "follow", {"type": "channel", "id": public["id"]}, actor=BOB)

    # Bob is no member: not the channel, not its posts, not in his feed or lists.
    assert [c["name"] for c in call(feed, "list_channels", actor=BOB)["items"]] == ["General"]
    with pytest.raises(NotFound):
        call(feed, "get_channel", secret["id"], actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "get_post", post["id"], actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "list_channel_posts", secret["id"], actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "create_post", {"channel_id": secret["id"], "text": "let me in"}, actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "add_comment", post["id"], {"text": "hi"}, actor=BOB)
    assert [p["text"] for p in call(feed, "list_feed", actor=BOB)["items"]] == ["hello all"]
    # Even a mention does not show the post to an outsider, nor notify him.
    call(feed, "update_post", post["id"], {"text": "secret plan @bob"}, actor=ANN)
    assert call(feed, "unread_count", actor=BOB) == {"count": 0}
    assert [p["text"] for p in call(feed, "list_feed", actor=BOB)["items"]] == ["hello all"]

    # Abe is a member: he sees it.
    assert call(feed, "get_post", post["id"], actor=ABE)["text"] == "secret plan @bob"
    channel_posts = call(feed, "list_channel_posts", secret["id"], actor=ABE)["items"]
    assert [p["id"] for p in channel_posts] == [post["id"]]

    # The stream items say so too.
    from services.feed.domain import audience_includes

    items = [i for i in stream(db_engine) if i.type == "post_created"]
    secret_item = next(i for i in items if i.data["id"] == post["id"])
    assert audience_includes(secret_item.audience, ABE)
    assert not audience_includes(secret_item.audience, BOB)
    assert call(feed, "stream_items", actor=BOB, after_seq=0, limit=100)
    assert all(
        i["data"].get("id") != post["id"]
        for i in call(feed, "stream_items", actor=BOB, after_seq=0)
    )


def test_record_posts_follow_the_records_rights(feed) -> None:
    deal = {"id": new_id(), "name": "Big deal", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    call(feed, "handle_opportunity_created", event("opportunity_created", deal))
    related = {"type": "opportunity", "id": deal["id"]}
    post = call(feed, "create_post", {"related": related, "text": "call them"}, actor=ABE)
    assert call(feed, "get_post", post["id"], actor=ANN)["related"] == related
    with pytest.raises(NotFound):
        call(feed, "get_post", post["id"], actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "opportunity", deal["id"], actor=BOB)
    with pytest.raises(NotFound):
        call(feed, "create_post", {"related": related, "text": "x"}, actor=BOB)
    assert call(feed, "get_post", post["id"], actor=ADMIN)["id"] == post["id"]
    # The owner follows it by default: the post is in her feed.
    assert [p["id"] for p in call(feed, "list_feed", actor=ANN)["items"]] == [post["id"]]
    # A record the feed has never heard of is shared.
    unknown = {"type": "lead", "id": new_id()}
    other = call(feed, "create_post", {"related": unknown, "text": "who owns this?"}, actor=ABE)
    assert call(feed, "get_post", other["id"], actor=BOB)["id"] == other["id"]
    # ...until its event arrives: then it follows the lead's rights.
    lead = {
        "id": unknown["id"],
        "full_name": "Lee",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    call(feed, "handle_lead_created", event("lead_created", lead))
    with pytest.raises(NotFound):
        call(feed, "get_post", other["id"], actor=BOB)


def test_mentions_comments_and_likes_notify(feed) -> None:
    channel = call(feed, "create_channel", {"name": "News"}, actor=ANN)
    post = call(
        feed,
        "create_post",
        {"channel_id": channel["id"], "text": "Hi @abe and @team-b, me @ann"},
        actor=ANN,
    )
    assert [m["handle"] for m in post["mentions"]] == ["abe", "team-b", "ann"]
    assert 'class="mention"' in post["html"] and f'data-user-id="{ABE["id"]}"' in post["html"]
    # Abe by name, Bob as a member of team B; never Ann herself.
    assert call(feed, "unread_count", actor=ABE) == {"count": 1}
    assert call(feed, "unread_count", actor=BOB) == {"count": 1}
    assert call(feed, "unread_count", actor=ANN) == {"count": 0}
    note = call(feed, "list_notifications", actor=ABE)["items"][0]
    assert note["kind"] == "mention" and note["post_id"] == post["id"]
    assert note["actor_id"] == ANN["id"]
    # Mentioned posts are in the mentioned user's feed.
    assert post["id"] in [p["id"] for p in call(feed, "list_feed", actor=ABE)["items"]]

    call(feed, "add_comment", post["id"], {"text": "thanks"}, actor=ABE)
    liked = call(feed, "like_post", post["id"], actor=BOB)
    again = call(feed, "like_post", post["id"], actor=BOB)
    assert liked["like_count"] == again["like_count"] == 1
    call(feed, "like_post", post["id"], actor=ANN)  # her own: no notification
    kinds = [n["kind"] for n in call(feed, "list_notifications", actor=ANN)["items"]]
    assert kinds == ["like", "comment"]
    assert call(feed, "get_post", post["id"], actor=ABE)["comment_count"] == 1
    assert call(feed, "get_post", post["id"], actor=BOB)["liked_by_me"] is True
    assert call(feed, "unlike_post", post["id"], actor=BOB)["like_count"] == 1

    unread = call(feed, "list_notifications", {"unread": True}, actor=ANN)["items"]
    read = call(feed, "mark_notification_read", unread[0]["id"], actor=ANN)
    assert read["read_at"] is not None
    assert call(feed, "unread_count", actor=ANN) == {"count": 1}
    with pytest.raises(NotFound):
        call(feed, "mark_notification_read", unread[1]["id"], actor=BOB)
    assert call(feed, "mark_all_notifications_read", actor=ANN) == {"count": 1}
    assert call(feed, "unread_count", actor=ANN) == {"count": 0}


def test_only_the_author_edits_and_admins_pin(feed) -> None:
    channel = call(feed, "create_channel", {"name": "Ops"}, actor=ANN)
    first = call(feed, "create_post", {"channel_id": channel["id"], "text": "one"}, actor=ABE)
    second = call(feed, "create_post", {"channel_id": channel["id"], "text": "two"}, actor=ABE)
    with pytest.raises(PermissionDenied):
        call(feed, "update_post", first["id"], {"text": "hacked"}, actor=BOB)
    with pytest.raises(PermissionDenied):
        call(feed, "pin_post", first["id"], actor=ABE)
    with pytest.raises(ValidationFailed):
        call(feed, "update_post", first["id"], {"text": "  "}, actor=ABE)
    edited = call(feed, "update_post", first["id"], {"text": "one!"}, actor=ABE)
    assert edited["edited_at"] and edited["version"] == 2
    assert call(feed, "pin_post", first["id"], actor=ANN)["is_pinned"] is True
    listed = call(feed, "list_channel_posts", channel["id"], {"limit": 1}, actor=BOB)
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    rest = call(
        feed, "list_channel_posts", channel["id"], {"cursor": listed["next_cursor"]}, actor=BOB
    )
    assert [p["id"] for p in rest["items"]] == [second["id"]]
    with pytest.raises(PermissionDenied):
        call(feed, "delete_post", second["id"], actor=BOB)
    call(feed, "delete_post", second["id"], actor=ANN)  # the channel's admin
    with pytest.raises(NotFound):
        call(feed, "get_post", second["id"], actor=ABE)


def test_unknown_handles_are_looked_up_in_identity(feed, container_factory, service_config) -> None:
    """A user made before the feed ran (no event seen) is found through identity's lists."""
    from nameko.rpc import rpc

    late = {"id": new_id(), "email": "Late.Comer@osprey.test", "full_name": "Late Comer"}

    class FakeIdentity:
        name = "identity"

        @rpc
        def list_teams(self, actor):
            return []

        @rpc
        def list_users(self, query, actor):
            return {"items": [{**late, "team_id": None, "is_active": True}], "next_cursor": None}

    identity = container_factory(FakeIdentity, service_config)
    identity.start()
    import services.feed.directory as base

    base._last_directory_sync = 0.0
    channel = call(feed, "create_channel", {"name": "Late"}, actor=ANN)
    post = call(
        feed, "create_post", {"channel_id": channel["id"], "text": "hi @late.comer"}, actor=ANN
    )
    assert post["mentions"] == [{"type": "user", "id": late["id"], "handle": "late.comer"}]
    assert call(feed, "unread_count", actor={"id": late["id"], "roles": []}) == {"count": 1}

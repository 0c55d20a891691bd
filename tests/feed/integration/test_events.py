"""What the feed makes of other services' events: follows, visibility, system posts."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import ABE, ADMIN, ANN, BOB, call, event


def follows(feed, person) -> set[tuple[str, str]]:
    return {
        (s["target"]["type"], s["target"]["id"])
        for s in call(feed, "list_subscriptions", actor=person)["items"]
    }


def test_owners_follow_their_records_by_default(feed) -> None:
    lead = {"id": new_id(), "full_name": "Lee", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    call(feed, "handle_lead_created", event("lead_created", lead))
    assert ("lead", lead["id"]) in follows(feed, ANN)
    # Reassigned: the new owner follows it too (and is told).
    assigned = {
        **lead,
        "owner_id": BOB["id"],
        "team_id": BOB["team_id"],
        "changed_fields": ["owner_id"],
    }
    call(feed, "handle_lead_assigned", event("lead_assigned", assigned, actor=ADMIN))
    assert ("lead", lead["id"]) in follows(feed, BOB)
    notes = call(feed, "list_notifications", actor=BOB)["items"]
    assert [n["kind"] for n in notes] == ["assignment"]
    assert notes[0]["related"] == {"type": "lead", "id": lead["id"]}
    # Ann may no longer read the lead: its posts left her sight.
    posts = call(feed, "list_record_posts", "lead", lead["id"], actor=BOB)["items"]
    assert [p["kind"] for p in posts] == ["system"]
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "lead", lead["id"], actor=ANN)
    for record_type, handler in (
        ("opportunity", "handle_opportunity_created"),
        ("account", "handle_account_created"),
        ("contact", "handle_contact_created"),
        ("order", "handle_order_placed"),
    ):
        record = {"id": new_id(), "name": "X", "owner_id": ABE["id"], "team_id": ABE["team_id"]}
        call(feed, handler, event(f"{record_type}_created", record))
        assert (record_type, record["id"]) in follows(feed, ABE)


def test_a_redelivered_record_event_does_not_follow_again(feed, db_engine) -> None:
    """A record event's ref, follow and claim are one statement: delivered again after
    the owner unfollowed, it changes nothing; a later event without a title keeps it."""
    lead = {"id": new_id(), "full_name": "Lia", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    created = event("lead_created", lead)
    call(feed, "handle_lead_created", created)
    mine = [
        s
        for s in call(feed, "list_subscriptions", actor=ANN)["items"]
        if s["target"]["id"] == lead["id"]
    ]
    call(feed, "unfollow", mine[0]["id"], actor=ANN)
    call(feed, "handle_lead_created", created)  # redelivered
    assert ("lead", lead["id"]) not in follows(feed, ANN)
    with db_engine.connect() as conn:
        claims = conn.execute(
            sa.text("SELECT count(*) FROM feed.processed_events WHERE event_id = :e"),
            {"e": created["id"]},
        ).scalar()
    assert claims == 1
    # a change that carries no owner and no title keeps both
    call(feed, "handle_lead_updated", event("lead_updated", {"id": lead["id"], "stage": "x"}))
    with db_engine.connect() as conn:
        ref = conn.execute(
            sa.text("SELECT owner_id, title FROM feed.record_refs WHERE id = :i"),
            {"i": lead["id"]},
        ).one()
    assert ref.owner_id == ANN["id"] and ref.title


def test_a_redelivered_event_posts_once(feed, db_engine) -> None:
    order = {
        "id": new_id(),
        "number": "SO-2026-0001",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    shipped = event(
        "order_status_changed", {"order": order, "from": "in_progress", "to": "shipped"}
    )
    call(feed, "handle_order_status_changed", shipped)
    call(feed, "handle_order_status_changed", shipped)  # redelivered
    # ...and even past the inbox (a handler claim lost), the event id is unique on posts.
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM feed.processed_events"))
    call(feed, "handle_order_status_changed", shipped)
    posts = call(feed, "list_record_posts", "order", order["id"], actor=ANN)["items"]
    assert len(posts) == 1
    post = posts[0]
    assert post["kind"] == "system" and post["event_type"] == "order_status_changed"
    assert post["author_id"] is None and "SO-2026-0001" in post["text"]
    assert post["related"] == {"type": "order", "id": order["id"]}
    assert [n["kind"] for n in call(feed, "list_notifications", actor=ANN)["items"]] == ["system"]
    # Another status is no system post.
    confirmed = event("order_status_changed", {"order": order, "from": "draft", "to": "confirmed"})
    call(feed, "handle_order_status_changed", confirmed)
    assert len(call(feed, "list_record_posts", "order", order["id"], actor=ANN)["items"]) == 1
    # The post reaches the owner's feed (she follows her order) and not another team's rep.
    assert post["id"] in [p["id"] for p in call(feed, "list_feed", actor=ANN)["items"]]
    with pytest.raises(NotFound):
        call(feed, "get_post", post["id"], actor=BOB)


def test_system_posts_follow_their_settings(feed) -> None:
    settings = call(feed, "list_system_post_settings", actor=ANN)["items"]
    assert {s["event_type"] for s in settings} == {
        "lead_assigned",
        "opportunity_stage_changed",
        "opportunity_won",
        "order_status_changed",
        "invoice_overdue",
        "activity_created",
        "activity_completed",
    }
    with pytest.raises(PermissionDenied):
        call(feed, "set_system_post_setting", "opportunity_won", {"enabled": False}, actor=ANN)
    with pytest.raises(ValidationFailed):
        call(feed, "set_system_post_setting", "opportunity_won", {"enabled": "no"}, actor=ADMIN)
    wins = call(feed, "create_channel", {"name": "Wins"}, actor=ADMIN)
    call(
        feed,
        "set_system_post_setting",
        "opportunity_won",
        {"enabled": True, "channel_id": wins["id"]},
        actor=ADMIN,
    )
    call(feed, "set_system_post_setting", "invoice_overdue", {"enabled": False}, actor=ADMIN)
    deal = {
        "id": new_id(),
        "name": "Acme",
        "amount": "100.00",
        "currency": "EUR",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    call(feed, "handle_opportunity_won", event("opportunity_won", deal))
    on_deal = call(feed, "list_record_posts", "opportunity", deal["id"], actor=ANN)["items"]
    assert len(on_deal) == 1 and "Acme" in on_deal[0]["html"]
    in_channel = call(feed, "list_channel_posts", wins["id"], actor=BOB)["items"]
    assert len(in_channel) == 1 and f"/opportunities/{deal['id']}" in in_channel[0]["text"]
    invoice = {"id": new_id(), "number": "INV-1", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    call(feed, "handle_invoice_overdue", event("invoice_overdue", invoice))
    assert call(feed, "list_record_posts", "invoice", invoice["id"], actor=ANN)["items"] == []


def test_stream_items_are_gap_free_under_concurrency(feed, db_engine, service_config) -> None:
    import eventlet
    from nameko.standalone.rpc import ClusterRpcProxy

    channel = call(feed, "create_channel", {"name": "Busy"}, actor=ANN)
    posted: list[str] = []

    def post(n: int) -> None:
        with ClusterRpcProxy(service_config, timeout=30) as cluster:
            for k in range(6):
                text = f"post {n}.{k}"
                cluster.feed.create_post({"channel_id": channel["id"], "text": text}, actor=ANN)
                posted.append(text)

    pool = eventlet.GreenPool(10)
    for n in range(10):
        pool.spawn(post, n)
    pool.waitall()
    assert len(posted) == 60  # every writer got its answer
    with db_engine.connect() as conn:
        seqs = list(
            conn.execute(sa.text("SELECT seq FROM feed.stream_items ORDER BY seq")).scalars()
        )
        added = (
            conn.execute(
                sa.text(
                    "SELECT (envelope->'data'->>'seq')::bigint FROM feed.outbox "
                    "WHERE type = 'stream_item_added' ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 60
    assert added == seqs  # each item announced once, in the same transaction
    # The RPCs read them back: all of them in a range, and what an actor may see after a seq.
    assert [i["seq"] for i in call(feed, "stream_range", 1, len(seqs))] == seqs
    after = call(feed, "stream_items", actor=BOB, after_seq=10, limit=5)
    assert [i["seq"] for i in after] == [11, 12, 13, 14, 15]
    assert after[0]["type"] == "post_created" and after[0]["audience"] == {"kind": "all"}


def test_files_rpc_checks_size_and_readers(feed, monkeypatch) -> None:
    stored = call(
        feed, "upload_file", "a.txt", "text/plain", base64.b64encode(b"abc").decode(), actor=ANN
    )
    assert stored["size"] == 3 and len(stored["sha256"]) == 64
    assert base64.b64decode(call(feed, "get_file", stored["id"], actor=ANN)["content"]) == b"abc"
    with pytest.raises(NotFound):
        call(feed, "get_file", stored["id"], actor=BOB)
    with pytest.raises(ValidationFailed):
        call(
            feed,
            "create_post",
            {
                "related": {"type": "lead", "id": new_id()},
                "text": "x",
                "attachment_ids": [stored["id"]],
            },
            actor=BOB,
        )
    monkeypatch.setenv("OSPREY_FILE_MAX_BYTES", "2")
    with pytest.raises(ValidationFailed):
        call(
            feed, "upload_file", "b.txt", "text/plain", base64.b64encode(b"abc").decode(), actor=ANN
        )


def test_old_stream_items_are_pruned(feed, db_engine) -> None:
    channel = call(feed, "create_channel", {"name": "Old"}, actor=ANN)
    call(feed, "create_post", {"channel_id": channel["id"], "text": "old"}, actor=ANN)
    call(feed, "create_post", {"channel_id": channel["id"], "text": "new"}, actor=ANN)
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE feed.stream_items SET occurred_at = now() - interval '8 days' WHERE seq = 1"
            )
        )
    assert call(feed, "prune_stream_items") == 1
    assert [i["seq"] for i in call(feed, "stream_range", 1, 10)] == [2]
    # The counter goes on from where it was: no seq is ever given twice.
    call(feed, "create_post", {"channel_id": channel["id"], "text": "newer"}, actor=ANN)
    assert [i["seq"] for i in call(feed, "stream_range", 1, 10)] == [2, 3]
    assert call(feed, "last_stream_seq") == 3


def test_channel_admins_change_channels_and_people_follow_them(feed) -> None:
    channel = call(feed, "create_channel", {"name": "Team room"}, actor=ANN)
    with pytest.raises(PermissionDenied):
        call(feed, "update_channel", channel["id"], {"name": "Mine"}, actor=BOB)
    with pytest.raises(Conflict):
        call(feed, "create_channel", {"name": "team ROOM"}, actor=BOB)
    with pytest.raises(Conflict):
        call(feed, "update_channel", channel["id"], {"name": "x"}, actor=ANN, expected_version=7)
    made_private = call(
        feed,
        "update_channel",
        channel["id"],
        {"is_private": True, "member_ids": [ABE["id"]]},
        actor=ANN,
        expected_version=1,
    )
    assert made_private["version"] == 2
    assert sorted(made_private["member_ids"]) == sorted([ANN["id"], ABE["id"]])
    with pytest.raises(NotFound):
        call(feed, "follow", {"type": "channel", "id": channel["id"]}, actor=BOB)
    first = call(feed, "follow", {"type": "channel", "id": channel["id"]}, actor=ABE)
    again = call(feed, "follow", {"type": "channel", "id": channel["id"]}, actor=ABE)
    assert first["created"] and not again["created"]
    assert first["subscription"]["id"] == again["subscription"]["id"]
    assert call(feed, "get_channel", channel["id"], actor=ABE)["is_following"] is True
    with pytest.raises(NotFound):
        call(feed, "unfollow", first["subscription"]["id"], actor=BOB)
    call(feed, "unfollow", first["subscription"]["id"], actor=ABE)
    assert call(feed, "get_channel", channel["id"], actor=ABE)["is_following"] is False
    with pytest.raises(PermissionDenied):
        call(feed, "delete_channel", channel["id"], actor=ABE)
    call(feed, "delete_channel", channel["id"], actor=ANN)
    with pytest.raises(NotFound):
        call(feed, "get_channel", channel["id"], actor=ANN)


def test_a_deleted_records_posts_stay_as_private_as_it_was(feed) -> None:
    deal = {"id": new_id(), "title": "Gone", "owner_id": ANN["id"], "team_id": ANN["team_id"]}
    call(feed, "handle_opportunity_created", event("opportunity_created", deal))
    post = call(
        feed,
        "create_post",
        {"related": {"type": "opportunity", "id": deal["id"]}, "text": "note"},
        actor=ANN,
    )
    call(feed, "handle_opportunity_deleted", event("opportunity_deleted", deal))
    with pytest.raises(NotFound):
        call(feed, "get_post", post["id"], actor=BOB)
    assert call(feed, "get_post", post["id"], actor=ABE)["id"] == post["id"]

"""The feed by the records' shares and the roles' hidden fields (docs/architecture.md,
"Access rights"): a record shared with a user or a team shows them its posts — in the
record's feed, a post by id, their feed, following it, posting on it and the stream
replay — until the share is taken back; a system post's text names its record's fields
and a reader whose role hides any of them reads it without them; a mention notifies by
the mentioned user's role, which the real identity service tells."""

from __future__ import annotations

from typing import Any

import pytest

from services.identity.service import IdentityService
from services.platform.errors import NotFound
from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, TEAM_B, call, event


def with_rights(person: dict[str, Any], **entities: dict[str, Any]) -> dict[str, Any]:
    return {**person, "rights": entities}


def feed_ids(feed: Any, actor: dict[str, Any]) -> set[str]:
    return {p["id"] for p in call(feed, "list_feed", actor=actor)["items"]}


def replayed(feed: Any, actor: dict[str, Any]) -> list[dict[str, Any]]:
    return call(feed, "stream_items", actor=actor, after_seq=0, limit=500)


def share(record_id: str, **who: str) -> dict[str, Any]:
    return {"id": new_id(), "lead_id": record_id, "access": "read", **who}


def test_a_shared_record_shows_its_posts_until_the_share_is_taken_back(feed) -> None:
    lead = {"id": new_id(), "contact_name": "Ann's lead", "owner_id": ANN["id"]}
    lead["team_id"] = ANN["team_id"]
    call(feed, "handle_lead_created", event("lead_created", lead))
    post = call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "hi"},
        actor=ANN,
    )
    # Bob (another team) and a role reading only its own leads see none of it
    bob_own = with_rights(BOB, leads={"ops": "r", "read": "own", "write": "own"})
    for who in (BOB, bob_own):
        with pytest.raises(NotFound):
            call(feed, "get_post", post["id"], actor=who)
        assert post["id"] not in feed_ids(feed, who)
    # shared with Bob: he follows it, reads it everywhere and posts on it
    to_bob = share(lead["id"], user_id=BOB["id"])
    call(feed, "handle_lead_shared", event("lead_shared", to_bob))
    assert call(feed, "follow", {"type": "lead", "id": lead["id"]}, actor=BOB)
    for who in (BOB, bob_own):
        assert call(feed, "get_post", post["id"], actor=who)["id"] == post["id"]
        assert post["id"] in feed_ids(feed, who)
        assert [p["id"] for p in call(feed, "list_record_posts", "lead", lead["id"], actor=who)[
            "items"
        ]] == [post["id"]]  # fmt: skip
        assert any(i["data"].get("id") == post["id"] for i in replayed(feed, who))
    reply = call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "ok"},
        actor=BOB,
    )
    # the live item of a post made now names the share in its audience
    item = next(i for i in replayed(feed, ANN) if i["data"].get("id") == reply["id"])
    assert item["audience"]["record"]["shared_user_ids"] == [BOB["id"]]
    # a role that may not read leads at all still sees none, shared or not
    no_leads = with_rights(BOB, leads={"ops": "c", "read": "all"})
    with pytest.raises(NotFound):
        call(feed, "get_post", post["id"], actor=no_leads)
    assert post["id"] not in feed_ids(feed, no_leads)
    # taken back (the event twice, and a late "shared" of the same share after it)
    gone = event("lead_unshared", to_bob)
    call(feed, "handle_lead_unshared", gone)
    call(feed, "handle_lead_unshared", gone)
    call(feed, "handle_lead_shared", event("lead_shared", to_bob))
    for who in (BOB, bob_own):
        with pytest.raises(NotFound):
            call(feed, "get_post", post["id"], actor=who)
        with pytest.raises(NotFound):
            call(feed, "list_record_posts", "lead", lead["id"], actor=who)
        assert not {post["id"], reply["id"]} & feed_ids(feed, who)  # still following
        assert all(i["data"].get("id") != post["id"] for i in replayed(feed, who))
    # shared with Bob's team instead
    call(feed, "handle_lead_shared", event("lead_shared", share(lead["id"], team_id=TEAM_B)))
    assert call(feed, "get_post", post["id"], actor=bob_own)["id"] == post["id"]


def test_a_system_post_leaves_out_the_fields_the_readers_role_hides(feed) -> None:
    lead = {
        "id": new_id(),
        "contact_name": "Secret Holdings",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
    }
    call(feed, "handle_lead_assigned", event("lead_assigned", lead, ADMIN))
    (post,) = call(feed, "list_record_posts", "lead", lead["id"], actor=ANN)["items"]
    assert "Secret Holdings" in post["text"] and "Secret Holdings" in post["html"]
    blind = with_rights(
        ANN, leads={"ops": "r", "read": "team", "write": "own", "hidden": ["contact_name"]}
    )
    for seen in (
        call(feed, "get_post", post["id"], actor=blind),
        call(feed, "list_record_posts", "lead", lead["id"], actor=blind)["items"][0],
        next(p for p in call(feed, "list_feed", actor=blind)["items"] if p["id"] == post["id"]),
        next(i["data"] for i in replayed(feed, blind) if i["data"].get("id") == post["id"]),
    ):
        assert seen["text"] == "A lead was assigned."
        assert "Secret" not in seen["html"]
    # hiding another field changes nothing; the stream replays the title to others
    other = with_rights(ANN, leads={"ops": "r", "read": "team", "hidden": ["email"]})
    assert "Secret Holdings" in call(feed, "get_post", post["id"], actor=other)["text"]
    assert any(
        "Secret Holdings" in (i["data"].get("text") or "")
        for i in replayed(feed, ANN)
        if i["data"].get("id") == post["id"]
    )


@pytest.fixture
def identity(container_factory, service_config):
    config = {
        **service_config,
        "ADMIN_EMAIL": "root@osprey.test",
        "ADMIN_PASSWORD": "Kettle-violet-2291",
    }
    container = container_factory(IdentityService, config)
    container.start()
    return container


def test_a_mention_and_an_owners_notification_go_by_the_users_role(feed, identity) -> None:
    root = call(identity, "authenticate_token", call(
        identity, "login", "root@osprey.test", "Kettle-violet-2291"
    )["token"])  # fmt: skip
    team = call(identity, "create_team", {"name": "North"}, actor=root)
    roles = {r["name"]: r["id"] for r in call(identity, "list_roles", actor=root)}
    # reps read their own leads only and do not see a lead's contact name
    call(
        identity,
        "update_role_rights",
        roles["sales_rep"],
        {
            "leads": {
                "create": True,
                "read": True,
                "update": True,
                "read_scope": "own",
                "write_scope": "own",
                "hidden": ["contact_name"],
            }
        },  # fmt: skip
        actor=root,
    )
    people = {}
    for handle, role in (("rita", "sales_rep"), ("mona", "sales_manager")):
        user = call(
            identity,
            "create_user",
            {
                "email": f"{handle}@osprey.test",
                "full_name": handle.title(),
                "password": "Kettle-violet-2291",
                "role_ids": [roles[role]],
                "team_id": team["id"],
            },
            actor=root,
        )
        call(feed, "handle_user_created", event("user_created", user))
        people[handle] = user
    # a lead of their team owned by the manager: by the default rule both read it
    lead = {"id": new_id(), "contact_name": "Quiet Co", "owner_id": people["mona"]["id"]}
    lead["team_id"] = team["id"]
    call(feed, "handle_lead_created", event("lead_created", lead))
    call(
        feed,
        "create_post",
        {"related": {"type": "lead", "id": lead["id"]}, "text": "@rita @mona look"},
        actor=ADMIN,
    )

    def notes(handle: str) -> list[dict]:
        user = people[handle]
        actor = {"id": user["id"], "email": user["email"], "roles": user["roles"]}
        return call(feed, "list_notifications", {}, actor={**actor, "team_id": team["id"]})["items"]

    assert [n["kind"] for n in notes("mona")] == ["mention"]
    assert notes("rita") == []  # her role reads her own leads only
    # the owner's notification of a system post: without the field her role hides
    mine = {"id": new_id(), "contact_name": "Quiet Co", "owner_id": people["rita"]["id"]}
    call(feed, "handle_lead_assigned", event("lead_assigned", {**mine, "team_id": team["id"]}))
    (note,) = notes("rita")
    assert note["kind"] == "assignment" and note["text"] == "A lead was assigned."
    theirs = {"id": new_id(), "contact_name": "Loud Co", "owner_id": people["mona"]["id"]}
    call(feed, "handle_lead_assigned", event("lead_assigned", theirs))
    assert "Loud Co" in notes("mona")[0]["text"]

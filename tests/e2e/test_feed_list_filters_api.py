"""The feed's own lists filter as API.md's collections do (issue 20): notifications by
kind, read or not and record; channels by whether private and by a member — through the
real stack, a wrong filter a 422 naming it."""

from __future__ import annotations

import httpx

from .conftest import Login
from .test_feed_api import eventually, handle
from .test_leads_api import World, problem, word


def _ids(client: httpx.Client, path: str, **params: str) -> list[str]:
    response = client.get(path, params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_notifications_filter_by_kind_read_and_record(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    channel = ann.post("/api/v1/channels", json={"name": f"Filters {word()}"}).json()
    text = f"Look @{handle(world.rep_b1.email)}"
    post = ann.post("/api/v1/posts", json={"channel_id": channel["id"], "text": text}).json()
    mention = eventually(
        lambda: [
            n
            for n in bob.get("/api/v1/notifications", params={"filter[kind]": "mention"}).json()[
                "items"
            ]
            if n["post_id"] == post["id"]
        ]
    )[0]
    assert mention["kind"] == "mention"
    assert mention["id"] not in _ids(bob, "/api/v1/notifications", **{"filter[kind]": "like"})
    assert mention["id"] in _ids(bob, "/api/v1/notifications", **{"filter[kind]": "like,mention"})
    unread = _ids(bob, "/api/v1/notifications", **{"filter[read]": "false"})
    assert mention["id"] in unread
    assert mention["id"] not in _ids(bob, "/api/v1/notifications", **{"filter[read]": "true"})
    assert bob.post(f"/api/v1/notifications/{mention['id']}/read").status_code == 200
    assert mention["id"] in _ids(bob, "/api/v1/notifications", **{"filter[read]": "true"})
    assert mention["id"] not in _ids(bob, "/api/v1/notifications", **{"filter[read]": "false"})
    # a channel's post is about no record
    about_leads = _ids(bob, "/api/v1/notifications", **{"filter[related_type]": "lead"})
    assert mention["id"] not in about_leads

    wrong = bob.get("/api/v1/notifications", params={"filter[kind]": "shout"})
    assert "filter[kind]" in [e["field"] for e in problem(wrong, 422)["errors"]]
    wrong = bob.get("/api/v1/notifications", params={"filter[colour]": "red"})
    assert "filter[colour]" in [e["field"] for e in problem(wrong, 422)["errors"]]


def test_channels_filter_by_privacy_and_member(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    private = ann.post(
        "/api/v1/channels",
        json={"name": f"Room {word()}", "is_private": True, "member_ids": [world.rep_a2.id]},
    ).json()
    public = ann.post("/api/v1/channels", json={"name": f"Hall {word()}"}).json()

    private_ones = _ids(ann, "/api/v1/channels", **{"filter[is_private]": "true"})
    assert private["id"] in private_ones and public["id"] not in private_ones
    public_ones = _ids(ann, "/api/v1/channels", **{"filter[is_private]": "false"})
    assert public["id"] in public_ones and private["id"] not in public_ones
    with_abe = _ids(ann, "/api/v1/channels", **{"filter[member_ids]": world.rep_a2.id})
    assert private["id"] in with_abe and public["id"] not in with_abe

    wrong = ann.get("/api/v1/channels", params={"filter[is_private]": "maybe"})
    assert "filter[is_private]" in [e["field"] for e in problem(wrong, 422)["errors"]]
    wrong = ann.get("/api/v1/channels", params={"filter[member_ids]": "nobody"})
    assert "filter[member_ids]" in [e["field"] for e in problem(wrong, 422)["errors"]]

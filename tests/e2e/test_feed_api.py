"""The feed through the real stack: channels, posts, mentions, notifications, files."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, problem, word


def handle(email: str) -> str:
    return email.split("@", 1)[0].lower()


def eventually(fetch: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_private_channel_posts_are_invisible_to_non_members(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    abe = login(world.rep_a2.email, world.rep_a2.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    created = ann.post(
        "/api/v1/channels",
        json={"name": f"Deal room {word()}", "is_private": True, "member_ids": [world.rep_a2.id]},
    )
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["is_private"] and world.rep_a2.id in channel["member_ids"]
    assert channel["admin_ids"] == [world.rep_a1.id]
    posted = ann.post("/api/v1/posts", json={"channel_id": channel["id"], "text": "the price"})
    assert posted.status_code == 201, posted.text
    post = posted.json()
    assert posted.headers["location"] == f"/api/v1/posts/{post['id']}"

    assert abe.get(f"/api/v1/posts/{post['id']}").json()["text"] == "the price"
    problem(bob.get(f"/api/v1/posts/{post['id']}"), 404)
    problem(bob.get(f"/api/v1/channels/{channel['id']}"), 404)
    problem(bob.get(f"/api/v1/channels/{channel['id']}/posts"), 404)
    assert channel["id"] not in [c["id"] for c in bob.get("/api/v1/channels").json()["items"]]
    assert post["id"] not in [p["id"] for p in bob.get("/api/v1/feed").json()["items"]]
    problem(bob.post(f"/api/v1/posts/{post['id']}/likes"), 404)
    # Only the author edits; only a channel admin pins.
    problem(abe.patch(f"/api/v1/posts/{post['id']}", json={"text": "mine now"}), 403)
    problem(abe.post(f"/api/v1/posts/{post['id']}/pin"), 403)
    assert ann.post(f"/api/v1/posts/{post['id']}/pin").json()["is_pinned"] is True


def test_a_mention_notifies_and_is_marked_read(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    channel = ann.post("/api/v1/channels", json={"name": f"News {word()}"}).json()
    # Users made before the feed heard of them are found through identity.
    suggested = eventually(
        lambda: [
            s
            for s in bob.get(
                "/api/v1/mentions/suggest", params={"q": handle(world.rep_a1.email)[:4]}
            ).json()["items"]
            if s["id"] == world.rep_a1.id
        ]
    )
    assert suggested and suggested[0]["handle"] == handle(world.rep_a1.email)
    before = bob.get("/api/v1/notifications/unread-count").json()["count"]
    text = f"Hello @{handle(world.rep_b1.email)}, see https://osprey.dev"
    post = ann.post("/api/v1/posts", json={"channel_id": channel["id"], "text": text}).json()
    assert post["mentions"] == [
        {"type": "user", "id": world.rep_b1.id, "handle": handle(world.rep_b1.email)}
    ]
    assert f'data-user-id="{world.rep_b1.id}"' in post["html"]
    assert '<a href="https://osprey.dev"' in post["html"]

    assert bob.get("/api/v1/notifications/unread-count").json()["count"] == before + 1
    unread = bob.get("/api/v1/notifications", params={"unread": "true"}).json()["items"]
    note = next(n for n in unread if n["post_id"] == post["id"])
    assert note["kind"] == "mention" and note["actor_id"] == world.rep_a1.id
    assert post["id"] in [p["id"] for p in bob.get("/api/v1/feed").json()["items"]]
    read = bob.post(f"/api/v1/notifications/{note['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert bob.get("/api/v1/notifications/unread-count").json()["count"] == before
    problem(ann.post(f"/api/v1/notifications/{note['id']}/read"), 404)

    # Comment and like notify the author; mark all read clears them.
    comment = bob.post(f"/api/v1/posts/{post['id']}/comments", json={"text": "thanks!"})
    assert comment.status_code == 201, comment.text
    assert bob.post(f"/api/v1/posts/{post['id']}/likes").json() == {
        "like_count": 1,
        "liked_by_me": True,
    }
    assert bob.post(f"/api/v1/posts/{post['id']}/likes").json()["like_count"] == 1
    kinds = {n["kind"] for n in ann.get("/api/v1/notifications").json()["items"]}
    assert {"comment", "like"} <= kinds
    marked = ann.post("/api/v1/notifications/read-all").json()["count"]
    assert marked >= 2
    assert ann.get("/api/v1/notifications/unread-count").json() == {"count": 0}


def test_xss_payloads_are_stored_as_safe_html(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    channel = ann.post("/api/v1/channels", json={"name": f"Sec {word()}"}).json()
    text = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[click](javascript:alert(1)) **bold**"
    )
    post = ann.post("/api/v1/posts", json={"channel_id": channel["id"], "text": text}).json()
    html = post["html"]
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html.lower() and "onerror=alert" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert "&lt;script&gt;" in html and "<strong>bold</strong>" in html
    assert post["text"] == text
    again = ann.get(f"/api/v1/posts/{post['id']}").json()
    assert again["html"] == html


def test_files_upload_download_and_limit(stack: Stack, world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    uploaded = ann.post("/api/v1/files", files={"file": ("notes.txt", b"hello feed", "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["size"] == 10 and meta["name"] == "notes.txt"
    assert meta["sha256"] == hashlib.sha256(b"hello feed").hexdigest()
    got = ann.get(f"/api/v1/files/{meta['id']}")
    assert got.status_code == 200 and got.content == b"hello feed"
    assert got.headers["content-type"].startswith("text/plain")
    assert "attachment" in got.headers["content-disposition"]
    problem(bob.get(f"/api/v1/files/{meta['id']}"), 404)
    # Attached to a public post, everybody who sees the post may read it.
    channel = ann.post("/api/v1/channels", json={"name": f"Files {word()}"}).json()
    post = ann.post(
        "/api/v1/posts",
        json={"channel_id": channel["id"], "text": "see file", "attachment_ids": [meta["id"]]},
    ).json()
    assert post["attachments"] == [
        {"id": meta["id"], "name": "notes.txt", "content_type": "text/plain", "size": 10}
    ]
    assert bob.get(f"/api/v1/files/{meta['id']}").content == b"hello feed"

    # Exactly the limit is accepted (and travels to the feed and back whole).
    limit = 10 * 1024 * 1024
    biggest = bytes(range(256)) * (limit // 256)
    accepted = ann.post(
        "/api/v1/files", files={"file": ("max.bin", biggest, "application/octet-stream")}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["size"] == limit
    assert accepted.json()["sha256"] == hashlib.sha256(biggest).hexdigest()
    assert ann.get(f"/api/v1/files/{accepted.json()['id']}").content == biggest

    # Too big: refused by its Content-Length, and when streamed without one.
    big = b"x" * (10 * 1024 * 1024 + 1)
    too_big = ann.post(
        "/api/v1/files", files={"file": ("big.bin", big, "application/octet-stream")}
    )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        for _ in range(12):
            yield b"y" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    with httpx.Client(base_url=stack.base_url, timeout=30, headers=ann.headers) as raw:
        streamed = raw.post(
            "/api/v1/files",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
    assert streamed.status_code == 413


def test_a_deals_posts_follow_the_deal_and_its_owner(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    abe = login(world.rep_a2.email, world.rep_a2.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    created = ann.post("/api/v1/opportunities", json={"title": f"Feed deal {word()}"})
    assert created.status_code == 201, created.text
    deal = created.json()
    related = {"type": "opportunity", "id": deal["id"]}
    # The feed learns the deal's owner from sales' event; its owner follows it.
    followed = eventually(
        lambda: [
            s for s in ann.get("/api/v1/subscriptions").json()["items"] if s["target"] == related
        ]
    )
    assert followed, "the owner should follow her deal"
    posted = abe.post("/api/v1/posts", json={"related": related, "text": "Met them today"})
    assert posted.status_code == 201, posted.text
    post = posted.json()
    listed = ann.get(
        "/api/v1/posts", params={"related_type": "opportunity", "related_id": deal["id"]}
    ).json()["items"]
    assert [p["id"] for p in listed] == [post["id"]]
    assert post["id"] in [p["id"] for p in ann.get("/api/v1/feed").json()["items"]]
    # Another team's rep may not read the deal, so neither its posts.
    problem(bob.get(f"/api/v1/posts/{post['id']}"), 404)
    problem(
        bob.get("/api/v1/posts", params={"related_type": "opportunity", "related_id": deal["id"]}),
        404,
    )
    problem(bob.post("/api/v1/posts", json={"related": related, "text": "let me in"}), 404)
    # Following twice gives the existing follow.
    again = ann.post("/api/v1/subscriptions", json={"target": related})
    assert again.status_code == 200 and again.json()["id"] == followed[0]["id"]
    assert ann.delete(f"/api/v1/subscriptions/{followed[0]['id']}").status_code == 204
    # Winning the deal posts on it (a system post) and tells its owner (who did not win
    # it herself: nobody is told what they did).
    won = world.admin.post(f"/api/v1/opportunities/{deal['id']}/win")
    assert won.status_code == 200, won.text
    system = eventually(
        lambda: [
            p
            for p in ann.get(
                "/api/v1/posts", params={"related_type": "opportunity", "related_id": deal["id"]}
            ).json()["items"]
            if p["event_type"] == "opportunity_won"
        ]
    )
    assert system and system[0]["kind"] == "system" and system[0]["author_id"] is None
    # The win also moved the deal to the won stage: that event's system post and
    # notification arrive through a queue of their own, before or after this one.
    notes = eventually(
        lambda: [
            n
            for n in ann.get("/api/v1/notifications").json()["items"]
            if n["kind"] == "system" and n["related"] == related and n["post_id"] == system[0]["id"]
        ]
    )
    assert notes, "the owner should be told her deal was won"


def read_events(client: httpx.Client, after: int | None, until_seq: int, timeout: float) -> list:
    """The stream's messages ``(id, event, data)`` after ``after`` up to ``until_seq``."""
    import json
    import threading

    messages: list[tuple[int, str, dict]] = []
    headers = {"Last-Event-ID": str(after)} if after is not None else {}

    def run() -> None:
        with client.stream("GET", "/api/v1/events/stream", headers=headers, timeout=timeout) as r:
            assert r.status_code == 200, r.read()
            block: dict[str, str] = {}
            for line in r.iter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    key, _, value = line.partition(":")
                    block[key] = value.strip()
                elif not line and "data" in block:
                    messages.append((int(block["id"]), block["event"], json.loads(block["data"])))
                    if int(block["id"]) >= until_seq:
                        return
                    block = {}
                elif not line:
                    block = {}

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return messages


def test_the_live_stream_replays_what_each_user_may_see(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    abe = login(world.rep_a2.email, world.rep_a2.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    # Where the stream is now: a first public post's seq, read back from the replay.
    public = ann.post("/api/v1/channels", json={"name": f"Live {word()}"}).json()
    marker = ann.post("/api/v1/posts", json={"channel_id": public["id"], "text": "marker"}).json()
    seen = eventually(
        lambda: [m for m in read_events(bob, 0, 10**9, 3) if m[2]["data"].get("id") == marker["id"]]
    )
    assert seen, "the public post should reach everybody"
    start = seen[0][0]
    secret = ann.post(
        "/api/v1/channels",
        json={"name": f"Live secret {word()}", "is_private": True, "member_ids": [world.rep_a2.id]},
    ).json()
    hidden = ann.post(
        "/api/v1/posts",
        json={"channel_id": secret["id"], "text": f"for @{handle(world.rep_a2.email)} only"},
    ).json()
    last = ann.post("/api/v1/posts", json={"channel_id": public["id"], "text": "last"}).json()
    last_seq = max(m[0] for m in read_events(ann, start, 10**9, 3))

    for_abe = read_events(abe, start, last_seq, 10)
    for_bob = read_events(bob, start, last_seq, 10)
    abe_posts = [m[2]["data"]["id"] for m in for_abe if m[1] == "post_created"]
    bob_posts = [m[2]["data"]["id"] for m in for_bob if m[1] == "post_created"]
    assert abe_posts == [hidden["id"], last["id"]]
    assert bob_posts == [last["id"]]
    notes = [m[2]["data"] for m in for_abe if m[1] == "notification_created"]
    assert notes and notes[0]["post_id"] == hidden["id"] and notes[0]["unread_count"] >= 1
    assert all(m[1] != "notification_created" for m in for_bob)
    assert all("audience" not in m[2] for m in for_abe)
    seqs = [m[0] for m in for_abe]
    assert seqs == sorted(set(seqs)) and all(s > start for s in seqs)


def test_an_attachment_is_kept_as_its_bytes_say_and_programs_are_refused(
    world: World, login: Login
) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)
    named_jpeg = ann.post("/api/v1/files", files={"file": ("photo.jpg", png, "image/jpeg")})
    assert named_jpeg.status_code == 201, named_jpeg.text
    assert named_jpeg.json()["content_type"] == "image/png"
    got = ann.get(f"/api/v1/files/{named_jpeg.json()['id']}")
    assert got.headers["content-type"] == "image/png" and got.content == png
    # a page sent as a picture is kept as the page it is, and only ever downloaded
    page = b"<html><script>alert(1)</script></html>"
    html = ann.post("/api/v1/files", files={"file": ("logo.png", page, "image/png")})
    assert html.status_code == 201, html.text
    assert html.json()["content_type"] == "text/html"
    served = ann.get(f"/api/v1/files/{html.json()['id']}")
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"
    # a Windows program called a PDF, and a script by its name: 422 naming the file
    for name, data in (("invoice.pdf", b"MZ\x90\x00" + bytes(60)), ("tool.vbs", b"MsgBox 1")):
        refused = ann.post("/api/v1/files", files={"file": (name, data, "application/pdf")})
        body = problem(refused, 422)
        assert body["errors"][0]["field"] == "file", body

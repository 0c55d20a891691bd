"""The feed and the live stream in the authorization matrix (issue 19 point 7), through
the whole stack: each seeded role × each record type the feed posts about × each of the
feed's operations — a record's posts, a post by id, posting on the record, following it,
the caller's feed (a post mentioning them), a mention's notification and the live event
stream — on a teammate's record, another team's, and another team's shared with the
caller; each allowed and each denied asserted. Then a role an administrator takes the
leads' read right from sees no lead's post anywhere, live or not."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

from . import test_access_rights_api as leads_rights
from .conftest import Login
from .test_access_rights_api import _role_id
from .test_access_rights_sales_orders_api import ENTITIES, product
from .test_event_stream import EventReader, readers  # noqa: F401 - a fixture
from .test_leads_api import World, create_lead, word

pytestmark = pytest.mark.e2e

#: a sales manager of team A, made through the API (the leads matrix's fixture)
manager_a = leads_rights.manager_a

#: the feed's record types → their resource (and how one is made, by its owner)
RECORDS: dict[str, str] = {
    "lead": "leads",
    "account": "accounts",
    "contact": "contacts",
    "opportunity": "opportunities",
    "order": "orders",
    "invoice": "invoices",
    "activity": "activities",
}
ROLES = ("admin", "sales_manager", "sales_rep")
#: whose record → whether each seeded role reads its posts (API.md: reps and managers
#: read their team's records, admins all; a share adds the one it is shared with — the
#: rep of team A here)
READS: dict[str, tuple[bool, bool, bool]] = {
    "teammate": (True, True, True),
    "other team": (True, False, False),
    "shared with the rep": (True, False, True),
}
OPS = ("record posts", "post by id", "post on it", "follow", "feed", "mention", "stream")
#: how long the feed may take to hear of a record or a share (events through the bus)
FEED_HEARS_SECONDS = 20.0
STREAM_SECONDS = 5.0


def make(record_type: str, owner: httpx.Client, bolt: dict[str, Any]) -> dict[str, Any]:
    if record_type == "lead":
        return create_lead(owner, contact_name=f"Lead {word()}")
    return ENTITIES[RECORDS[record_type]]["make"](owner, bolt)


def record_posts(client: httpx.Client, record_type: str, record_id: str) -> httpx.Response:
    return client.get(
        "/api/v1/posts",
        params={"filter[related_type]": record_type, "filter[related_id]": record_id},
    )


def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + FEED_HEARS_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"the feed did not hear {what} within {FEED_HEARS_SECONDS} s")


def handle(client: httpx.Client) -> str:
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return me.json()["email"].split("@")[0]


def token(client: httpx.Client) -> str:
    return client.headers["authorization"].removeprefix("Bearer ")


@pytest.fixture
def rep_rights(world: World) -> Iterator[str]:
    """The sales_rep role's id; its rights are put back as seeded afterwards."""
    role_id = _role_id(world, "sales_rep")
    before = world.admin.get(f"/api/v1/roles/{role_id}/rights")
    assert before.status_code == 200, before.text
    yield role_id
    restored = world.admin.put(f"/api/v1/roles/{role_id}/rights", json=before.json()["rights"])
    assert restored.status_code == 200, restored.text


# some 350 requests and three open streams: a busy machine needs minutes
@pytest.mark.timeout(480)
def test_each_seeded_role_on_the_feed_and_the_stream_of_each_record_type(
    stack: Stack,
    world: World,
    manager_a: httpx.Client,
    login: Login,
    readers: Any,  # noqa: F811
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    mate = login(world.rep_a2.email, world.rep_a2.password)
    other = login(world.rep_b1.email, world.rep_b1.password)
    callers = {"admin": world.admin, "sales_manager": manager_a, "sales_rep": rep}
    mentions = " ".join(f"@{handle(c)}" for c in callers.values())
    bolt = product(world.admin)

    # the records, once the feed knows whose they are (and whom they are shared with)
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for record_type in RECORDS:
        records[(record_type, "teammate")] = make(record_type, mate, bolt)
        records[(record_type, "other team")] = make(record_type, other, bolt)
        records[(record_type, "shared with the rep")] = make(record_type, other, bolt)
    for (record_type, whose), record in records.items():
        outsider = other if whose == "teammate" else rep
        until(
            lambda c=outsider, t=record_type, i=record["id"]: (
                record_posts(c, t, i).status_code == 404
            ),
            f"the {record_type} of the {whose}",
        )
    for record_type in RECORDS:
        record = records[(record_type, "shared with the rep")]
        url = f"/api/v1/{RECORDS[record_type]}/{record['id']}/shares"
        shared = other.post(url, json={"user_id": world.rep_a1.id, "access": "read"})
        assert shared.status_code == 201, shared.text
        until(
            lambda t=record_type, i=record["id"]: record_posts(rep, t, i).status_code == 200,
            f"the {record_type} shared with the rep",
        )

    streams = {role: readers(stack.base_url, token(c)) for role, c in callers.items()}
    # each record's owner posts on it, mentioning the three callers
    posts: dict[tuple[str, str], dict[str, Any]] = {}
    for (record_type, whose), record in records.items():
        owner = mate if whose == "teammate" else other
        made = owner.post(
            "/api/v1/posts",
            json={"related": {"type": record_type, "id": record["id"]}, "text": mentions},
        )
        assert made.status_code == 201, made.text
        posts[(record_type, whose)] = made.json()

    def outcome(role: str, op: str, record_type: str, whose: str) -> bool:
        """Whether the operation was allowed (True) or denied (False)."""
        client, record = callers[role], records[(record_type, whose)]
        post = posts[(record_type, whose)]
        if op == "record posts":
            got = record_posts(client, record_type, record["id"])
            return {200: True, 404: False}[got.status_code] and post["id"] in {
                p["id"] for p in got.json()["items"]
            }
        if op == "post by id":
            return {200: True, 404: False}[client.get(f"/api/v1/posts/{post['id']}").status_code]
        if op == "post on it":
            got = client.post(
                "/api/v1/posts",
                json={"related": {"type": record_type, "id": record["id"]}, "text": "seen"},
            )
            return {201: True, 404: False}[got.status_code]
        if op == "follow":
            got = client.post(
                "/api/v1/subscriptions", json={"target": {"type": record_type, "id": record["id"]}}
            )
            return {201: True, 200: True, 404: False}[got.status_code]
        if op == "feed":
            return post["id"] in {p["id"] for p in feed_of[role]}
        if op == "mention":
            return post["id"] in notified[role]
        if op == "stream":
            return post["id"] in streamed[role]
        raise AssertionError(op)

    feed_of = {
        role: c.get("/api/v1/feed", params={"limit": 500}).json()["items"]
        for role, c in callers.items()
    }
    notified = {
        role: {
            n["post_id"]
            for n in c.get("/api/v1/notifications", params={"limit": 500}).json()["items"]
            if n["kind"] == "mention"
        }
        for role, c in callers.items()
    }
    wanted = {p["id"] for p in posts.values()}
    streamed: dict[str, set[str]] = {}
    for role, reader in streams.items():
        seen = {
            e.data["data"].get("id")
            for e in reader.collect(STREAM_SECONDS)
            if e.type == "post_created"
        }
        streamed[role] = seen & wanted

    misses = []
    for role in ROLES:
        for record_type in RECORDS:
            for whose, allowed in READS.items():
                want = allowed[ROLES.index(role)]
                for op in OPS:
                    got = outcome(role, op, record_type, whose)
                    if got != want:
                        misses.append((role, record_type, whose, op, got, want))
    assert misses == []


def test_a_role_without_the_leads_read_right_sees_no_leads_post(
    stack: Stack,
    world: World,
    login: Login,
    rep_rights: str,
    readers: Any,  # noqa: F811
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    mate = login(world.rep_a2.email, world.rep_a2.password)
    lead = create_lead(mate, contact_name=f"Lead {word()}")
    deal = ENTITIES["opportunities"]["make"](mate, None)
    for record_type, record in (("lead", lead), ("opportunity", deal)):
        followed = rep.post(
            "/api/v1/subscriptions", json={"target": {"type": record_type, "id": record["id"]}}
        )
        assert followed.status_code in (200, 201), followed.text
    changed = world.admin.put(f"/api/v1/roles/{rep_rights}/rights", json={"leads": {"read": False}})
    assert changed.status_code == 200, changed.text
    # the gateway that changed the rights forgets its cached callers at once
    problem = rep.get(f"/api/v1/leads/{lead['id']}")
    assert problem.status_code == 403, problem.text
    stream = readers(stack.base_url, token(rep))
    text = f"@{handle(rep)} look"
    # the admin posts (the mate is a rep too, and reads no lead now either)
    on_lead = world.admin.post(
        "/api/v1/posts", json={"related": {"type": "lead", "id": lead["id"]}, "text": text}
    ).json()
    on_deal = world.admin.post(
        "/api/v1/posts", json={"related": {"type": "opportunity", "id": deal["id"]}, "text": text}
    ).json()
    assert record_posts(rep, "lead", lead["id"]).status_code == 404
    assert rep.get(f"/api/v1/posts/{on_lead['id']}").status_code == 404
    assert rep.get(f"/api/v1/posts/{on_deal['id']}").status_code == 200
    feed = {p["id"] for p in rep.get("/api/v1/feed", params={"limit": 500}).json()["items"]}
    assert on_deal["id"] in feed and on_lead["id"] not in feed
    notes = {n["post_id"] for n in rep.get("/api/v1/notifications").json()["items"]}
    assert on_deal["id"] in notes and on_lead["id"] not in notes
    stream.wait_for(
        lambda e: e.type == "post_created" and e.data["data"]["id"] == on_deal["id"],
        STREAM_SECONDS,
    )
    later = {e.data["data"].get("id") for e in stream.collect(1.0)}
    assert on_lead["id"] not in later

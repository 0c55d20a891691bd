"""Activities' posts through the whole stack (issue 19 point 1, the feed's rights matrix
extended): a call added for a deal, and completed, posts about the activity — in the
deal's feed, by id, on the activity and live — for whoever reads the activity: each
seeded role × a teammate's activity, another team's, another team's the rep takes part
in, and another team's shared with the rep; each allowed and denied asserted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_access_rights_feed_stream_api import (
    ROLES,
    STREAM_SECONDS,
    manager_a,  # noqa: F401 - a fixture
    record_posts,
    token,
    until,
)
from .test_access_rights_sales_orders_api import ENTITIES, made
from .test_event_stream import readers  # noqa: F401 - a fixture
from .test_leads_api import World, word

pytestmark = pytest.mark.e2e

CASES = ("teammate's", "other team's", "the rep takes part", "shared with the rep")
OPS = ("the activity's posts", "the deal's feed", "post by id", "stream: the completion")
#: case → role → whether each of OPS shows the post (the deal's feed needs the deal too)
EXPECTED: dict[str, dict[str, tuple[bool, ...]]] = {
    "teammate's": {role: (True, True, True, True) for role in ROLES},
    "other team's": {
        "admin": (True,) * 4,
        "sales_manager": (False,) * 4,
        "sales_rep": (False,) * 4,
    },
    "the rep takes part": {
        "admin": (True,) * 4,
        "sales_manager": (False,) * 4,
        "sales_rep": (True, False, True, True),
    },
    "shared with the rep": {
        "admin": (True,) * 4,
        "sales_manager": (False,) * 4,
        "sales_rep": (True, False, True, True),
    },
}


@pytest.mark.timeout(300)
def test_an_activitys_posts_reach_whoever_reads_the_activity(
    stack: Stack,
    world: World,
    manager_a: httpx.Client,  # noqa: F811
    login: Login,
    readers: Any,  # noqa: F811
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    mate = login(world.rep_a2.email, world.rep_a2.password)
    other = login(world.rep_b1.email, world.rep_b1.password)
    callers = {"admin": world.admin, "sales_manager": manager_a, "sales_rep": rep}
    streams = {role: readers(stack.base_url, token(c)) for role, c in callers.items()}
    deals = {
        "teammate's": ENTITIES["opportunities"]["make"](mate, None),
        "other team's": ENTITIES["opportunities"]["make"](other, None),
    }
    for case in CASES[2:]:
        deals[case] = deals["other team's"]

    activities: dict[str, dict[str, Any]] = {}
    for case in CASES:
        owner = mate if case == "teammate's" else other
        body = {
            "type": "call",
            "title": f"Call {word()}",
            "related_type": "opportunity",
            "related_id": deals[case]["id"],
        }
        if case == "the rep takes part":
            body["participants"] = [{"type": "user", "id": world.rep_a1.id}]
        activities[case] = made(owner.post("/api/v1/activities", json=body))
        if case == "shared with the rep":
            url = f"/api/v1/activities/{activities[case]['id']}/shares"
            shared = owner.post(url, json={"user_id": world.rep_a1.id, "access": "read"})
            assert shared.status_code == 201, shared.text
    for case, activity in activities.items():
        owner = mate if case == "teammate's" else other
        completed = owner.post(f"/api/v1/activities/{activity['id']}/complete")
        assert completed.status_code == 200, completed.text

    posts: dict[str, list[dict[str, Any]]] = {}
    for case, activity in activities.items():

        def both_posted(i: str = activity["id"], c: str = case) -> bool:
            got = record_posts(world.admin, "activity", i)
            posts[c] = got.json()["items"] if got.status_code == 200 else []
            return len(posts[c]) == 2

        until(both_posted, f"the posts of the {case} activity")
        title = activity["title"]
        assert [p["text"] for p in posts[case]] == [
            f"Call **{title}** was completed.",
            f"Call **{title}** was added.",
        ]
        assert {p["kind"] for p in posts[case]} == {"system"}

    streamed = {
        role: {
            e.data["data"].get("id") for e in r.collect(STREAM_SECONDS) if e.type == "post_created"
        }
        for role, r in streams.items()
    }

    def outcome(role: str, op: str, case: str) -> bool:
        client, ids = callers[role], {p["id"] for p in posts[case]}
        if op == "the activity's posts":
            got = record_posts(client, "activity", activities[case]["id"])
            return {200: True, 404: False}[got.status_code] and ids <= {
                p["id"] for p in got.json()["items"]
            }
        if op == "the deal's feed":
            got = record_posts(client, "opportunity", deals[case]["id"])
            return {200: True, 404: False}[got.status_code] and ids <= {
                p["id"] for p in got.json()["items"]
            }
        if op == "post by id":
            found = {client.get(f"/api/v1/posts/{i}").status_code for i in ids}
            return {frozenset({200}): True, frozenset({404}): False}[frozenset(found)]
        if op == "stream: the completion":
            # the completion's post, made once the activity was shared: the post of its
            # adding went live before the share (its reader is told of the share then)
            return posts[case][0]["id"] in streamed[role]
        raise AssertionError(op)

    misses = [
        (role, case, op, got, want)
        for case in CASES
        for role in ROLES
        for op, want in zip(OPS, EXPECTED[case][role], strict=True)
        if (got := outcome(role, op, case)) != want
    ]
    assert misses == []

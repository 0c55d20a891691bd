"""The live stream by a record's shares when an item is handed on (issue 19 points 1 and 7),
in the matrix of tests/e2e/test_access_rights_feed_stream_api.py: each seeded role × each
record type the feed posts about × a record shared with the rep after its post was
stored, and one whose share with the rep was taken back after it — live (the post as it
was handed on, and being told the record was gained or lost) and replayed from before
the post (the post, and being told) — each allowed and denied asserted. Live and
replayed agree: whoever's access changed is told, both ways, and reads the record's
posts by the share as it is then."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_access_rights_feed_stream_api import (
    RECORDS,
    ROLES,
    STREAM_SECONDS,
    make,
    manager_a,  # noqa: F401 - a fixture
    record_posts,
    token,
    until,
)
from .test_access_rights_sales_orders_api import product
from .test_event_stream import Event, readers  # noqa: F401 - a fixture
from .test_leads_api import World

pytestmark = pytest.mark.e2e

ACCESS = "record_access_changed"
CASES = ("shared after the post", "taken back after the post")
OPS = ("live: the post", "live: told", "replay: the post", "replay: told")
#: role → case → what each of OPS gives it (admins read every record; the team A
#: manager reads none of team B's, and a share with the rep changes nothing for them)
EXPECTED: dict[str, dict[str, tuple[bool, bool, bool, bool]]] = {
    "admin": {case: (True, False, True, False) for case in CASES},
    "sales_manager": {case: (False, False, False, False) for case in CASES},
    "sales_rep": {
        # not shared when it was posted; shared by the time of the replay
        "shared after the post": (False, True, True, True),
        # shared when it was posted; no more by the time of the replay
        "taken back after the post": (True, True, False, True),
    },
}


def seen(events: list[Event], posts: set[str], records: set[str]) -> tuple[set, set]:
    """The posts among ``posts`` and the records among ``records`` whose access change
    the events tell."""
    got = {e.data["data"].get("id") for e in events if e.type == "post_created"} & posts
    told = {e.data["data"]["record"]["id"] for e in events if e.type == ACCESS} & records
    return got, told


# some 150 requests and six open streams: a busy machine needs minutes
@pytest.mark.timeout(480)
def test_a_share_made_or_taken_back_after_a_post_changes_who_gets_it_live_and_replayed(
    stack: Stack,
    world: World,
    manager_a: httpx.Client,  # noqa: F811
    login: Login,
    readers: Any,  # noqa: F811
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    other = login(world.rep_b1.email, world.rep_b1.password)
    callers = {"admin": world.admin, "sales_manager": manager_a, "sales_rep": rep}
    bolt = product(world.admin)

    # another team's records; those of the second case shared with the rep first
    records = {(t, case): make(t, other, bolt) for t in RECORDS for case in CASES}
    shares: dict[tuple[str, str], str] = {}
    for (record_type, case), record in records.items():
        until(
            lambda t=record_type, i=record["id"]: record_posts(rep, t, i).status_code == 404,
            f"the {record_type} of the other team",
        )
        if case == "taken back after the post":
            url = f"/api/v1/{RECORDS[record_type]}/{record['id']}/shares"
            shared = other.post(url, json={"user_id": world.rep_a1.id, "access": "read"})
            assert shared.status_code == 201, shared.text
            shares[(record_type, case)] = shared.json()["id"]
            until(
                lambda t=record_type, i=record["id"]: record_posts(rep, t, i).status_code == 200,
                f"the {record_type} shared with the rep",
            )

    live = {role: readers(stack.base_url, token(c)) for role, c in callers.items()}
    until(lambda: all(r.last_id is not None for r in live.values()), "the streams' start")
    before = min(r.last_id for r in live.values())
    # the owner posts on each record; then the shares change
    posts = {
        key: other.post(
            "/api/v1/posts",
            json={"related": {"type": key[0], "id": record["id"]}, "text": "news"},
        )
        for key, record in records.items()
    }
    for made in posts.values():
        assert made.status_code == 201, made.text
    for (record_type, case), record in records.items():
        url = f"/api/v1/{RECORDS[record_type]}/{record['id']}/shares"
        if case == "shared after the post":
            changed = other.post(url, json={"user_id": world.rep_a1.id, "access": "read"})
            assert changed.status_code == 201, changed.text
        else:
            changed = other.delete(f"{url}/{shares[(record_type, case)]}")
            assert changed.status_code == 204, changed.text
    for (record_type, case), record in records.items():
        want = 200 if case == "shared after the post" else 404
        until(
            lambda t=record_type, i=record["id"], w=want: record_posts(rep, t, i).status_code == w,
            f"the {record_type} {case}",
        )

    post_ids = {made.json()["id"] for made in posts.values()}
    record_ids = {record["id"] for record in records.values()}
    got_live = {
        role: seen(r.collect(STREAM_SECONDS), post_ids, record_ids) for role, r in live.items()
    }
    got_replay = {}
    for role, client in callers.items():
        replay = readers(stack.base_url, token(client), last_event_id=before)
        got_replay[role] = seen(replay.collect(STREAM_SECONDS), post_ids, record_ids)

    misses = []
    for role in ROLES:
        for record_type in RECORDS:
            for case in CASES:
                post_id = posts[(record_type, case)].json()["id"]
                record_id = records[(record_type, case)]["id"]
                outcomes = (
                    post_id in got_live[role][0],
                    record_id in got_live[role][1],
                    post_id in got_replay[role][0],
                    record_id in got_replay[role][1],
                )
                for op, got, want in zip(OPS, outcomes, EXPECTED[role][case], strict=True):
                    if got != want:
                        misses.append((role, record_type, case, op, got, want))
    assert misses == []

"""The live stream by a record's owner and team when an item is handed on (issue 19
points 1 and 7): each seeded role × each record type the feed posts about × a record
of team B given to the rep of team A (owner and team) after its post was stored — live
(the post as it was handed on, and being told the record was gained or lost) and
replayed from before the post (the post, and being told), each allowed and denied
asserted. Whoever lost the record (its owner before) is told and no longer replays its
post; whoever gained it (the rep, and team A's manager by the team) is told and
replays it; an administrator reads it either way and is told nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_access_rights_feed_stream_api import (
    RECORDS,
    STREAM_SECONDS,
    make,
    manager_a,  # noqa: F401 - a fixture
    record_posts,
    token,
    until,
)
from .test_access_rights_sales_orders_api import product
from .test_access_rights_stream_shares_api import seen
from .test_event_stream import readers  # noqa: F401 - a fixture
from .test_leads_api import World

pytestmark = pytest.mark.e2e

OPS = ("live: the post", "live: told", "replay: the post", "replay: told")
#: who → what each of OPS gives them for a record of team B given to the rep of team A
EXPECTED: dict[str, tuple[bool, bool, bool, bool]] = {
    "admin": (True, False, True, False),
    "sales_manager": (False, True, True, True),  # team A's: gains it by the team
    "sales_rep": (False, True, True, True),  # its new owner
    "owner before": (True, True, False, True),  # team B's rep, who lost it
}


@pytest.mark.timeout(480)
def test_a_record_given_to_another_owner_and_team_changes_who_gets_it_live_and_replayed(
    stack: Stack,
    world: World,
    manager_a: httpx.Client,  # noqa: F811
    login: Login,
    readers: Any,  # noqa: F811
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    other = login(world.rep_b1.email, world.rep_b1.password)
    callers = {
        "admin": world.admin,
        "sales_manager": manager_a,
        "sales_rep": rep,
        "owner before": other,
    }
    bolt = product(world.admin)
    records = {t: make(t, other, bolt) for t in RECORDS}
    for record_type, record in records.items():
        until(
            lambda t=record_type, i=record["id"]: record_posts(rep, t, i).status_code == 404,
            f"the {record_type} of the other team",
        )

    live = {who: readers(stack.base_url, token(c)) for who, c in callers.items()}
    until(lambda: all(r.last_id is not None for r in live.values()), "the streams' start")
    before = min(r.last_id for r in live.values())
    posts = {
        t: other.post("/api/v1/posts", json={"related": {"type": t, "id": r["id"]}, "text": "news"})
        for t, r in records.items()
    }
    for made in posts.values():
        assert made.status_code == 201, made.text
    # the administrator gives each record to the rep of team A, in team A
    for record_type, record in records.items():
        url = f"/api/v1/{RECORDS[record_type]}/{record['id']}"
        now = world.admin.get(url)
        assert now.status_code == 200, now.text
        given = world.admin.patch(
            url,
            json={"owner_id": world.rep_a1.id, "team_id": world.team_a},
            headers={"If-Match": f'"{now.json()["version"]}"'},
        )
        assert given.status_code == 200, (record_type, given.text)
    for record_type, record in records.items():
        until(
            lambda t=record_type, i=record["id"]: record_posts(rep, t, i).status_code == 200,
            f"the {record_type} given to the rep",
        )

    post_ids = {made.json()["id"] for made in posts.values()}
    record_ids = {record["id"] for record in records.values()}
    got_live = {
        who: seen(r.collect(STREAM_SECONDS), post_ids, record_ids) for who, r in live.items()
    }
    got_replay = {}
    for who, client in callers.items():
        replay = readers(stack.base_url, token(client), last_event_id=before)
        got_replay[who] = seen(replay.collect(STREAM_SECONDS), post_ids, record_ids)

    misses = []
    for who in callers:
        for record_type in RECORDS:
            post_id = posts[record_type].json()["id"]
            record_id = records[record_type]["id"]
            outcomes = (
                post_id in got_live[who][0],
                record_id in got_live[who][1],
                post_id in got_replay[who][0],
                record_id in got_replay[who][1],
            )
            for op, got, want in zip(OPS, outcomes, EXPECTED[who], strict=True):
                if got != want:
                    misses.append((who, record_type, op, got, want))
    assert misses == []

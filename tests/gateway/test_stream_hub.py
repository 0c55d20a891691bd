"""The live-update hub (gateway/stream.py): order, gap fill, duplicates, audiences, slow clients.

The test process is patched by eventlet, where asyncio code must not run, so the
scenarios below run in one plain process of their own (``python -m
tests.gateway.test_stream_hub``), which prints each scenario's outcome as JSON. The
feed service is stood in for by :class:`FakeFeed` (its ``stream_range`` answers from a
dict, and counts its calls); the broker scenario uses a real RabbitMQ vhost.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway import stream
from gateway.stream import StreamHub

Scenario = Callable[[], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def members_rule(audience: dict[str, Any], actor: dict[str, Any]) -> bool:
    """A stand-in for the feed's rule, enough to tell the hub's filtering works."""
    if audience.get("kind") == "all":
        return True
    return actor["id"] in audience.get("user_ids", [])


def item(seq: int, audience: dict[str, Any] | None = None, kind: str = "post_created") -> dict:
    return {
        "seq": seq,
        "type": kind,
        "occurred_at": "2026-11-27T01:00:00Z",
        "audience": audience or {"kind": "all"},
        "data": {"id": f"post-{seq}", "text": f"post {seq}"},
    }


class FakeFeed:
    """``feed.stream_range`` over a dict of items; records every call."""

    def __init__(self, items: dict[int, dict] | None = None, fail: int = 0, head: int = 0):
        self.items = items or {}
        self.head = head
        self.calls: list[tuple] = []
        self.fail = fail

    async def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if method != "last_stream_seq":
            self.calls.append((service, method, *args))
        if self.fail:
            self.fail -= 1
            raise stream_failure()
        if (service, method) == ("feed", "last_stream_seq"):
            return self.head
        assert (service, method) == ("feed", "stream_range")
        low, high = args
        return [self.items[s] for s in range(low, high + 1) if s in self.items]


def stream_failure() -> Exception:
    from gateway.rpc import ServiceUnavailable

    return ServiceUnavailable("The feed service is not running")


def drained(sub: stream.Subscriber) -> list[int]:
    seqs = []
    while not sub.queue.empty():
        seqs.append(sub.queue.get_nowait()["seq"])
    return seqs


def hub_with(feed: FakeFeed | None = None, start: int | None = 1, **kwargs: Any) -> StreamHub:
    """A hub as if it had run for a while: the next seq it expects is ``start``."""
    hub = StreamHub(None, feed or FakeFeed(), audience_rule=members_rule, **kwargs)
    hub.next_seq = start
    return hub


# -- scenarios (run in the plain process) -----------------------------------------------


@scenario
async def in_order_and_duplicates_dropped() -> None:
    hub = hub_with(start=10, gap_wait=0.05)
    sub = hub.subscribe({"id": "ann"})
    for seq in (10, 11, 11, 12, 10, 13):
        hub.receive(item(seq))
    await asyncio.sleep(0.1)
    assert drained(sub) == [10, 11, 12, 13]
    assert hub.dropped_duplicates == 2
    assert hub.last_seq == 13


@scenario
async def out_of_order_is_reordered_without_asking_the_feed() -> None:
    feed = FakeFeed()
    hub = hub_with(feed, gap_wait=0.2)
    sub = hub.subscribe({"id": "ann"})
    hub.receive(item(1))
    hub.receive(item(3))
    hub.receive(item(4))
    assert drained(sub) == [1]  # 3 and 4 wait for 2
    hub.receive(item(2))
    assert drained(sub) == [2, 3, 4]
    await asyncio.sleep(0.3)
    assert feed.calls == []


@scenario
async def gap_is_filled_from_the_feed() -> None:
    feed = FakeFeed({2: item(2), 3: item(3)})
    hub = hub_with(feed, gap_wait=0.05)
    sub = hub.subscribe({"id": "ann"})
    hub.receive(item(1))
    hub.receive(item(4))
    assert drained(sub) == [1]
    await asyncio.sleep(0.2)
    assert drained(sub) == [2, 3, 4]
    assert feed.calls == [("feed", "stream_range", 2, 3)]
    assert hub.filled_from_range == 2
    # the missing items arriving late from the bus are duplicates now
    hub.receive(item(2))
    hub.receive(item(3))
    hub.receive(item(5))
    assert drained(sub) == [5]


@scenario
async def the_first_items_may_come_out_of_order() -> None:
    feed = FakeFeed()
    hub = hub_with(feed, start=None, gap_wait=0.1)
    sub = hub.subscribe({"id": "ann"})
    hub.receive(item(21))
    hub.receive(item(20))
    assert hub.last_seq is None  # "now" is not settled yet
    await asyncio.sleep(0.2)
    assert drained(sub) == [20, 21]
    assert feed.calls == []


@scenario
async def a_starting_hub_asks_the_feed_where_now_is() -> None:
    from services.platform.config import settings
    from tests.support.stack import RabbitVhost

    base = settings()
    vhost = RabbitVhost(base.amqp_management_url, base.amqp_uri)
    vhost.create()
    feed = FakeFeed({41: item(41)}, head=40)
    hub = StreamHub(vhost.amqp_uri, feed, audience_rule=members_rule, gap_wait=0.05)
    try:
        await hub.start()
        for _ in range(40):
            if hub.last_seq is not None:
                break
            await asyncio.sleep(0.05)
        assert hub.last_seq == 40
        sub = hub.subscribe({"id": "ann"})
        assert sub.start_seq == 40
        hub.receive(item(40))  # before "now": a duplicate
        hub.receive(item(42))  # 41 never came over the bus: read from the feed
        await asyncio.sleep(0.2)
        assert drained(sub) == [41, 42]
        assert ("feed", "stream_range", 41, 41) in feed.calls
    finally:
        await hub.close()
        vhost.delete()


@scenario
async def a_lost_item_is_skipped_not_waited_for_forever() -> None:
    feed = FakeFeed({})  # pruned: the feed has nothing for seq 2
    hub = hub_with(feed, gap_wait=0.05)
    sub = hub.subscribe({"id": "ann"})
    hub.receive(item(1))
    hub.receive(item(3))
    await asyncio.sleep(0.2)
    assert drained(sub) == [1, 3]
    assert hub.skipped == 1


@scenario
async def the_feed_down_during_a_gap_is_retried() -> None:
    feed = FakeFeed({2: item(2)}, fail=1)
    hub = hub_with(feed, gap_wait=0.05)
    sub = hub.subscribe({"id": "ann"})
    hub.receive(item(1))
    hub.receive(item(3))
    await asyncio.sleep(0.4)
    assert drained(sub) == [1, 2, 3]
    assert len(feed.calls) == 2


@scenario
async def each_subscriber_gets_only_its_audience() -> None:
    hub = hub_with()
    ann = hub.subscribe({"id": "ann"})
    bob = hub.subscribe({"id": "bob"})
    hub.receive(item(1, {"kind": "all"}))
    hub.receive(item(2, {"kind": "users", "user_ids": ["ann"]}))
    hub.receive(item(3, {"kind": "users", "user_ids": ["bob"]}))
    hub.receive(item(4, {"kind": "users", "user_ids": []}))
    assert drained(ann) == [1, 2]
    assert drained(bob) == [1, 3]
    assert hub.last_seq == 4


@scenario
async def a_slow_client_is_cut_off_and_never_blocks_the_others() -> None:
    hub = hub_with(queue_size=3)
    slow = hub.subscribe({"id": "ann"})
    fast = hub.subscribe({"id": "bob"})
    for seq in range(1, 6):
        hub.receive(item(seq))
        drained_now = drained(fast)
        assert drained_now == [seq]
    assert slow.is_closed
    assert "too slow" in (slow.close_reason or "")
    # what was queued is dropped (a reconnect replays it); the reader learns it is cut off
    assert await slow.next_item(5) is None
    hub.receive(item(6))
    assert await slow.next_item(0.05) is None  # a cut-off subscriber gets nothing more


@scenario
async def a_subscriber_starts_at_now() -> None:
    hub = hub_with(start=None, gap_wait=0.05)
    early = hub.subscribe({"id": "ann"})
    assert early.start_seq is None  # the hub has seen nothing yet
    hub.receive(item(7))
    await asyncio.sleep(0.1)
    late = hub.subscribe({"id": "ann"})
    assert late.start_seq == 7
    hub.receive(item(8))
    assert drained(early) == [7, 8]
    assert drained(late) == [8]


@scenario
async def next_item_times_out_and_wakes_on_close() -> None:
    hub = hub_with()
    sub = hub.subscribe({"id": "ann"})
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await sub.next_item(0.1) is None
    assert loop.time() - started >= 0.09
    loop.call_later(0.05, sub.close, "bye")
    started = loop.time()
    assert await sub.next_item(5) is None
    assert loop.time() - started < 1
    hub.unsubscribe(sub)
    assert sub not in hub.subscribers


@scenario
async def replay_pages_until_a_short_page() -> None:
    store = [item(s) for s in range(1, 11)]
    asked: list[tuple[int, int]] = []

    async def fetch(after: int, limit: int) -> list[dict]:
        asked.append((after, limit))
        return [i for i in store if i["seq"] > after][:limit]

    seqs = [i["seq"] async for i in stream.replay(fetch, 3, page_size=3)]
    assert seqs == [4, 5, 6, 7, 8, 9, 10]
    assert asked == [(3, 3), (6, 3), (9, 3)]


@scenario
async def sse_wire_format() -> None:
    text = stream.sse_message(item(42, {"kind": "users", "user_ids": ["secret-member"]}))
    lines = text.split("\n")
    assert lines[0] == "id: 42"
    assert lines[1] == "event: post_created"
    assert lines[2].startswith("data: ")
    payload = json.loads(lines[2][len("data: ") :])
    assert payload == {
        "seq": 42,
        "type": "post_created",
        "occurred_at": "2026-11-27T01:00:00Z",
        "data": {"id": "post-42", "text": "post 42"},
    }
    assert "secret-member" not in text  # the audience stays in the gateway
    assert text.endswith("\n\n") and lines[3] == ""
    multiline = stream.sse_message({**item(1), "data": {"text": "a\nb\r\nc"}})
    assert multiline.count("\n") == 4  # the payload's newlines are escaped


@scenario
async def two_hubs_on_the_broker_each_get_every_item() -> None:
    import aio_pika

    from services.platform.config import settings
    from tests.support.stack import RabbitVhost

    base = settings()
    vhost = RabbitVhost(base.amqp_management_url, base.amqp_uri)
    vhost.create()
    try:
        hubs = [StreamHub(vhost.amqp_uri, FakeFeed(), audience_rule=members_rule) for _ in range(2)]
        for hub in hubs:
            await hub.start()
            assert hub.connected
        subs = [hub.subscribe({"id": "ann"}) for hub in hubs]
        connection = await aio_pika.connect_robust(vhost.amqp_uri)
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "feed.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for seq in (1, 2, 3):
            envelope = {
                "id": f"event-{seq}",
                "type": "stream_item_added",
                "occurred_at": "2026-11-27T01:00:00Z",
                "actor": None,
                "source": "feed",
                "data": item(seq, {"kind": "users", "user_ids": ["ann"]}),
            }
            await exchange.publish(
                aio_pika.Message(json.dumps(envelope).encode(), content_type="application/json"),
                routing_key="stream_item_added",
            )
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="stream_item_added")
        got: list[list[int]] = [[], []]
        for _ in range(50):
            await asyncio.sleep(0.05)
            for i, sub in enumerate(subs):
                got[i] += drained(sub)
            if got == [[1, 2, 3], [1, 2, 3]]:
                break
        assert got == [[1, 2, 3], [1, 2, 3]], got
        await connection.close()
        for hub in hubs:
            await hub.close()
    finally:
        vhost.delete()


@scenario
async def the_feeds_own_rule_decides_who_sees_a_record_post() -> None:
    from services.feed.domain import audience_includes

    hub = StreamHub(None, FakeFeed(), audience_rule=audience_includes)
    hub.next_seq = 1
    assert hub.audience_rule is audience_includes
    owner = hub.subscribe({"id": "u-owner", "roles": ["sales_rep"], "team_id": "t-a"})
    teammate = hub.subscribe({"id": "u-mate", "roles": ["sales_rep"], "team_id": "t-a"})
    outsider = hub.subscribe({"id": "u-out", "roles": ["sales_rep"], "team_id": "t-b"})
    boss = hub.subscribe({"id": "u-admin", "roles": ["admin"], "team_id": None})
    record = {"type": "lead", "id": "l-1", "owner_id": "u-owner", "team_id": "t-a"}
    hub.receive(item(1, {"kind": "record", "record": record}))
    hub.receive(item(2, {"kind": "users", "user_ids": ["u-out"]}))
    hub.receive(item(3, {"kind": "all"}))
    hub.receive(item(4, {"kind": "unknown"}))
    assert drained(owner) == [1, 3]
    assert drained(teammate) == [1, 3]
    assert drained(outsider) == [2, 3]
    assert drained(boss) == [1, 3]


@scenario
async def a_shared_record_and_a_hidden_title_reach_each_reader_as_their_role_says() -> None:
    from services.feed.domain import audience_includes

    hub = StreamHub(None, FakeFeed(), audience_rule=audience_includes)
    hub.next_seq = 1
    reads = {"ops": "r", "read": "team"}
    mate = hub.subscribe({"id": "u-mate", "team_id": "t-a", "rights": {"leads": reads}})
    blind = hub.subscribe(
        {"id": "u-blind", "team_id": "t-a", "rights": {"leads": {**reads, "hidden": ["name"]}}}
    )
    guest = hub.subscribe({"id": "u-guest", "team_id": "t-b", "rights": {"leads": reads}})
    other = hub.subscribe({"id": "u-other", "team_id": "t-c", "rights": {"leads": reads}})
    record = {"type": "lead", "id": "l-1", "owner_id": "u-own", "team_id": "t-a"}
    plain = {"type": "lead", "fields": ["name"], "text": "A lead was assigned.", "html": "<p>A"}
    system = {**item(1), "data": {"id": "p-1", "text": "Lead **Acme** was assigned."}}
    system["audience"] = {
        "kind": "record",
        "record": {**record, "shared_team_ids": ["t-b"]},
        "plain": plain,
    }
    hub.receive(system)
    comment = item(2, {"kind": "record", "record": record, "plain": plain}, kind="comment_added")
    hub.receive(comment)
    (seen_by_mate,) = [mate.queue.get_nowait()]
    assert seen_by_mate["data"]["text"] == "Lead **Acme** was assigned."
    seen_by_blind = blind.queue.get_nowait()
    assert seen_by_blind["data"]["text"] == "A lead was assigned."
    assert "Acme" not in stream.sse_message(seen_by_blind)
    assert "Acme" in stream.sse_message(seen_by_mate)  # its own encoding, not the other's
    assert guest.queue.get_nowait()["data"]["text"] == "Lead **Acme** was assigned."
    assert drained(other) == []  # neither the team's nor shared with it
    # a comment's data is the comment: never replaced
    assert blind.queue.get_nowait()["data"]["text"] == "post 2"


@scenario
async def a_records_items_go_by_the_shares_the_hub_last_heard() -> None:
    from services.platform.audience import audience_includes

    hub = StreamHub(None, FakeFeed(), audience_rule=audience_includes)
    hub.next_seq = 1
    reads = {"leads": {"ops": "r", "read": "team"}}
    owner = hub.subscribe({"id": "u-own", "team_id": "t-a", "rights": reads})
    rita = hub.subscribe({"id": "u-rita", "team_id": "t-b", "rights": reads})
    bob = hub.subscribe({"id": "u-bob", "team_id": "t-b", "rights": reads})
    lead = {"type": "lead", "id": "l-1", "owner_id": "u-own", "team_id": "t-a"}

    def on_lead(seq: int, **shares: list[str]) -> dict:
        return item(seq, {"kind": "record", "record": {**lead, **shares}})

    def changed(seq: int, after: dict, before: dict) -> dict:
        audience = {"kind": "record_access", "record": {**lead, **after}, "before": before}
        return item(seq, audience, kind="record_access_changed")

    hub.receive(on_lead(1))  # before the share
    hub.receive(changed(2, {"shared_user_ids": ["u-rita"]}, {}))
    hub.receive(on_lead(3))  # its transaction read the shares before the change
    hub.receive(on_lead(4, shared_user_ids=["u-rita"]))
    assert drained(owner) == [1, 3, 4]
    assert drained(rita) == [2, 3, 4]  # told of the share, then every later item
    assert drained(bob) == []
    # taken back: she is told, then gets nothing more, even an item stored with the share
    hub.receive(changed(5, {}, {"shared_user_ids": ["u-rita"]}))
    hub.receive(on_lead(6, shared_user_ids=["u-rita"]))
    assert drained(rita) == [5] and drained(owner) == [6]
    # shared with her team: both are told and get what follows; another lead is not touched
    hub.receive(changed(7, {"shared_team_ids": ["t-b"]}, {}))
    hub.receive(on_lead(8))
    hub.receive(item(9, {"kind": "record", "record": {**lead, "id": "l-2"}}))
    assert drained(rita) == [7, 8] and drained(bob) == [7, 8]
    assert drained(owner) == [8, 9]
    assert hub.access == {("lead", "l-1"): {"shared_user_ids": [], "shared_team_ids": ["t-b"]}}


@scenario
async def a_records_items_go_by_the_owner_and_team_a_reassignment_gave() -> None:
    from services.platform.audience import audience_includes

    hub = StreamHub(None, FakeFeed(), audience_rule=audience_includes)
    hub.next_seq = 1
    reads = {"leads": {"ops": "r", "read": "team"}}
    owner = hub.subscribe({"id": "u-own", "team_id": "t-a", "rights": reads})
    mate = hub.subscribe({"id": "u-mate", "team_id": "t-a", "rights": reads})
    rita = hub.subscribe({"id": "u-rita", "team_id": "t-b", "rights": reads})
    everyone = hub.subscribe({"id": "u-boss", "rights": {"leads": {"ops": "r", "read": "all"}}})
    lead = {"type": "lead", "id": "l-1", "owner_id": "u-own", "team_id": "t-a"}
    none: dict[str, list[str]] = {"shared_user_ids": [], "shared_team_ids": []}

    def on_lead(seq: int) -> dict:  # as stored: by the owner its transaction read
        return item(seq, {"kind": "record", "record": lead})

    def moved(seq: int, owner_id: str, team_id: str, before: dict, **shares: list) -> dict:
        after = {**lead, "owner_id": owner_id, "team_id": team_id, **shares}
        was = {**none, **shares, **before}
        audience = {"kind": "record_access", "record": after, "before": was}
        return item(seq, audience, kind="record_access_changed")

    hub.receive(on_lead(1))
    hub.receive(moved(2, "u-rita", "t-b", {"owner_id": "u-own", "team_id": "t-a"}))
    hub.receive(on_lead(3))  # its transaction read the lead before it was given away
    assert drained(owner) == [1, 2] and drained(mate) == [1, 2]  # told they lost it
    assert drained(rita) == [2, 3]  # told she gained it, then every later item
    assert drained(everyone) == [1, 3]  # reads every lead: nothing changed for her
    assert hub.access[("lead", "l-1")] == {**none, "owner_id": "u-rita", "team_id": "t-b"}
    # a share made later keeps the owner and team the reassignment gave
    shared = {**lead, "owner_id": "u-rita", "team_id": "t-b", "shared_user_ids": ["u-mate"]}
    hub.receive(
        item(
            4, {"kind": "record_access", "record": shared, "before": none}, "record_access_changed"
        )
    )
    hub.receive(on_lead(5))
    assert drained(mate) == [4, 5] and drained(rita) == [5] and drained(owner) == []
    assert hub.access[("lead", "l-1")]["owner_id"] == "u-rita"
    # put in its first owner's team (still shared with the mate, still Rita's): the
    # first owner is told and reads it again; the mate and Rita read it either way
    before = {"owner_id": "u-rita", "team_id": "t-b"}
    hub.receive(moved(6, "u-rita", "t-a", before, shared_user_ids=["u-mate"]))
    hub.receive(on_lead(7))
    assert drained(owner) == [6, 7] and drained(rita) == [7] and drained(mate) == [7]


@scenario
async def after_a_broker_outage_the_hub_reads_what_it_missed() -> None:
    import aio_pika

    from services.platform.config import settings
    from tests.support.stack import RabbitVhost

    base = settings()
    vhost = RabbitVhost(base.amqp_management_url, base.amqp_uri)
    vhost.create()
    feed = FakeFeed({2: item(2), 3: item(3)})
    hub = StreamHub(vhost.amqp_uri, feed, audience_rule=members_rule, gap_wait=0.05)
    try:
        await hub.start()
        sub = hub.subscribe({"id": "ann"})
        connection = await aio_pika.connect_robust(vhost.amqp_uri)
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "feed.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        envelope = {"id": "e1", "type": "stream_item_added", "source": "feed", "data": item(1)}
        await exchange.publish(
            aio_pika.Message(json.dumps(envelope).encode()), routing_key="stream_item_added"
        )
        for _ in range(40):
            await asyncio.sleep(0.05)
            if hub.last_seq == 1:
                break
        assert drained(sub) == [1]
        # The broker drops the hub's connection (its exclusive queue goes with it);
        # items 2 and 3 are committed meanwhile and published to nobody.
        names: list[str] = []
        for _ in range(60):  # the management API lists a connection within a few seconds
            conns = await asyncio.to_thread(
                vhost._request, "GET", f"/vhosts/{vhost._quoted}/connections"
            )
            names = [
                c["name"]
                for c in conns
                if (c.get("client_properties") or {}).get("connection_name")
                == "osprey-gateway-stream"
            ]
            if names:
                break
            await asyncio.sleep(0.25)
        assert names
        for name in names:
            await asyncio.to_thread(
                vhost._request, "DELETE", "/connections/" + urllib.parse.quote(name, safe="")
            )
        for _ in range(200):
            await asyncio.sleep(0.05)
            if hub.last_seq == 3:
                break
        assert drained(sub) == [2, 3], (hub.last_seq, feed.calls)
        assert ("feed", "stream_range", 2, 501) in feed.calls, feed.calls
        await connection.close()
    finally:
        await hub.close()
        vhost.delete()


async def run_all() -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for name, fn in SCENARIOS.items():
        try:
            await asyncio.wait_for(fn(), 40)
            outcomes[name] = "ok"
        except BaseException:  # noqa: BLE001 - reported to the test that asked
            outcomes[name] = traceback.format_exc()
    return outcomes


# -- the tests (in the eventlet-patched pytest process) ----------------------------------


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.gateway.test_stream_hub"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_stream_hub(outcomes: dict[str, str], name: str) -> None:
    assert outcomes[name] == "ok", outcomes[name]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run_all())))

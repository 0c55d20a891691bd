"""A post written with an idempotency key is posted once, however often the request is
sent: one post, one stream item, one event (services/platform/requests_once.py)."""

from __future__ import annotations

from nameko.standalone.rpc import ServiceRpcProxy

from services.platform.ids import new_id
from tests.platform.keyed_requests import count, send_together

from .conftest import ANN, call


def posts(engine) -> int:
    return count(engine, "SELECT count(*) FROM feed.posts")


def test_one_key_sent_twice_posts_once_and_answers_alike(feed, service_config, db_engine):
    general = call(feed, "create_channel", {"name": "General"}, actor=ANN)
    key = f"{new_id()}:{new_id()}:action"
    data = {"channel_id": general["id"], "text": "The deal is won"}
    with ServiceRpcProxy("feed", service_config) as rpc:
        first = rpc.create_post(data, actor=ANN, idempotency_key=key)
        again = rpc.create_post(data, actor=ANN, idempotency_key=key)
    assert again == first and first["text"] == "The deal is won"
    assert posts(db_engine) == 1
    assert count(db_engine, "SELECT count(*) FROM feed.outbox WHERE type = 'post_created'") == 1


def test_two_keys_post_twice_and_no_key_posts_every_time(feed, service_config, db_engine):
    general = call(feed, "create_channel", {"name": "General"}, actor=ANN)
    data = {"channel_id": general["id"], "text": "hello"}
    with ServiceRpcProxy("feed", service_config) as rpc:
        one = rpc.create_post(data, actor=ANN, idempotency_key="k-1")
        two = rpc.create_post(data, actor=ANN, idempotency_key="k-2")
        rpc.create_post(data, actor=ANN)
        rpc.create_post(data, actor=ANN)
    assert one["id"] != two["id"]
    assert posts(db_engine) == 4


def test_a_concurrent_pair_with_one_key_posts_once(feed, service_config, db_engine):
    general = call(feed, "create_channel", {"name": "General"}, actor=ANN)
    key = f"{new_id()}:{new_id()}:action"

    def send() -> dict:
        with ServiceRpcProxy("feed", service_config) as rpc:
            data = {"channel_id": general["id"], "text": "once"}
            return rpc.create_post(data, actor=ANN, idempotency_key=key)

    first, second = send_together(db_engine, "feed.posts", send)
    assert first == second
    assert posts(db_engine) == 1
